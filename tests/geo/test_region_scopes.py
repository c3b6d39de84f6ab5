"""Users scoped to a key region or a basin polygon: what they see, count and get 404 for.

The basin is a hand-drawn square; which stations lie inside is decided here by the square's
numbers (a station 0.001° outside its edge must not be seen), independently of the service.
"""

from __future__ import annotations

import json

import duckdb
import pytest
from argon2 import PasswordHasher

from ecohub.access import login, region_sql, users
from ecohub.access.errors import InvalidInput
from ecohub.access.principal import Principal
from ecohub.geo import stations_in
from ecohub.geo.userregions import load_region
from ecohub.queries import NotFound
from ecohub.queries.stations import get_station, list_stations

PASSWORD = "correct horse battery"
# A square over eastern Beijing: lon 116.40..116.60, lat 39.85..40.05.
RING = [[116.40, 39.85], [116.60, 39.85], [116.60, 40.05], [116.40, 40.05], [116.40, 39.85]]
SQUARE = {"type": "Polygon", "coordinates": [RING]}
STATIONS = [
    ("in_a", "110105", 116.46, 39.91),  # inside the square
    ("in_b", "110105", 116.55, 40.00),  # inside
    ("edge", "110105", 116.60, 39.95),  # on the east edge: inside (boundary rule)
    ("out_near", "110105", 116.601, 39.95),  # 0.001° east of the edge: outside
    ("out_far", "310101", 121.47, 31.23),  # Shanghai
    ("no_point", "110105", None, None),  # no coordinates: by its code only
]


@pytest.fixture
def store(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    users.HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    con.executemany(
        "INSERT INTO station (station_id, network, region_code, lon, lat) "
        "VALUES (?, 'air', ?, ?, ?)",
        [(s, r, x, y) for s, r, x, y in STATIONS],
    )
    load_region(con, json.dumps(SQUARE), name="test basin", kind="basin", code="basin-test")
    return con


def _login(con: duckdb.DuckDBPyConnection, region: str) -> Principal:
    users.add_user(con, "ana", "analyst", region, [], PASSWORD)
    return login.authenticate(con, "ana", PASSWORD)


def test_basin_analyst_sees_exactly_the_stations_inside(store: duckdb.DuckDBPyConnection) -> None:
    p = _login(store, "user:basin-test")
    assert p.region == "user:basin-test" and p.area is not None
    listed = [s["station_id"] for s in list_stations(store, p)["items"]]
    assert listed == ["edge", "in_a", "in_b"]
    assert get_station(store, p, "in_a")["station_id"] == "in_a"
    for hidden in ("out_near", "out_far", "no_point"):
        with pytest.raises(NotFound):
            get_station(store, p, hidden)
    # Counting through the same predicate gives the same number.
    pred, params = region_sql(p, "region_code", lon="lon", lat="lat")
    assert store.execute(f"SELECT count(*) FROM station WHERE {pred}", params).fetchone() == (3,)
    # Query by region under that scope: only what is inside both.
    got = sorted(s["station_id"] for s in stations_in(store, p, "110105"))
    assert got == ["edge", "in_a", "in_b"]


def test_code_only_tables_use_whole_divisions_inside_never_wider(
    store: duckdb.DuckDBPyConnection,
) -> None:
    p = _login(store, "user:basin-test")
    assert p.area is not None
    # No county of Beijing lies entirely inside the small square: nothing by code alone.
    assert p.area.prefixes == ()
    pred, params = region_sql(p, "region_code")
    assert store.execute(f"SELECT count(*) FROM station WHERE {pred}", params).fetchone() == (0,)


def test_a_polygon_covering_a_whole_county_grants_that_county_by_code(
    store: duckdb.DuckDBPyConnection,
) -> None:
    wkb = store.execute(
        "SELECT geom_wkb FROM region WHERE code = '110101'"  # 东城区
    ).fetchone()
    import shapely

    dongcheng = shapely.from_wkb(bytes(wkb[0]))
    bigger = json.loads(shapely.to_geojson(shapely.box(*dongcheng.bounds).buffer(0.001)))
    load_region(store, json.dumps(bigger), name="around dongcheng", kind="custom", code="c-dc")
    p = _login(store, "user:c-dc")
    assert p.area is not None and "110101" in p.area.prefixes
    assert all(not x.startswith("110105") for x in p.area.prefixes)
    # A code-only row of Dongcheng is in; one of Chaoyang (partly inside the box?) is not.
    pred, params = region_sql(p, "c")
    got = store.execute(
        f"SELECT c FROM (VALUES ('110101'), ('110105'), ('310101')) t(c) WHERE {pred}", params
    ).fetchall()
    assert got == [("110101",)]


def test_key_region_scope_is_its_divisions(store: duckdb.DuckDBPyConnection) -> None:
    p = _login(store, "key:jjj-2+26")
    assert p.area is not None and "11" in p.area.prefixes and "12" in p.area.prefixes
    listed = [s["station_id"] for s in list_stations(store, p)["items"]]
    assert "out_far" not in listed
    assert set(listed) == {"in_a", "in_b", "edge", "out_near", "no_point"}
    with pytest.raises(NotFound):
        get_station(store, p, "out_far")


@pytest.mark.parametrize(
    "region", ["user:nothing-here", "key:basin-test", "user:jjj-2+26", "basin:basin-test"]
)
def test_unknown_or_wrong_kind_region_is_refused(
    store: duckdb.DuckDBPyConnection, region: str
) -> None:
    with pytest.raises(InvalidInput) as err:
        users.add_user(store, "ana", "analyst", region, [], PASSWORD)
    assert err.value.field == "region"


def test_unresolved_non_division_scope_sees_nothing() -> None:
    p = Principal("x", "analyst", "user:basin-test")  # no area resolved
    assert region_sql(p, "region_code", lon="lon", lat="lat") == ("FALSE", [])


def test_a_name_two_regions_share_is_refused_not_guessed(store: duckdb.DuckDBPyConnection) -> None:
    # 'test basin' as a basin (the fixture's) and as a custom region: which one is meant?
    load_region(store, json.dumps(SQUARE), name="test basin", kind="custom", code="custom-test")
    with pytest.raises(InvalidInput, match=r"several regions \(basin-test, custom-test\)") as err:
        users.add_user(store, "ana", "analyst", "user:test basin", [], PASSWORD)
    assert err.value.field == "region"
    # by code it is plain
    ana = users.add_user(store, "ana", "analyst", "user:custom-test", [], PASSWORD)
    assert ana.region == "user:custom-test"
