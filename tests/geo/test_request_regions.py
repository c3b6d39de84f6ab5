"""A region given in a request (``resolve``): how much geometry it may bring, the same words for
the same mistake whatever its kind, and each error named by its full path in the body.

The caps are ``ecohub.geo.limits``' (docs/benchmarks.md, "Geo: buffer and vertex limits"); the
vertex counts below are written out, not read from the code under test. A ring's last position
repeats its first (RFC 7946 3.1.6) and is not another vertex: a square has four.
"""

from __future__ import annotations

import json
from typing import Any

import duckdb
import pytest

from ecohub.geo import GeoError, limits, resolve
from ecohub.geo.boundaries import national_border
from ecohub.geo.geojson_check import parse_area

SWAPPED = "looks swapped: positions are [lon, lat], as in GeoJSON (RFC 7946 3.1.1)"


def _refused(con: duckdb.DuckDBPyConnection, region: Any, **kw: Any) -> GeoError:
    with pytest.raises(GeoError) as err:
        resolve(con, region, **kw)
    return err.value


def _square(lon: float, lat: float, side: float = 0.01) -> list[list[float]]:
    return [[lon, lat], [lon + side, lat], [lon + side, lat + side], [lon, lat + side], [lon, lat]]


SQUARE = {"type": "Polygon", "coordinates": [_square(116, 39)]}
# a shell with a hole, and a second part: 4 + 4 + 4 vertices
HOLED = {
    "type": "MultiPolygon",
    "coordinates": [[_square(116, 39), _square(116.002, 39.002, 0.005)], [_square(117, 39)]],
}


def test_a_line_over_the_cap_is_refused_before_any_work(con: duckdb.DuckDBPyConnection) -> None:
    assert limits.MAX_LINE_VERTICES == 10_000
    line = [[116.0 + i * 1e-4, 39.9] for i in range(10_001)]
    err = _refused(con, {"line": line, "distance_m": 500_000})
    assert err.where == "region.line"
    assert err.reason.startswith("has 10,001 vertices; at most 10,000 are taken")
    # At the cap it is buffered (10 m around a 100 km line).
    area = resolve(con, {"line": line[:10_000], "distance_m": 10})
    assert area.kind == "buffer" and area.ref == "line 10 m"


def test_a_polygon_over_the_cap_is_refused_counting_every_feature(
    con: duckdb.DuckDBPyConnection,
) -> None:
    assert limits.MAX_AREA_VERTICES == 100_000
    # 25,001 features of one square each: 100,004 vertices in all.
    feature = {"type": "Feature", "geometry": SQUARE}
    doc = {"type": "FeatureCollection", "features": [feature] * 25_001}
    err = _refused(con, {"geojson": doc})
    assert err.where == "region.geojson"
    assert err.reason.startswith("has 100,004 vertices; at most 100,000 are taken")
    assert _refused(con, {"geojson": json.dumps(doc)}).reason == err.reason  # text alike


@pytest.mark.parametrize(
    ("doc", "vertices"),
    [(SQUARE, 4), (HOLED, 12), ({"type": "Feature", "geometry": SQUARE}, 4)],
)
def test_the_cap_counts_every_vertex(doc: dict[str, Any], vertices: int) -> None:
    border = national_border()
    parse_area(doc, border=border, max_vertices=vertices)  # exactly at the cap: taken
    with pytest.raises(GeoError, match=f"has {vertices} vertices; at most {vertices - 1} "):
        parse_area(doc, border=border, max_vertices=vertices - 1)


@pytest.mark.parametrize(
    ("region", "where", "reason"),
    [
        # lat, lon written the other way round (most Chinese web-map APIs use lat,lng)
        ({"point": [39.9, 116.4], "distance_m": 1000}, "region.point",
         f"position 0 [39.9, 116.4] {SWAPPED}"),
        ({"line": [[116.3, 39.9], [39.95, 116.5]], "distance_m": 1000}, "region.line",
         f"position 1 [39.95, 116.5] {SWAPPED}"),
        ({"geojson": {"type": "Polygon", "coordinates": [[[39.9, 116.3], [39.9, 116.5],
                                                          [40.0, 116.5], [39.9, 116.3]]]}},
         "region.geojson", f"geometry ring 0: position 0 [39.9, 116.3] {SWAPPED}"),
        # outside China either way round (Paris)
        ({"point": [2.35, 48.85], "distance_m": 100}, "region.point",
         "position 0 [2.35, 48.85] is outside China"),
        ({"line": [[116.3, 39.9], [2.35, 48.85]], "distance_m": 100}, "region.line",
         "position 1 [2.35, 48.85] is outside China"),
    ],
)  # fmt: skip
@pytest.mark.parametrize("crs", ["wgs84", "gcj02"])
def test_the_same_mistake_gets_the_same_words(
    con: duckdb.DuckDBPyConnection, region: dict[str, Any], where: str, reason: str, crs: str
) -> None:
    err = _refused(con, region, crs=crs)  # judged on the numbers as given, before conversion
    assert (err.where, err.reason) == (where, reason)


@pytest.mark.parametrize(
    ("region", "where"),
    [
        ({"point": [116.4, 39.9], "distance_m": 600_000}, "region.distance_m"),
        ({"point": [116.4, 39.9]}, "region.distance_m"),
        ({"line": [[116.3, 39.9], [116.5, 40]], "distance_m": "3000"}, "region.distance_m"),
        ({"point": "116.4,39.9", "distance_m": 3000}, "region.point"),
        ({"line": [[116.3, 39.9]], "distance_m": 3000}, "region.line"),
        ({"geojson": "{not json"}, "region.geojson"),
        ({"circle": 1}, "region"),
        ({"point": [116.4, 39.9], "line": [[116.3, 39.9], [116.5, 40]]}, "region"),
    ],
)
def test_members_are_named_by_their_path_in_the_body(
    con: duckdb.DuckDBPyConnection, region: dict[str, Any], where: str
) -> None:
    assert _refused(con, region).where == where
