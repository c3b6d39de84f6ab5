"""The per station-day sums (observation_day) give the same region means as the rows.

Expected values are worked by hand (a few rows) or computed independently in Python from the
same rows (many rows); the loader keeps the sums current, including updates and values that
become missing.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from ecohub.access.principal import SYSTEM
from ecohub.cst import CST
from ecohub.geo import observation_means
from ecohub.ingest.daysums import rebuild
from ecohub.ingest.files import load_observations, load_stations

# A drawn box around stations s0..s2; station "far" lies outside it.
BOX = {
    "geojson": {
        "type": "Polygon",
        "coordinates": [
            [[116.0, 39.0], [117.0, 39.0], [117.0, 40.0], [116.0, 40.0], [116.0, 39.0]]
        ],
    }
}


@pytest.fixture
def obs(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    con.executemany(
        "INSERT INTO station (station_id, network, lon, lat) VALUES (?, 'air', ?, ?)",
        [("s0", 116.1, 39.1), ("s1", 116.5, 39.5), ("s2", 116.9, 39.9), ("far", 120.0, 30.0)],
    )
    return con


def _insert(con: duckdb.DuckDBPyConnection, rows: list[tuple[str, datetime, float | None]]) -> None:
    con.executemany(
        "INSERT INTO observation (station_id, parameter, period, time, value, unit) "
        "VALUES (?, 'a34004', '1h', ?, ?, 'ug/m3')",
        rows,
    )


def test_partial_edge_days_and_whole_days_hand_worked(obs: duckdb.DuckDBPyConnection) -> None:
    t = datetime(2025, 3, 1, tzinfo=CST)
    _insert(obs, [
        ("s0", t + timedelta(hours=22), 1.0),   # 03-01 22:00, before the range's start
        ("s0", t + timedelta(hours=23), 3.0),   # 03-01 23:00, partial first day
        ("s1", t + timedelta(hours=30), 5.0),   # 03-02 06:00, whole day
        ("s2", t + timedelta(hours=40), 9.0),   # 03-02 16:00, whole day
        ("far", t + timedelta(hours=40), 1000.0),  # outside the box
        ("s1", t + timedelta(hours=48), 7.0),   # 03-03 00:00, partial last day (inside)
        ("s1", t + timedelta(hours=50), 11.0),  # 03-03 02:00, at the range's end: excluded
        ("s2", t + timedelta(hours=44), float("nan")),  # not finite: not counted
        ("s2", t + timedelta(hours=45), None),  # missing: not counted
    ])  # fmt: skip
    rebuild(obs)
    start, end = t + timedelta(hours=23), t + timedelta(hours=50)
    expected = [
        {"date": date(2025, 3, 1), "mean": 3.0, "min": 3.0, "max": 3.0, "n": 1},
        {"date": date(2025, 3, 2), "mean": 7.0, "min": 5.0, "max": 9.0, "n": 2},
        {"date": date(2025, 3, 3), "mean": 7.0, "min": 7.0, "max": 7.0, "n": 1},
    ]
    for use_days in (True, False):
        out = observation_means(
            obs, SYSTEM, BOX, parameter="a34004", start=start, end=end, use_days=use_days
        )
        assert out["stations"] == 3
        assert out["daily"] == expected


def test_sums_agree_with_rows_on_random_data(obs: duckdb.DuckDBPyConnection) -> None:
    rng = random.Random(11)
    t0 = datetime(2024, 12, 30, tzinfo=CST)
    rows = [
        (sid, t0 + timedelta(hours=h), round(rng.uniform(0, 300), 1))
        for sid in ("s0", "s1", "s2", "far")
        for h in range(24 * 6)
        if rng.random() < 0.8
    ]
    _insert(obs, rows)
    rebuild(obs)
    start, end = t0 + timedelta(hours=7), t0 + timedelta(hours=24 * 5 + 3)
    # Independent: group the rows in Python by CST day.
    by_day: dict[date, list[float]] = {}
    for sid, t, v in rows:
        if sid != "far" and start <= t < end:
            by_day.setdefault(t.astimezone(CST).date(), []).append(v)
    fast = observation_means(obs, SYSTEM, BOX, parameter="a34004", start=start, end=end)
    slow = observation_means(
        obs, SYSTEM, BOX, parameter="a34004", start=start, end=end, use_days=False
    )
    assert [d["date"] for d in fast["daily"]] == sorted(by_day)
    for got, other in zip(fast["daily"], slow["daily"], strict=True):
        values = by_day[got["date"]]
        assert got["n"] == other["n"] == len(values)
        assert got["min"] == other["min"] == min(values)
        assert got["max"] == other["max"] == max(values)
        assert got["mean"] == pytest.approx(sum(values) / len(values), rel=1e-12)
        assert other["mean"] == pytest.approx(got["mean"], rel=1e-12)


def test_loader_keeps_the_sums_current(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    st = tmp_path / "st.csv"
    st.write_text("station_id,name,lon,lat\nS1,a,116.4,39.9\nS2,b,116.5,39.95\n")
    load_stations(con, st)
    f = tmp_path / "obs.csv"
    f.write_text(
        "station_id,time,PM2.5\nS1,2025-01-01 00:00,10\nS1,2025-01-01 01:00,20\n"
        "S2,2025-01-01 05:00,60\nS1,2025-01-02 00:00,8\n"
    )
    load_observations(con, f)

    def days() -> list[tuple]:
        return con.execute(
            "SELECT station_id, day, n, total, lo, hi FROM observation_day "
            "WHERE parameter = 'a34004' ORDER BY station_id, day"
        ).fetchall()

    assert days() == [
        ("S1", date(2025, 1, 1), 2, 30.0, 10.0, 20.0),
        ("S1", date(2025, 1, 2), 1, 8.0, 8.0, 8.0),
        ("S2", date(2025, 1, 1), 1, 60.0, 60.0, 60.0),
    ]
    # A second file changes one value and adds one hour; other days stay as they were.
    g = tmp_path / "obs2.csv"
    g.write_text("station_id,time,PM2.5\nS1,2025-01-01 01:00,40\nS2,2025-01-01 06:00,20\n")
    load_observations(con, g)
    assert days() == [
        ("S1", date(2025, 1, 1), 2, 50.0, 10.0, 40.0),
        ("S1", date(2025, 1, 2), 1, 8.0, 8.0, 8.0),
        ("S2", date(2025, 1, 1), 2, 80.0, 20.0, 60.0),
    ]
    # A rebuild from the rows gives the same table.
    before = days()
    rebuild(con)
    assert days() == before
