"""The real boundaries: known places fall in their districts, areas match published figures."""

from __future__ import annotations

import duckdb
import numpy as np
import pytest
import shapely

from ecohub.geo import CountyIndex, GeoError, UnknownRegion, assign_counties, resolve
from ecohub.geo.spatial import load_spatial

# (lon, lat) WGS84 of landmarks, read off published maps, and the district they are in.
PLACES = [
    ("Tiananmen", 116.3975, 39.9087, "110101"),  # 东城区
    ("People's Square, Shanghai", 121.4737, 31.2304, "310101"),  # 黄浦区
    ("Zhongguancun", 116.3105, 39.9834, "110108"),  # 海淀区
    ("Xi'an Bell Tower", 108.9474, 34.2610, "610103"),  # 碑林区
    ("Guangzhou Tower", 113.3245, 23.1064, "440105"),  # 海珠区
]


@pytest.mark.parametrize(("place", "lon", "lat", "code"), PLACES, ids=[p[0] for p in PLACES])
def test_landmark_county(con: duckdb.DuckDBPyConnection, place: str, lon: float, lat: float,
                         code: str) -> None:  # fmt: skip
    assert assign_counties(con, [lon], [lat]).tolist() == [code]


def test_sea_and_abroad_are_in_no_county(con: duckdb.DuckDBPyConnection) -> None:
    # East China Sea off Shanghai; the Sea of Japan; Paris.
    assert assign_counties(con, [122.8, 134.0, 2.35], [31.0, 40.0, 48.85]).tolist() == [
        None, None, None,
    ]  # fmt: skip


def test_every_county_has_a_point_of_its_own(con: duckdb.DuckDBPyConnection) -> None:
    # A point guaranteed inside each county polygon must come back as that county (or, where
    # the set has overlapping counties, as a smaller code that also contains it).
    index = CountyIndex.from_store(con, grid=False)
    inner = shapely.point_on_surface(index.geoms)
    got = index.assign(shapely.get_x(inner), shapely.get_y(inner))
    wrong = [(c, g) for c, g in zip(index.codes, got, strict=True) if c != g]
    for code, other in wrong:
        k = int((index.codes == other).nonzero()[0][0])
        assert other < code and index.geoms[k].intersects(inner[index.codes == code][0])
    assert len(wrong) <= 5  # 前三岛 is drawn in two counties of the Tianditu set


def test_beijing_area_matches_published_figure(con: duckdb.DuckDBPyConnection) -> None:
    # 北京市 total area 16,410.54 km² (北京市统计年鉴). Geodesic area on the WGS84 ellipsoid.
    load_spatial(con)
    wkb = con.execute("SELECT geom_wkb FROM region WHERE code = '110000'").fetchone()[0]
    # ST_Area_Spheroid expects lat/lon axis order.
    km2 = con.execute(
        "SELECT ST_Area_Spheroid(ST_FlipCoordinates(ST_GeomFromWKB(?))) / 1e6", [wkb]
    ).fetchone()[0]
    assert km2 == pytest.approx(16410.54, rel=0.01)


def test_levels_and_parents(con: duckdb.DuckDBPyConnection) -> None:
    rows = dict(
        (code, (level, parent))
        for code, level, parent in con.execute(
            "SELECT code, level, parent_code FROM region WHERE code IN "
            "('110000', '130200', '130203', '441900', '419001')"
        ).fetchall()
    )
    assert rows == {
        "110000": ("province", None),
        "130200": ("prefecture", "130000"),
        "130203": ("county", "130200"),
        "441900": ("prefecture", "440000"),  # 东莞: a prefecture without counties
        "419001": ("county", "410000"),  # 济源: county-level city under the province
    }


KEY_PLACES = [
    ("jjj-2+26", 114.5149, 38.0428, True),  # 石家庄
    ("jjj-2+26", 113.6254, 34.7466, True),  # 郑州
    ("jjj-2+26", 112.5489, 37.8706, True),  # 太原
    ("jjj-2+26", 119.6000, 39.9354, False),  # 秦皇岛: not one of the 26 in 2017
    ("fenwei", 108.9398, 34.3416, True),  # 西安
    ("fenwei", 111.5190, 36.0880, True),  # 临汾
    ("fenwei", 112.5489, 37.8706, False),  # 太原
    ("yrd", 117.2272, 31.8206, True),  # 合肥
    ("yrd", 115.8582, 28.6829, False),  # 南昌
    ("prd", 113.2644, 23.1291, True),  # 广州
    ("prd", 113.7518, 23.0205, True),  # 东莞
    ("prd", 116.6822, 23.3535, False),  # 汕头
]


@pytest.mark.parametrize(("region", "lon", "lat", "inside"), KEY_PLACES)
def test_key_regions(con: duckdb.DuckDBPyConnection, region: str, lon: float, lat: float,
                     inside: bool) -> None:  # fmt: skip
    area = resolve(con, region)
    assert bool(shapely.intersects_xy(area.geometry, lon, lat)) is inside


def test_key_region_members_are_stored(con: duckdb.DuckDBPyConnection) -> None:
    counts = dict(
        con.execute("SELECT region_code, count(*) FROM region_member GROUP BY 1").fetchall()
    )
    assert counts == {"jjj-2+26": 28, "fenwei": 11, "yrd": 4, "prd": 9}


def test_unknown_region(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(UnknownRegion, match="999999"):
        resolve(con, "999999")
    with pytest.raises(GeoError, match=r"region\.distance_m: "):
        resolve(con, {"point": [116.4, 39.9], "distance_m": -1})
    # Named by its path in a request body, and the position echoed (walk F, findings 4 and 5).
    outside = r"region\.point: position 0 \[2\.35, 48\.85\] is outside China"
    with pytest.raises(GeoError, match=outside):
        resolve(con, {"point": [2.35, 48.85], "distance_m": 100})


def test_grid_and_exact_paths_agree(con: duckdb.DuckDBPyConnection) -> None:
    # The look-up raster must give exactly what the polygon tests give: random points over
    # Beijing-Tianjin-Hebei (many small districts), and every vertex of Beijing's districts
    # (points on boundaries, where the smaller code must win on both paths).
    exact = CountyIndex.from_store(con, grid=False)
    grid = exact.with_grid()
    rng = np.random.default_rng(7)
    x = rng.uniform(113.4, 119.9, 40_000)
    y = rng.uniform(36.0, 42.7, 40_000)
    beijing = exact.geoms[[c.startswith("1101") for c in exact.codes]]
    vx, vy = shapely.get_coordinates(beijing).T
    x, y = np.concatenate([x, vx]), np.concatenate([y, vy])
    assert grid.grid is not None and exact.grid is None
    assert grid.assign(x, y).tolist() == exact.assign(x, y).tolist()
