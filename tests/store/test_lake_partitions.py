"""Readers name the lake partitions they need: the same rows, fewer files opened."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from ecohub.access.principal import Principal
from ecohub.cst import CST
from ecohub.queries.stations import observations
from ecohub.settings import Settings
from ecohub.store import lake, lake_where
from ecohub.store.lake_compact import compact

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
ADMIN = Principal("root", "admin", None)


def _load(con: duckdb.DuckDBPyConnection, station: str, t: datetime, value: float) -> None:
    con.execute(
        "INSERT INTO station (station_id, name, network, region_code, source) "
        "VALUES (?, ?, 'air', '110105', 'test') ON CONFLICT DO NOTHING",
        [station, station],
    )
    con.execute(
        "INSERT INTO observation (station_id, parameter, period, time, value, unit, "
        "below_detection, source) VALUES (?, 'a34004', '1h', ?, ?, 'ug/m3', false, 'test')",
        [station, t, value],
    )


def _files_read(con: duckdb.DuckDBPyConnection, sql: str, params: list[object], tmp: Path) -> int:
    """Parquet files DuckDB opened for ``sql`` (its profile's "Total Files Read")."""
    return _files_read_by(con, lambda: con.execute(sql, params).fetchall(), tmp)


def _files_read_by(con: duckdb.DuckDBPyConnection, run: Callable[[], object], tmp: Path) -> int:
    """Parquet files DuckDB opened for the last statement ``run`` made on ``con``."""
    out = tmp / "profile.json"
    con.execute("PRAGMA enable_profiling = 'json'")
    con.execute(f"PRAGMA profiling_output = '{out}'")
    try:
        run()
    finally:
        con.execute("PRAGMA disable_profiling")

    def walk(node: dict[str, object]) -> int:
        info = node.get("extra_info") or {}
        here = int(info.get("Total Files Read", 0)) if isinstance(info, dict) else 0
        return here + sum(walk(c) for c in node.get("children", []))  # type: ignore[union-attr]

    return walk(json.loads(out.read_text()))


@pytest.fixture
def history(con: duckdb.DuckDBPyConnection, settings: Settings) -> duckdb.DuckDBPyConnection:
    """Hourly values of two stations in August, September and October 2026 (CST), moved to
    the lake; one live value stays hot."""
    for month in (8, 9, 10):
        for station in ("S1", "S2"):
            for h in range(3):
                _load(con, station, datetime(2026, month, 10, h, tzinfo=CST), month * 10.0 + h)
    # 2026-09-30 16:30 UTC is 00:30 on 1 October in CST: the October partition.
    _load(con, "S1", datetime(2026, 9, 30, 16, 30, tzinfo=UTC), 77.0)
    _load(con, "S1", NOW - timedelta(hours=1), 99.0)
    compact(con, settings, now=NOW)
    assert con.execute("SELECT count(*) FROM observation").fetchone() == (1,)
    return con


def test_partitions_of_a_time_range_are_its_cst_months() -> None:
    # [1 Sep, 1 Oct) CST: the end is excluded, so October is not needed.
    start, end = datetime(2026, 9, 1, tzinfo=CST), datetime(2026, 10, 1, tzinfo=CST)
    assert lake_where.partition_where("observation", "o", start=start, end=end) == (
        ["(o.month IS NULL OR o.month BETWEEN ? AND ?)"],
        ["2026-09", "2026-09"],
    )
    # An instant late on 30 September in UTC is already October in CST.
    late = datetime(2026, 9, 30, 16, 30, tzinfo=UTC)
    assert lake_where.partition_where("observation", start=late)[1] == ["2026-10", "9999-99"]
    # A naive time is read in the session's zone, whichever that is: 20:00 on 30 September is
    # still September in UTC and already October in CST, so both months are read.
    naive = datetime(2026, 9, 30, 20, 0)
    assert lake_where.partition_where("observation", start=naive, end=naive)[1] == [
        "2026-09",
        "2026-10",
    ]
    # A station names its bucket: the first hex digit of the MD5 of its id.
    assert lake_where.partition_where("observation", key="S1")[1] == [lake.bucket_of("S1")]
    with pytest.raises(lake.LakeError):
        lake_where.partition_where("station")


def test_a_month_range_reads_only_its_files_and_the_same_rows(
    history: duckdb.DuckDBPyConnection, settings: Settings, tmp_path: Path
) -> None:
    con = history
    start, end = datetime(2026, 9, 1, tzinfo=CST), datetime(2026, 12, 1, tzinfo=CST)
    base = "SELECT station_id, time, value FROM observation_all o WHERE o.time >= ? AND o.time < ?"
    parts, pp = lake_where.partition_where("observation", "o", start=start, end=end)
    narrowed = f"{base} AND {' AND '.join(parts)}"
    every = con.execute(f"{base} ORDER BY ALL", [start, end]).fetchall()
    assert con.execute(f"{narrowed} ORDER BY ALL", [start, end, *pp]).fetchall() == every
    # September's and October's rows from the lake, the live one from the hot table.
    assert len(every) == 2 * 3 * 2 + 1 + 1
    files = lake.paths(settings, "observation")
    wanted = [f for f in files if "/month=2026-09/" in f or "/month=2026-10/" in f]
    assert 0 < len(wanted) < len(files)
    assert _files_read(con, base, [start, end], tmp_path) >= len(files)
    assert _files_read(con, narrowed, [start, end, *pp], tmp_path) == len(wanted)


def test_the_observation_page_names_its_partitions(
    history: duckdb.DuckDBPyConnection, settings: Settings, tmp_path: Path
) -> None:
    con = history
    table, _ = observations(con, ADMIN, station="S1", start="2026-10-01", end="2026-11-01")
    times, values = table.column("time").to_pylist(), table.column("value").to_pylist()
    got = sorted(zip(times, values, strict=True))
    # The value of 00:30 CST on 1 October is October's, though its UTC date is 30 September.
    assert [v for _, v in got] == [77.0, 100.0, 101.0, 102.0]
    # The page's statement opened S1's October file only (of six months x buckets).
    files = [f for f in lake.paths(settings, "observation")
             if "/month=2026-10/" in f and f"/bucket={lake.bucket_of('S1')}/" in f]  # fmt: skip
    page = _files_read_by(
        con, lambda: observations(con, ADMIN, station="S1", start="2026-10-01", end="2026-11-01"),
        tmp_path,
    )  # fmt: skip
    assert page == len(files) == 1
    assert len(lake.paths(settings, "observation")) > 1
