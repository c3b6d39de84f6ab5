"""Repeats, hot spots and candidate sources on hand-placed complaints, with hand-worked answers.

Points are placed in metres from a centre with the spherical formulas written here (radius
6 371 008.8 m): ``dlat = m / R`` and ``dlon = m / (R cos lat)``, in radians.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone

import duckdb
import pytest

from ecohub.complaints.analyse import analyse
from ecohub.store.db import connect

CST = timezone(timedelta(hours=8))
R = 6_371_008.8
LON0, LAT0 = 116.40, 39.90
T0 = datetime(2026, 10, 1, 8, 0, tzinfo=CST)


def at(east_m: float, north_m: float) -> tuple[float, float]:
    lat = LAT0 + math.degrees(north_m / R)
    lon = LON0 + math.degrees(east_m / (R * math.cos(math.radians(LAT0))))
    return lon, lat


def put(con, cid, when, category, topic, point=None, address=None, region="110101"):  # type: ignore[no-untyped-def]
    lon, lat = point if point else (None, None)
    con.execute(
        "INSERT INTO complaint (complaint_id, received_at, text, address_norm, region_code, lon, "
        "lat, category, topic, row_hash, loaded_at) VALUES (?, ?, 'x', ?, ?, ?, ?, ?, ?, 'h', "
        "now())",
        [cid, when, address, region, lon, lat, category, topic],
    )


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    c = connect(":memory:")
    # A: five odour complaints within 50 m of the centre over two days (symmetric: the
    # centroid is the centre).
    for i, (e, n) in enumerate([(0, 0), (50, 0), (-50, 0), (0, 50), (0, -50)]):
        put(c, f"A{i}", T0 + timedelta(hours=12 * i), "air", "odour", at(e, n))
    # B: five industrial-noise complaints at one place, 20 days apart: never dense in time.
    for i in range(5):
        put(c, f"B{i}", T0 + timedelta(days=20 * i), "noise", "industrial_noise", at(5000, 0))
    # C: three dust complaints within 30 m on one day: repeats, but too few for a hot spot.
    for i, e in enumerate((0, 20, 30)):
        put(c, f"C{i}", T0 + timedelta(hours=2 * i), "air", "dust", at(e, 8000))
    # D: no points; the same normalised address, two of one topic two days apart, one other.
    put(c, "D0", T0, "water", "wastewater_discharge", address="幸福街1号")
    put(c, "D1", T0 + timedelta(days=2), "water", "wastewater_discharge", address="幸福街1号")
    put(c, "D2", T0 + timedelta(days=3), "noise", "social_noise", address="幸福街1号")
    put(c, "D3", T0 + timedelta(days=12), "water", "wastewater_discharge", address="幸福街1号")
    sources = [
        ("S_CHEM", "某化工有限公司", "2614", *at(0, 300)),   # fits odour, 300 m north
        ("S_FURN", "某家具厂", "2110", *at(200, 0)),          # furniture: fits VOCs, not odour
        ("S_FAR", "远处化工厂", "2614", *at(0, 4000)),        # beyond the 3 km radius
    ]  # fmt: skip
    c.executemany(
        "INSERT INTO source (source_code, name, industry, lon, lat) VALUES (?, ?, ?, ?, ?)",
        sources,
    )
    # Wind at a station at the centre: from the north (0°) at A0's time only.
    c.execute("INSERT INTO station (station_id, name, network, lon, lat) "
              "VALUES ('W1', 'w', 'air', ?, ?)", [LON0, LAT0])  # fmt: skip
    c.execute(
        "INSERT INTO observation (station_id, parameter, period, time, value, unit, source) "
        "VALUES ('W1', 'a01008', '1h', ?, 0.0, 'degree', 'test')",
        [T0],
    )
    assert analyse(c)["hotspots"] == 1
    yield c
    c.close()


def test_one_hot_spot_of_the_five_close_complaints(con: duckdb.DuckDBPyConnection) -> None:
    spots = con.execute(
        "SELECT hotspot_id, category, topic, n_complaints, lon, lat, radius_m FROM "
        "complaint_hotspot"
    ).fetchall()
    assert len(spots) == 1
    hid, cat, topic, n, lon, lat, radius = spots[0]
    assert (hid, cat, topic, n) == ("HA0", "air", "odour", 5)
    assert lon == pytest.approx(LON0, abs=1e-6) and lat == pytest.approx(LAT0, abs=1e-6)
    assert radius == pytest.approx(50.0, abs=0.2)
    members = con.execute("SELECT complaint_id FROM complaint WHERE hotspot_id = 'HA0' "
                          "ORDER BY 1").fetchall()  # fmt: skip
    assert [m[0] for m in members] == ["A0", "A1", "A2", "A3", "A4"]


def test_repeats(con: duckdb.DuckDBPyConnection) -> None:
    rows = dict(con.execute("SELECT complaint_id, repeat_of FROM complaint").fetchall())
    # A: all within 200 m and a week of A0; C: the same; B: 20 days apart, no repeats.
    assert [rows[f"A{i}"] for i in range(5)] == [None, "A0", "A0", "A0", "A0"]
    assert [rows[f"C{i}"] for i in range(3)] == [None, "C0", "C0"]
    assert all(rows[f"B{i}"] is None for i in range(5))
    # D: same address and topic two days apart; another topic is no repeat; 10 days is too late.
    assert (rows["D0"], rows["D1"], rows["D2"], rows["D3"]) == (None, "D0", None, None)


def test_candidates_fit_the_topic_and_score_by_hand(con: duckdb.DuckDBPyConnection) -> None:
    got = con.execute(
        "SELECT complaint_id, source_code, distance_m, industry_fit, upwind, score, rank "
        "FROM complaint_candidate WHERE complaint_id = 'A0'"
    ).fetchall()
    # Only the chemical plant: the furniture plant does not fit odour, the far one is too far.
    # Wind from the north and the plant to the north: upwind.
    # score = 0.5·(1 − 300/3000) + 0.35·1 + 0.15·1 = 0.95
    assert len(got) == 1
    cid, code, dist, fit, up, score, rank = got[0]
    assert (cid, code, fit, up, rank) == ("A0", "S_CHEM", 1.0, True, 1)
    assert dist == pytest.approx(300.0, abs=0.1)
    assert score == pytest.approx(0.95, abs=1e-4)
    # A4 sits 50 m south (350 m from the plant) and no wind is known at its time:
    # 0.5·(1 − 350/3000) + 0.35 + 0.15·0.5 = 0.866667
    a4 = con.execute("SELECT upwind, score FROM complaint_candidate WHERE complaint_id = 'A4'")
    assert a4.fetchone() == (None, pytest.approx(0.866667, abs=1e-4))


def test_the_shared_interface_rows(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute(
        "SELECT complaint_id, source_code, received_at, topic FROM complaint_source "
        "WHERE complaint_id = 'A0'"
    ).fetchall()
    # received_at is the CST wall time without zone (CST months for the risk score).
    assert rows == [("A0", "S_CHEM", datetime(2026, 10, 1, 8, 0), "odour")]
    n = con.execute("SELECT count(*) FROM complaint_source").fetchone()
    assert n == (5,)  # the five odour complaints; dust, noise and water have no fitting source


def test_hot_spot_candidates(con: duckdb.DuckDBPyConnection) -> None:
    got = con.execute("SELECT source_code, distance_m, score, rank FROM complaint_hotspot_source "
                      "WHERE hotspot_id = 'HA0'").fetchall()  # fmt: skip
    # reach = 3000 + 50 (its radius); wind = mean(1, 0.5, 0.5, 0.5, 0.5) = 0.6
    # score = 0.5·(1 − 300/3050) + 0.35·1 + 0.15·0.6 = 0.890820
    assert len(got) == 1
    assert got[0][0] == "S_CHEM" and got[0][3] == 1
    assert got[0][1] == pytest.approx(300.0, abs=0.2)
    assert got[0][2] == pytest.approx(0.890820, abs=2e-4)


def test_rerun_gives_the_same_result(con: duckdb.DuckDBPyConnection) -> None:
    before = con.execute("SELECT * FROM complaint_candidate ORDER BY ALL").fetchall()
    assert analyse(con)["hotspots"] == 1
    assert con.execute("SELECT * FROM complaint_candidate ORDER BY ALL").fetchall() == before
