"""The ``ecohub geo`` routes (``/api/v1/geo/county``, ``/regions``, ``/in``, ``/summary``) and the
``geo-*`` jobs over the door's test store, its stations, sources and outlets given points in
Chaoyang (110105, the scoped users' district) and Haidian (110108): log-in required, the district
analyst's scope inside any region, bad input as 422 naming the field (never a 500)."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from tests.api import door_data as d
from tests.api.door_data import Door, client, follow

IN_XY, OUT_XY = (116.461, 39.937), (116.287, 39.987)  # 农展馆 (Chaoyang), 万柳 (Haidian)
WATER_IN, WATER_OUT = "WS-CY", "WS-HD"


@pytest.fixture(scope="module")
def door(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Door]:
    built = next(gen := d.serve(Path(tmp_path_factory.mktemp("geo-query"))))
    con = built.con
    for code, (x, y) in ((d.ST_IN, IN_XY), (d.ST_OUT, OUT_XY)):
        con.execute("UPDATE station SET lon = ?, lat = ? WHERE station_id = ?", [x, y, code])
    for code, (x, y) in ((d.SRC_IN, IN_XY), (d.SRC_OUT, OUT_XY)):
        con.execute("UPDATE source SET lon = ?, lat = ? WHERE source_code = ?", [x, y, code])
    con.executemany(
        "INSERT INTO station (station_id, name, network, region_code, lon, lat) "
        "VALUES (?, ?, 'surface_water', ?, ?, ?)",
        [[WATER_IN, "朝阳断面", d.INSIDE, IN_XY[0] + 0.01, IN_XY[1]],
         [WATER_OUT, "海淀断面", d.OUTSIDE, OUT_XY[0] + 0.01, OUT_XY[1]]],
    )  # fmt: skip
    con.execute(
        "INSERT INTO water_class_annual (station_id, year, method, waterbody, grade, class_rank, "
        f"status, computed_at) VALUES ('{WATER_IN}', 2025, 'gb3838', 'river', 'II', 2, '优', "
        f"now()), ('{WATER_OUT}', 2025, 'gb3838', 'river', 'IV', 4, '轻度污染', now())"
    )
    # Daily (CN 2031) emission amounts: 10 kg inside, 20 kg outside, on 2024-01-02.
    con.executemany(
        "INSERT INTO emission (mn, cn, data_time, pollutant, cou, registered, received_at) "
        "VALUES (?, '2031', TIMESTAMPTZ '2024-01-02 00:00:00+08', 'a21026', ?, TRUE, now())",
        [[d.MN_IN, 10.0], [d.MN_OUT, 20.0]],
    )
    yield built
    next(gen, None)


def get(door: Door, role: str, path: str, status: int = 200, **params: Any) -> Any:
    r = client(door, role).get(f"/api/v1/geo/{path}", params=params)
    assert r.status_code == status, r.text
    return r.json()


def post(door: Door, role: str, path: str, body: dict[str, Any], status: int = 200) -> Any:
    r = client(door, role).post(f"/api/v1/geo/{path}", json=body)
    assert r.status_code == status, r.text
    return r.json()


def test_every_route_needs_a_log_in(door: Door) -> None:
    c = TestClient(door.app, raise_server_exceptions=False)
    for r in (
        c.get("/api/v1/geo/county", params={"lon": IN_XY[0], "lat": IN_XY[1]}),
        c.get("/api/v1/geo/regions"),
        c.post("/api/v1/geo/in", json={"region": d.INSIDE}),
        c.post("/api/v1/geo/summary", json={"region": d.INSIDE, "what": "sources"}),
        c.post("/api/v1/jobs", json={"kind": "geo-reorder"}),
    ):
        assert r.status_code == 401, r.text
        assert r.headers["content-type"] == "application/problem+json"


def test_county_of_a_point(door: Door) -> None:
    from ecohub.geo.gcj02 import wgs84_to_gcj02

    lon, lat = IN_XY
    found = get(door, "public", "county", lon=lon, lat=lat)  # reference data: every role
    assert (found["code"], found["name"]) == (d.INSIDE, "朝阳区")
    assert get(door, "analyst", "county", lon=OUT_XY[0], lat=OUT_XY[1])["code"] == d.OUTSIDE
    gx, gy = wgs84_to_gcj02(np.array([lon]), np.array([lat]))
    shifted = get(door, "admin", "county", lon=float(gx[0]), lat=float(gy[0]), crs="gcj02")
    assert shifted["code"] == d.INSIDE and shifted["crs"] == "gcj02"
    sea = get(door, "admin", "county", 404, lon=122.8, lat=31.0)
    assert sea["detail"] == "122.8,31 is in no county"


def test_regions_and_their_kind(door: Door) -> None:
    codes = {r["code"]: r["kind"] for r in get(door, "public", "regions")}
    assert codes["jjj-2+26"] == "key_region" and d.INSIDE not in codes
    keys = get(door, "analyst", "regions", kind="key_region")
    assert keys and {r["kind"] for r in keys} == {"key_region"}


def _codes(rows: list[dict[str, Any]], key: str) -> set[str]:
    return {r[key] for r in rows}


def test_inside_follows_the_callers_scope(door: Door) -> None:
    beijing = {"region": "110000"}
    admin = post(door, "admin", "in", {**beijing, "what": "sources"})["items"]
    assert _codes(admin, "source_code") == {d.SRC_IN, d.SRC_OUT}
    mine = post(door, "analyst", "in", {**beijing, "what": "sources"})["items"]
    assert _codes(mine, "source_code") == {d.SRC_IN}
    stations = post(door, "inspector", "in", beijing)["items"]  # default: stations
    assert _codes(stations, "station_id") == {d.ST_IN, WATER_IN}
    # Outlets stand at their source's point.
    outlets = post(door, "analyst", "in", {**beijing, "what": "outlets"})["items"]
    assert _codes(outlets, "source_code") == {d.SRC_IN}
    assert post(door, "analyst", "in", {"region": d.OUTSIDE, "what": "sources"})["items"] == []
    circle = {"region": {"point": list(OUT_XY), "distance_m": 500}, "what": "stations"}
    assert _codes(post(door, "admin", "in", circle)["items"], "station_id") == {d.ST_OUT}
    assert post(door, "analyst", "in", circle)["items"] == []
    for role in ("enterprise", "public"):
        post(door, role, "in", beijing, 403)


def test_summaries_follow_the_callers_scope(door: Door) -> None:
    def both(body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        body = {"region": "110000", **body}
        return post(door, "admin", "summary", body), post(door, "analyst", "summary", body)

    every, mine = both({"what": "sources"})
    assert (every["sources"], mine["sources"]) == (2, 1)
    every, mine = both({"what": "air", "from": "2024-01-01", "to": "2024-01-31"})
    assert (every["stations"], mine["stations"]) == (2, 1)
    every, mine = both({"what": "water", "year": 2025})
    assert (every["assessed"], mine["assessed"]) == (2, 1)
    assert mine["by_grade"]["II"] == 1 and mine["by_grade"]["IV"] == 0
    every, mine = both({"what": "emissions", "from": "2024-01-02", "to": "2024-01-02"})
    assert every["totals"]["a21026"]["cou"] == 30.0
    assert mine["totals"]["a21026"]["cou"] == 10.0
    # The last day is inclusive: a period that ends the day before sees nothing.
    before = {"region": "110000", "what": "emissions", "from": "2024-01-01", "to": "2024-01-01"}
    assert post(door, "admin", "summary", before)["totals"] == {}
    post(door, "public", "summary", {"region": "110000", "what": "sources"}, 403)


POINT_AND_LINE = {"point": [116.4, 39.9], "line": [[1, 2]], "distance_m": 9}
BAD: list[tuple[str, str, dict[str, Any], str]] = [
    ("GET", "county", {"lon": 116.4, "lat": 39.9, "crs": "bd09"}, "crs"),
    ("GET", "county", {"lon": 200, "lat": 39.9}, "lon"),
    ("GET", "county", {"lon": 116.4, "lat": -91}, "lat"),
    ("GET", "county", {"lon": "nan", "lat": 39.9}, "lon"),
    ("GET", "county", {"lat": 39.9}, "lon"),
    ("GET", "regions", {"kind": "division"}, "kind"),
    ("POST", "in", {"region": "110105", "what": "rivers"}, "what"),
    ("POST", "in", {"region": "110105", "crs": "bd09"}, "crs"),
    ("POST", "in", {"region": ""}, "region"),
    # A region object's members by their path in the body (walk F, finding 5).
    ("POST", "in", {"region": {"point": [116.4, 39.9]}}, "region.distance_m"),
    ("POST", "in", {"region": {"point": [39.9, 116.4], "distance_m": 9}}, "region.point"),
    (
        "POST",
        "summary",
        {"region": {"line": [[39.9, 116.3], [39.95, 116.5]], "distance_m": 9}, "what": "sources"},
        "region.line",
    ),
    # A point and a line together: which one was meant? (the line is outside China too)
    ("POST", "in", {"region": POINT_AND_LINE}, "region"),
    ("POST", "summary", {"region": "110105", "what": "noise"}, "what"),
    ("POST", "summary", {"region": "110105", "what": "water"}, "year"),
    ("POST", "summary", {"region": "110105", "what": "water", "year": 1800}, "year"),
    ("POST", "summary", {"region": "110105", "what": "air", "to": "2024-01-01"}, "from"),
    ("POST", "summary", {"region": "110105", "what": "emissions", "from": "2024-01-01"}, "to"),
    ("POST", "summary", {"region": "110105", "from": "2024-02-01", "to": "2024-01-01"}, "from"),
    ("POST", "summary", {"region": "110105", "from": "2024-13-01", "to": "2024-01-01"}, "from"),
    ("POST", "summary", {"region": "110105", "from": "0001-01-01", "to": "9999-12-31"}, "from"),
    ("POST", "summary", {"region": "110105", "what": "sources", "extra": 1}, "extra"),
]


@pytest.mark.parametrize(("method", "path", "args", "field"), BAD,
                         ids=[f"{p}-{f}-{i}" for i, (_, p, _, f) in enumerate(BAD)])  # fmt: skip
def test_bad_input_is_422_naming_the_field(
    door: Door, method: str, path: str, args: dict[str, Any], field: str
) -> None:
    c = client(door, "analyst")
    if method == "GET":
        r = c.get(f"/api/v1/geo/{path}", params=args)
    else:
        r = c.post(f"/api/v1/geo/{path}", json=args)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    problem = r.json()
    assert problem["detail"].startswith(f"{field}: "), problem
    assert problem["errors"][0]["field"] == field, problem


def _circle(vertices: int) -> dict[str, Any]:
    """The walk's polygon: a 0.3° circle around Beijing with ``vertices`` vertices (and the
    closing position, which repeats the first)."""
    turns = [2 * math.pi * i / vertices for i in range(vertices)]
    ring = [[116.4 + 0.3 * math.cos(a), 39.9 + 0.3 * math.sin(a)] for a in turns]
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


def test_the_vertex_caps_are_the_same_on_the_geo_commands_routes(door: Door) -> None:
    """A 100,000-vertex polygon to /geo/summary was accepted by an assessor (1.75 s); it stays
    taken, and one vertex more is refused naming the field and the limit, as a line of 10,001
    vertices is, on /geo/in and /geo/summary alike (the console's routes: test_geo_routes)."""
    c = client(door, "analyst")
    body = {"region": {"geojson": _circle(100_000)}, "what": "sources"}
    assert c.post("/api/v1/geo/summary", json=body).status_code == 200
    line = [[116.0 + i * 1e-4, 39.9] for i in range(10_001)]
    for path, extra in (("in", {}), ("summary", {"what": "sources"})):
        for region, field, words in (
            (
                {"geojson": _circle(100_001)},
                "region.geojson",
                "has 100,001 vertices; at most 100,000",
            ),
            (
                {"line": line, "distance_m": 100},
                "region.line",
                "has 10,001 vertices; at most 10,000",
            ),
        ):
            r = c.post(f"/api/v1/geo/{path}", json={"region": region, **extra})
            assert r.status_code == 422, r.text[:300]
            assert r.json()["errors"][0]["field"] == field
            assert r.json()["errors"][0]["reason"].startswith(words)


def test_unknown_region_is_404(door: Door) -> None:
    r = client(door, "analyst").post("/api/v1/geo/in", json={"region": "999999"})
    assert r.status_code == 404 and r.json()["detail"] == "region '999999' not found"


def square(x: float, y: float, half: float) -> dict[str, Any]:
    ring = [[x - half, y - half], [x + half, y - half], [x + half, y + half], [x - half, y + half]]
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


def test_geo_jobs_are_an_admins(door: Door) -> None:
    admin = client(door, "admin")
    area = door.imports / "area.geojson"  # a server's jobs read files from its import folders
    area.write_text(json.dumps(square(*IN_XY, 0.005)), encoding="utf-8")
    load = {"kind": "geo-load", "params": {"path": str(area), "name": "农展馆周边",
                                          "kind": "custom", "code": "custom-nzg"}}  # fmt: skip
    # Not an admin: refused before anything runs.
    assert client(door, "analyst").post("/api/v1/jobs", json=load).status_code == 403
    job = follow(admin, admin.post("/api/v1/jobs", json=load))
    assert job["state"] == "done", job
    assert (job["result"]["code"], job["result"]["features"]) == ("custom-nzg", 1)
    listed = get(door, "analyst", "regions", kind="custom")
    assert [(r["code"], r["name"]) for r in listed] == [("custom-nzg", "农展馆周边")]
    inside = post(door, "analyst", "in", {"region": "农展馆周边", "what": "sources"})["items"]
    assert _codes(inside, "source_code") == {d.SRC_IN}
    # A bad file fails the job naming the feature; a relative path is refused at once.
    bad = door.imports / "bad.geojson"
    bad.write_text(json.dumps({"type": "Polygon", "coordinates": [[[116, 39], [117, 39]]]}))
    failed = follow(
        admin,
        admin.post(
            "/api/v1/jobs",
            json={"kind": "geo-load", "params": {"path": str(bad), "name": "x", "kind": "basin"}},
        ),
    )
    assert failed["state"] == "failed" and failed["error"]["status"] == 422, failed
    assert failed["error"]["errors"][0]["field"] == "params.path"
    assert "ring" in failed["error"]["detail"]
    for params, field in (
        ({"path": "area.geojson", "name": "x", "kind": "basin"}, "params.path"),
        ({"path": str(area), "name": "x", "kind": "lake"}, "params.kind"),
    ):
        r = admin.post("/api/v1/jobs", json={"kind": "geo-load", "params": params})
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == field, r.text
    # Reordering the sources keeps them all; installing again keeps the loaded region.
    reordered = follow(admin, admin.post("/api/v1/jobs", json={"kind": "geo-reorder"}))
    assert reordered["result"] == {"sources": 2}, reordered
    installed = follow(admin, admin.post("/api/v1/jobs", json={"kind": "geo-install"}))
    assert installed["state"] == "done" and installed["result"]["regions"] > 3000, installed
    assert get(door, "admin", "county", lon=IN_XY[0], lat=IN_XY[1])["code"] == d.INSIDE
    assert [r["code"] for r in get(door, "admin", "regions", kind="custom")] == ["custom-nzg"]
