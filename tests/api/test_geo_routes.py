"""``/api/v1/geo`` over the door's test store, with coordinates given to its stations and sources:
the caller's scope inside any region (division, drawn polygon, circle), the panels' numbers
against the rows written here, boundaries, hostile bodies, and ``/`` for a browser."""

from __future__ import annotations

import math
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api import door_data as d
from tests.api.door_data import Door

# Points well inside Chaoyang (农展馆) and Haidian (万柳) on the real boundaries.
IN_XY, OUT_XY = (116.461, 39.937), (116.287, 39.987)
WATER_IN, WATER_OUT = "WS-CY", "WS-HD"


@pytest.fixture(scope="module")
def door(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Door]:
    from argon2 import PasswordHasher

    from ecohub.access import users

    users.HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    built = d.build(Path(tmp_path_factory.mktemp("geo-door")))
    con = built.con
    for code, (x, y) in ((d.ST_IN, IN_XY), (d.ST_OUT, OUT_XY)):
        con.execute("UPDATE station SET lon = ?, lat = ? WHERE station_id = ?", [x, y, code])
    for code, (x, y) in ((d.SRC_IN, IN_XY), (d.SRC_OUT, OUT_XY)):
        con.execute("UPDATE source SET lon = ?, lat = ? WHERE source_code = ?", [x, y, code])
    con.executemany(
        "INSERT INTO station (station_id, name, network, region_code, lon, lat) "
        "VALUES (?, ?, 'surface_water', ?, ?, ?)",
        [
            [WATER_IN, "朝阳断面", d.INSIDE, IN_XY[0] + 0.01, IN_XY[1]],
            [WATER_OUT, "海淀断面", d.OUTSIDE, OUT_XY[0] + 0.01, OUT_XY[1]],
        ],
    )
    con.execute(
        "INSERT INTO water_class_annual (station_id, year, method, waterbody, grade, class_rank, "
        f"status, computed_at) VALUES ('{WATER_IN}', 2025, '2011', 'river', 'II', 2, '优', now()),"
        f"('{WATER_OUT}', 2025, '2011', 'river', 'IV', 4, '轻度污染', now())"
    )
    # The panels are checked against hand-set stored days: two stations in different categories
    # (door_data's two stations share one series, so a compute would give them equal days).
    # The air state stays "computed", so reads take these rows as they are.
    con.execute(
        f"""
        DELETE FROM air_daily;
        INSERT INTO air_daily
          (scope, code, date, edition, aqi, level, category, complete, published)
          VALUES ('station', '{d.ST_IN}', DATE '2024-01-01', 2012, 42, 1, '优', TRUE, '42'),
                 ('station', '{d.ST_OUT}', DATE '2024-01-01', 2012, 77, 2, '良', TRUE, '77'),
                 ('city', '110000', DATE '2024-01-01', 2012, 60, 2, '良', TRUE, '60');
        """
    )
    yield built
    built.app.state.ctx.jobs.shutdown()
    built.con.close()


def client(door: Door, role: str) -> TestClient:
    c = TestClient(door.app, raise_server_exceptions=False)
    c.headers["Authorization"] = f"Bearer {door.keys[role]}"
    return c


def post(door: Door, role: str, path: str, body: dict[str, Any]) -> Any:
    r = client(door, role).post(f"/api/v1/geo/{path}", json=body)
    assert r.status_code == 200, r.text
    return r.json()


def ids(answer: dict[str, Any]) -> set[str]:
    return {row["station_id"] for row in answer["items"]}


def square(x: float, y: float, half: float) -> dict[str, Any]:
    ring = [[x - half, y - half], [x + half, y - half], [x + half, y + half], [x - half, y + half]]
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


def test_stations_follow_region_and_scope(door: Door) -> None:
    assert ids(post(door, "admin", "stations", {"region": "110000"})) == {
        d.ST_IN, d.ST_OUT, WATER_IN, WATER_OUT,
    }  # fmt: skip
    assert ids(post(door, "analyst", "stations", {"region": "110000"})) == {d.ST_IN, WATER_IN}
    assert ids(post(door, "analyst", "stations", {"region": d.OUTSIDE})) == set()
    # the latest stored day of the station (door_data: 2024-01-01, AQI 42, level 1, 优)
    (row,) = [r for r in post(door, "analyst", "stations", {"region": d.INSIDE})["items"]
              if r["station_id"] == d.ST_IN]  # fmt: skip
    assert (row["aqi_date"], row["aqi"], row["level"], row["category"]) == (
        "2024-01-01", 42, 1, "优",
    )  # fmt: skip
    water = [r for r in post(door, "admin", "stations", {"region": "110000"})["items"]
             if r["station_id"] == WATER_OUT]  # fmt: skip
    assert water[0]["water_class"] == "IV"


def test_current_category_is_the_last_day_with_an_aqi(door: Door) -> None:
    # a later day without an AQI (too few hours) does not blank the station's category
    door.con.execute(
        "INSERT INTO air_daily (scope, code, date) VALUES ('station', ?, DATE '2024-01-02')",
        [d.ST_IN],
    )
    try:
        items = post(door, "analyst", "stations", {"region": d.INSIDE})["items"]
        (row,) = [r for r in items if r["station_id"] == d.ST_IN]
        assert (row["aqi_date"], row["aqi"], row["level"]) == ("2024-01-01", 42, 1)
    finally:
        door.con.execute(
            "DELETE FROM air_daily WHERE code = ? AND date = DATE '2024-01-02'", [d.ST_IN]
        )


def test_drawn_polygon_and_circle(door: Door) -> None:
    around_in = {"geojson": square(*IN_XY, 0.05)}
    assert ids(post(door, "admin", "stations", {"region": around_in})) == {d.ST_IN, WATER_IN}
    # a circle of 500 m around the Haidian station holds it and not the section 850 m east
    circle = {"point": list(OUT_XY), "distance_m": 500}
    assert ids(post(door, "admin", "stations", {"region": circle})) == {d.ST_OUT}
    assert ids(post(door, "analyst", "stations", {"region": circle})) == set()
    src = post(door, "admin", "sources", {"region": around_in})["items"]
    assert [s["source_code"] for s in src] == [d.SRC_IN]
    assert post(door, "analyst", "sources", {"region": circle})["items"] == []


def test_air_panels_from_the_stored_days(door: Door) -> None:
    # door_data: one stored day, 2024-01-01: ST_IN AQI 42 (level 1), ST_OUT 77 (level 2)
    air = post(door, "admin", "air", {"region": "110000"})
    assert (air["from"], air["to"]) == ("2024-01-01", "2024-01-01")
    (day,) = air["daily"]
    assert (day["aqi_mean"], day["aqi_max"], day["level"]) == (59.5, 77, 2)
    assert [(r["code"], r["aqi_mean"], r["level"]) for r in air["ranking"]] == [
        (d.INSIDE, 42.0, 1), (d.OUTSIDE, 77.0, 2),
    ]  # fmt: skip
    mine = post(door, "analyst", "air", {"region": "110000"})
    assert [r["code"] for r in mine["ranking"]] == [d.INSIDE]
    assert mine["daily"][0]["aqi_mean"] == 42.0
    assert [lv["color"] for lv in mine["levels"]][:2] == ["#00E400", "#FFFF00"]  # HJ 633 A.1
    nothing = post(door, "analyst", "air", {"region": d.OUTSIDE})
    assert (nothing["daily"], nothing["ranking"], nothing["stations"]) == ([], [], 0)


def test_water_distribution(door: Door) -> None:
    all_ = post(door, "admin", "water", {"region": "110000"})
    assert (all_["year"], all_["assessed"]) == (2025, 2)
    assert all_["by_grade"]["II"] == 1 and all_["by_grade"]["IV"] == 1
    mine = post(door, "analyst", "water", {"region": "110000"})
    assert mine["assessed"] == 1 and mine["by_grade"]["II"] == 1


def test_boundaries(door: Door) -> None:
    c = client(door, "public")
    fc = c.get("/api/v1/geo/boundaries?parent=110000").json()
    codes = [f["properties"]["code"] for f in fc["features"]]
    assert len(codes) == 16 and d.INSIDE in codes and d.OUTSIDE in codes
    assert fc["parent"]["properties"]["name"] == "北京市"
    assert [p["code"] for p in fc["path"]] == ["110000"]
    chaoyang = c.get(f"/api/v1/geo/boundaries?parent={d.INSIDE}").json()
    assert [p["code"] for p in chaoyang["path"]] == ["110000", d.INSIDE]
    assert chaoyang["features"] == []
    provinces = c.get("/api/v1/geo/boundaries").json()["features"]
    assert len(provinces) >= 34
    # GCJ-02 is shifted by a few hundred metres in Beijing (GB/T 2260 area: ~0.006° east)
    wgs = fc["features"][0]["geometry"]["coordinates"]
    gcj = c.get("/api/v1/geo/boundaries?parent=110000&crs=gcj02").json()
    first_w = _first_xy(wgs)
    first_g = _first_xy(gcj["features"][0]["geometry"]["coordinates"])
    assert 0.003 < first_g[0] - first_w[0] < 0.009
    assert c.get("/api/v1/geo/boundaries?parent=990000").status_code == 404


def _signed_area(ring: list[list[float]]) -> float:
    """Twice the ring's signed area by the shoelace formula: > 0 when counter-clockwise."""
    return sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in pairwise(ring))


# Where the simplified layers came out wound the wrong way (walk F, finding 3): six provinces'
# exteriors, 惠州's (440900) and a hole of 平谷区 (110113).
@pytest.mark.parametrize(
    ("parent", "seen"),
    [
        (None, {"130000", "420000", "430000", "520000", "640000", "820000"}),
        ("440000", {"440900"}),
        ("110000", {"110113"}),
    ],
)
@pytest.mark.parametrize("crs", ["wgs84", "gcj02"])
def test_boundaries_follow_the_right_hand_rule(
    door: Door, parent: str | None, seen: set[str], crs: str
) -> None:
    """RFC 7946 3.1.6: "A linear ring MUST follow the right-hand rule with respect to the area
    it bounds, i.e., exterior rings are counterclockwise, and holes are clockwise." Checked on
    every ring of every feature and of the parent."""
    query = f"?crs={crs}" + (f"&parent={parent}" if parent else "")
    fc = client(door, "public").get(f"/api/v1/geo/boundaries{query}").json()
    features = fc["features"] + ([fc["parent"]] if parent else [])
    assert seen <= {f["properties"]["code"] for f in features}
    wrong = []
    for f in features:
        g = f["geometry"]
        for polygon in [g["coordinates"]] if g["type"] == "Polygon" else g["coordinates"]:
            if _signed_area(polygon[0]) <= 0:
                wrong.append((f["properties"]["code"], "exterior clockwise"))
            wrong += [(f["properties"]["code"], "hole counter-clockwise")
                      for hole in polygon[1:] if _signed_area(hole) >= 0]  # fmt: skip
    assert wrong == []


def _first_xy(coords: Any) -> list[float]:
    while isinstance(coords[0], list):
        coords = coords[0]
    return [float(coords[0]), float(coords[1])]


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"region": "no-such-region"}, 404, None),
        ({"region": ""}, 422, "region"),
        ({"region": "110105", "extra": 1}, 422, "extra"),
        ({"region": "110105", "crs": "bd09"}, 422, "crs"),
        # A region object's members by their full path in the body (walk F, finding 5; they
        # were "distance_m", "point" and "line" beside "region.geojson").
        ({"region": {"point": [116.4, 39.9], "distance_m": 10_000_000}}, 422,
         "region.distance_m"),
        ({"region": {"point": [39.9, 116.4], "distance_m": 100}}, 422, "region.point"),
        ({"region": {"line": [[39.9, 116.3], [39.95, 116.5]], "distance_m": 100}}, 422,
         "region.line"),
        ({"region": {"geojson": {"type": "Polygon", "coordinates": [[[116, 39], [117, 39]]]}}},
         422, "region.geojson"),
        ({"region": {"geojson": "{not json"}}, 422, "region.geojson"),
        ({"region": {"geojson": None}}, 422, "region.geojson"),
        ({"region": {"nothing": 1}}, 422, "region"),
        # Coordinates and distances that are not numbers (a string once gave a 500).
        ({"region": {"point": "116.4,39.9", "distance_m": 3000}}, 422, "region.point"),
        ({"region": {"point": ["116.4", 39.9], "distance_m": 3000}}, 422, "region.point"),
        ({"region": {"line": [[116.3, "x"], [116.5, 40]], "distance_m": 2000}}, 422,
         "region.line"),
        ({"region": {"line": [[116.3, 39.9], [116.5]], "distance_m": 2000}}, 422, "region.line"),
        ({"region": {"line": [[[116.3, 39.9]], [116.5, 40]], "distance_m": 2000}}, 422,
         "region.line"),
        ({"region": {"point": [116.4, 39.9], "distance_m": True}}, 422, "region.distance_m"),
        ({"region": {"point": [116.4, 39.9], "distance_m": "3000"}}, 422, "region.distance_m"),
        ({"region": {"point": [True, 39.9], "distance_m": 3000}}, 422, "region.point"),
    ],
)  # fmt: skip
def test_bad_bodies_are_named(
    door: Door, body: dict[str, Any], status: int, field: str | None
) -> None:
    r = client(door, "analyst").post("/api/v1/geo/stations", json=body)
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    if field is not None:
        # the request's field (region.geojson, not the file checker's word), and first in detail
        assert r.json()["errors"][0]["field"] == field, r.text
        assert r.json()["detail"].startswith(f"{field}: "), r.text


# A line and a polygon one vertex over the caps of ecohub.geo.limits (10,000 and 100,000):
# refused alike by every route that takes a region, naming the field and the limit. The line
# is the walk's zig-zag at 500 km, which took minutes and tens of GB before the cap.
LONG_LINE = [[100 + 30 * i / 10_001, 39.9 + 0.5 * math.sin(i)] for i in range(10_001)]
_RING = [[116.4 + 0.3 * math.cos(2 * math.pi * i / 100_001),
          39.9 + 0.3 * math.sin(2 * math.pi * i / 100_001)] for i in range(100_001)]  # fmt: skip
BIG_POLYGON = {"type": "Polygon", "coordinates": [[*_RING, _RING[0]]]}  # 100,001 vertices


@pytest.mark.parametrize("path", ["stations", "feature", "air"])
@pytest.mark.parametrize(
    ("region", "field", "words"),
    [
        ({"line": LONG_LINE, "distance_m": 500_000}, "region.line",
         "has 10,001 vertices; at most 10,000 are taken"),
        ({"geojson": BIG_POLYGON}, "region.geojson",
         "has 100,001 vertices; at most 100,000 are taken"),
    ],
    ids=["line", "polygon"],
)  # fmt: skip
def test_geometry_over_the_caps_is_refused_on_every_route(
    door: Door, path: str, region: dict[str, Any], field: str, words: str
) -> None:
    r = client(door, "analyst").post(f"/api/v1/geo/{path}", json={"region": region})
    assert r.status_code == 422, r.text[:300]
    assert r.json()["errors"][0]["field"] == field
    assert r.json()["errors"][0]["reason"].startswith(words), r.text[:300]


def test_limits_are_published_for_the_console(door: Door) -> None:
    # What the console's circle tool stops at; the same numbers as the refusals above.
    got = client(door, "public").get("/api/v1/geo/limits").json()
    assert got == {"distance_m": 500_000, "area_vertices": 100_000, "line_vertices": 10_000}


def test_root_serves_the_console_to_a_browser(door: Door) -> None:
    c = TestClient(door.app)
    page = c.get("/", headers={"Accept": "text/html,application/xhtml+xml"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<script type="module" src="/static/app.js">' in page.text
    assert c.get("/").json()["name"] == "ecohub"
    for path in ("/static/app.js", "/static/i18n/zh-CN.json", "/static/i18n/en.json"):
        assert c.get(path).status_code == 200, path
    zh, en = c.get("/static/i18n/zh-CN.json").json(), c.get("/static/i18n/en.json").json()
    assert zh.keys() == en.keys()  # every string in both languages


def test_a_basin_scoped_analyst_through_the_door(door: Door) -> None:
    """A user scoped to a loaded basin (``user:<code>``) lists, counts and gets only the stations
    inside its polygon; one just outside the polygon is 404 like an unknown one."""
    import json as _json

    from ecohub.access import apikeys, users
    from ecohub.geo.userregions import load_region

    con = door.con
    # A 0.02° square around the Chaoyang station and its water section (0.01° east of it).
    basin = square(IN_XY[0] + 0.005, IN_XY[1], 0.01)
    load_region(con, _json.dumps(basin), name="test basin door", kind="basin", code="basin-door")
    users.add_user(con, "u_basin", "analyst", "user:basin-door", [], "correct horse battery")
    key = apikeys.create(con, "u_basin")[0]
    c = TestClient(door.app, raise_server_exceptions=False)
    c.headers["Authorization"] = f"Bearer {key}"
    r = c.get("/api/v1/stations")
    assert r.status_code == 200, r.text
    assert {s["station_id"] for s in r.json()["items"]} == {d.ST_IN, WATER_IN}
    assert c.get(f"/api/v1/stations/{d.ST_IN}").status_code == 200
    assert c.get(f"/api/v1/stations/{d.ST_OUT}").status_code == 404
    # A section 0.001° outside the square's east edge is not seen.
    con.execute(
        "INSERT INTO station (station_id, name, network, region_code, lon, lat) "
        "VALUES ('WS-EDGE-OUT', 'x', 'surface_water', ?, ?, ?)",
        [d.INSIDE, IN_XY[0] + 0.016, IN_XY[1]],
    )
    assert c.get("/api/v1/stations/WS-EDGE-OUT").status_code == 404
    inside = post_as(c, "stations", {"region": "110105"})
    assert ids(inside) == {d.ST_IN, WATER_IN}


def post_as(c: TestClient, path: str, body: dict[str, Any]) -> Any:
    r = c.post(f"/api/v1/geo/{path}", json=body)
    assert r.status_code == 200, r.text
    return r.json()
