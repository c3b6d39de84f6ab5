"""The emissions listing without a device or start time: newest first, month by month, over
the hot rows and the lake, each row on exactly one page."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from ecohub.access.principal import SYSTEM
from ecohub.queries import QueryError
from ecohub.queries.hj212 import emissions
from ecohub.settings import Settings, get_settings
from ecohub.store import lake
from ecohub.store.db import connect
from ecohub.store.lake_compact import compact

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def con(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[duckdb.DuckDBPyConnection]:
    monkeypatch.setenv("ECOHUB_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("ECOHUB_NODE_ID", "n1")
    get_settings.cache_clear()
    c = connect(get_settings().database)
    assert lake.attach(c, get_settings())
    for mn in ("MN000000000000000001", "MN000000000000000002"):
        c.execute("INSERT INTO monitor_point (mn) VALUES (?)", [mn])
    # Four months of two devices, a row every 5 days, then the settled ones compacted.
    for d in range(0, 120, 5):
        for mn in ("MN000000000000000001", "MN000000000000000002"):
            c.execute(
                "INSERT INTO emission (mn, cn, data_time, pollutant, avg, fields, received_at) "
                "VALUES (?, '2051', ?, 'a21026', ?, '{}', now())",
                [mn, NOW - timedelta(days=d), float(d)],
            )
    compact(c, get_settings())
    yield c
    c.close()
    get_settings.cache_clear()


def test_pages_walk_every_row_newest_first_once(con: duckdb.DuckDBPyConnection) -> None:
    assert lake.paths(get_settings(), "emission"), "some rows should be in the lake"
    assert con.execute("SELECT count(*) FROM emission").fetchone() != (0,), "some still hot"
    want = con.execute(
        "SELECT data_time, mn FROM emission_all ORDER BY data_time DESC, mn"
    ).fetchall()
    seen: list[tuple[object, ...]] = []
    cursor = None
    pages = 0
    while True:
        table, cursor = emissions(con, SYSTEM, limit=7, cursor=cursor)
        seen += [(r["data_time"], r["mn"]) for r in table.to_pylist()]
        pages += 1
        if cursor is None:
            break
    assert seen == want
    assert pages == -(-len(want) // 7)


def test_filters_and_cursor_binding(con: duckdb.DuckDBPyConnection) -> None:
    table, cursor = emissions(con, SYSTEM, pollutant="a21026", limit=3)
    assert table.num_rows == 3 and cursor is not None
    assert table.column("data_time").to_pylist()[0] == max(
        r[0] for r in con.execute("SELECT data_time FROM emission_all").fetchall()
    )
    with pytest.raises(QueryError, match="cursor"):  # made for other filters
        emissions(con, SYSTEM, limit=3, cursor=cursor)
    none, _ = emissions(con, SYSTEM, pollutant="a99999")
    assert none.num_rows == 0


def test_end_bound_without_start(con: duckdb.DuckDBPyConnection) -> None:
    end = NOW - timedelta(days=60)
    table, _ = emissions(con, SYSTEM, end=end.isoformat(), limit=1000)
    assert table.num_rows == 2 * len(range(65, 120, 5))
    assert all(t < end for t in table.column("data_time").to_pylist())


def test_a_device_listing_keeps_its_order(con: duckdb.DuckDBPyConnection) -> None:
    table, _ = emissions(con, SYSTEM, mn="MN000000000000000001", limit=1000)
    times = table.column("data_time").to_pylist()
    assert times == sorted(times) and len(times) == 24


def test_months_lists_lake_and_hot_months_newest_first(con: duckdb.DuckDBPyConnection) -> None:
    got = lake.months(con, get_settings(), "emission")
    assert got is not None and got == sorted(got, reverse=True)
    assert lake.month_of(NOW) == got[0]
    assert lake.month_of(NOW - timedelta(days=115)) == got[-1]
    assert lake.months(con, Settings(lake="s3://b/lake"), "emission") is None
    assert lake.month_bounds("2026-12") == (
        datetime(2026, 11, 30, 16, tzinfo=UTC), datetime(2026, 12, 31, 16, tzinfo=UTC))  # fmt: skip
