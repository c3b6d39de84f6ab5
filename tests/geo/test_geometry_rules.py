"""Hand-worked geometry: holes, multipolygon parts, points on a boundary, ties between counties.

The rule (docs/geo.md): a point is inside a region when it intersects it, so a point on the
boundary is inside; a point on the border of two counties goes to the smaller code.
"""

from __future__ import annotations

import json

import duckdb
import numpy as np
import pytest
import shapely

from ecohub.access.principal import SYSTEM
from ecohub.geo import CountyIndex, load_region, stations_in

# A 0.2° square in Beijing with a 0.1° square hole in the middle; a second square further east.
SHELL = [[116.0, 40.0], [116.2, 40.0], [116.2, 40.2], [116.0, 40.2], [116.0, 40.0]]
HOLE = [[116.05, 40.05], [116.05, 40.15], [116.15, 40.15], [116.15, 40.05], [116.05, 40.05]]
EAST = [[116.5, 40.0], [116.6, 40.0], [116.6, 40.1], [116.5, 40.1], [116.5, 40.0]]
MULTI = {"type": "MultiPolygon", "coordinates": [[SHELL, HOLE], [EAST]]}

STATIONS = {
    "in_ring": (116.02, 40.02),  # between shell and hole
    "in_hole": (116.10, 40.10),  # inside the hole: outside the region
    "second_part": (116.55, 40.05),  # inside the second polygon
    "between": (116.35, 40.05),  # between the parts
    "on_shell_edge": (116.2, 40.1),  # on the outer boundary: inside by the rule
    "on_hole_edge": (116.05, 40.10),  # on the hole's boundary: inside by the rule
    "on_vertex": (116.6, 40.1),  # a vertex of the second part
    "just_outside": (116.2000001, 40.1),
}


@pytest.fixture
def region(con: duckdb.DuckDBPyConnection) -> str:
    for sid, (lon, lat) in STATIONS.items():
        con.execute(
            "INSERT INTO station (station_id, network, region_code, lon, lat) VALUES (?, 'air', "
            "'110000', ?, ?)",
            [sid, lon, lat],
        )
    con.execute("INSERT INTO station (station_id, network) VALUES ('no_point', 'air')")
    return load_region(con, json.dumps(MULTI), name="hand", kind="custom")["code"]


def test_hole_multipolygon_and_boundary(con: duckdb.DuckDBPyConnection, region: str) -> None:
    got = {r["station_id"] for r in stations_in(con, SYSTEM, region)}
    assert got == {"in_ring", "second_part", "on_shell_edge", "on_hole_edge", "on_vertex"}


def test_uploaded_polygon_without_storing(con: duckdb.DuckDBPyConnection, region: str) -> None:
    before = con.execute("SELECT count(*) FROM region").fetchone()
    got = {r["station_id"] for r in stations_in(con, SYSTEM, {"geojson": MULTI})}
    assert got == {"in_ring", "second_part", "on_shell_edge", "on_hole_edge", "on_vertex"}
    assert con.execute("SELECT count(*) FROM region").fetchone() == before


def test_distance_around_a_point(con: duckdb.DuckDBPyConnection, region: str) -> None:
    # From (116.10, 40.10): 116.02,40.02 is ~11.3 km away; 116.2,40.1 is 8.53 km east
    # (0.1° of longitude at 40.1° N = 111.32 km * cos(40.1°) / 10 = 8.52 km).
    got = {r["station_id"] for r in stations_in(con, SYSTEM, {"point": [116.1, 40.1],
                                                              "distance_m": 8600})}  # fmt: skip
    assert got == {"in_hole", "on_shell_edge", "on_hole_edge", "just_outside"}
    got = {r["station_id"] for r in stations_in(con, SYSTEM, {"point": [116.1, 40.1],
                                                              "distance_m": 8400})}  # fmt: skip
    assert got == {"in_hole", "on_hole_edge"}


def test_distance_around_a_line(con: duckdb.DuckDBPyConnection, region: str) -> None:
    # A line along 40.05° N from 116.30 to 116.40: "between" (116.35, 40.05) is on it;
    # "second_part" (116.55, 40.05) is 0.15° east of its end = 12.8 km.
    line = {"line": [[116.30, 40.05], [116.40, 40.05]], "distance_m": 1000}
    assert [r["station_id"] for r in stations_in(con, SYSTEM, line)] == ["between"]


def test_gcj02_out(con: duckdb.DuckDBPyConnection, region: str) -> None:
    wgs = {r["station_id"]: (r["lon"], r["lat"]) for r in stations_in(con, SYSTEM, region)}
    gcj = {r["station_id"]: (r["lon"], r["lat"]) for r in stations_in(con, SYSTEM, region,
                                                                        crs="gcj02")}  # fmt: skip
    assert wgs.keys() == gcj.keys()
    for sid, (lon, lat) in wgs.items():
        # GCJ-02 shifts Beijing by roughly +0.006° lon, +0.001° lat (a few hundred metres).
        assert 0.004 < gcj[sid][0] - lon < 0.008 and 0.0 < gcj[sid][1] - lat < 0.003


def _two_squares() -> CountyIndex:
    # County 000002 on the west, 000001 on the east, sharing the edge x = 1.
    west = shapely.box(0.0, 0.0, 1.0, 1.0)
    east = shapely.box(1.0, 0.0, 2.0, 1.0)
    codes = np.array(["000001", "000002"])
    geoms = np.array([east, west], dtype=object)
    shapely.prepare(geoms)
    return CountyIndex(codes, geoms, shapely.STRtree(geoms))


@pytest.mark.parametrize("grid", [False, True], ids=["exact", "grid"])
def test_tie_on_a_shared_border_goes_to_the_smaller_code(grid: bool) -> None:
    index = _two_squares().with_grid() if grid else _two_squares()
    got = index.assign(
        [0.5, 1.0, 1.5, 1.0, 3.0, np.nan, 0.0, 1e300], [0.5, 0.5, 0.5, 1.0, 0.5, 0.5, 0.0, 0.5]
    )
    assert got.tolist() == ["000002", "000001", "000001", "000001", None, None, "000002", None]
