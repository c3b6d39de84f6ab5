"""Rank marks (ecohub.geo.ogc.marks) end a wide ``sources`` page's scan at a key at or past the
page's last rank. They are hints: the pages are the same with and without them, also after rows
were deleted or added since the marks were taken. The rows here have page keys 10, 20, …,
50,000 (the i-th row in key order has key 10 i), given in an order unlike their codes and their
insertion order, so the expected ids of a page and the expected marks are worked out by hand
from the keys."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import duckdb
import pytest

from ecohub.access.principal import Principal
from ecohub.geo.ogc import items
from ecohub.geo.ogc.collections import get
from ecohub.geo.ogc.marks import EVERY, PageMarks

N = 5000
ADMIN = Principal("u_admin", "admin", None, via="apikey")
CHAOYANG = Principal("u_a", "analyst", "110105", via="apikey")


def _code(rank: int) -> str:
    """The code of the row whose key is ``10 * rank`` (codes in an order unlike the keys)."""
    return f"H9110105{(rank * 7919) % 100_000:010d}001P"


@pytest.fixture()
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    from ecohub.store.db import connect

    c = connect(":memory:")
    ranks = [1 + (i * 3001) % N for i in range(N)]  # 3001 is prime to 5000: each rank once
    c.executemany(
        "INSERT INTO source (source_code, name, region_code, lon, lat, hkey) "
        "VALUES (?, ?, '110105', 116.4, 39.9, ?)",
        [(_code(r), f"name {r}", 10 * r) for r in ranks],
    )
    yield c
    c.close()


class Recorder:
    """A cursor that keeps the SQL it is given (the real DuckDB cursor runs it)."""

    def __init__(self, cur: duckdb.DuckDBPyConnection) -> None:
        self.cur, self.sql, self.params = cur, [], []  # type: list[str], list[Any]

    def execute(self, sql: str, params: Any = None) -> duckdb.DuckDBPyConnection:
        self.sql.append(sql)
        self.params.append(params)
        return self.cur.execute(sql, params or [])


def _page(
    con: duckdb.DuckDBPyConnection, p: Principal, marks: PageMarks | None, **params: Any
) -> tuple[list[str], Recorder]:
    rec = Recorder(con.cursor())
    try:
        body = items(rec, p, "http://x/ogc", "sources", {k: str(v) for k, v in params.items()},
                     marks=marks)  # type: ignore[arg-type]  # fmt: skip
    finally:
        rec.cur.close()
    return [f["id"] for f in body["features"]], rec


def _how(rec: Recorder) -> str:
    """How a wide page's keys were read: ``bounded`` (by a mark, once), ``retried`` (by a mark,
    then again without: the mark fell short) or ``whole`` (no mark)."""
    keys = [s for s in rec.sql if s.startswith("SELECT hkey") and " LIMIT " in s]
    bounded = tuple("hkey <= CAST(? AS UBIGINT)" in s for s in keys)
    return {(True,): "bounded", (True, False): "retried", (False,): "whole"}[bounded]


@pytest.mark.parametrize("limit", [1, 100, 1000])
def test_offset_pages_with_marks_are_the_pages_by_their_keys(
    con: duckdb.DuckDBPyConnection, limit: int
) -> None:
    marks = PageMarks()
    for offset in (0, 923, 1022, 1023, 1024, 2047, 3000, 3071, 3072, 4899, 4999):
        ranks = range(offset + 1, min(offset + limit, N) + 1)
        got, rec = _page(con, ADMIN, marks, limit=limit, offset=offset)
        assert got == [_code(r) for r in ranks], (offset, limit)
        # The page's last rank asked for is offset + limit + 1 (one more row tells whether a
        # next page exists); the marks lie at ranks 1024, 2048, 3072, 4096, so a page ending
        # after rank 4096 is read without a bound.
        assert _how(rec) == ("bounded" if offset + limit + 1 <= 4096 else "whole"), (offset, limit)


def test_page_keys_are_read_between_the_marks_around_them(
    con: duckdb.DuckDBPyConnection,
) -> None:
    marks, sources = PageMarks(), get("sources")
    assert EVERY == 1024
    # Rank r has key 10 r; the marks are ranks 1024, 2048, 3072 and 4096.
    for offset, want in ((0, 1), (0, 1024), (1023, 1), (1024, 1), (1500, 101), (2047, 2049)):
        rec = Recorder(con.cursor())
        keys = marks.page_keys(rec, sources, offset, want)  # type: ignore[arg-type]
        assert keys == [(10 * r,) for r in range(offset + 1, offset + want + 1)]
        lower, upper = offset // 1024 * 1024, -(-(offset + want) // 1024) * 1024
        sql = rec.sql[-1]
        assert f"LIMIT {want} OFFSET {offset - lower}" in sql
        assert ("count(*)" in sql) == (lower > 0)  # the lower mark's rank checked
        assert rec.params[-1] == ([10 * lower] * 2 if lower else []) + [10 * upper]
    assert marks.page_keys(con, sources, 4000, 97) is None  # rank 4097: past the last mark
    rec = Recorder(con.cursor())
    assert marks.page_keys(rec, sources, 4000, 96) is not None  # type: ignore[arg-type]
    assert rec.params[-1] == [30_720, 30_720, 40_960]  # no new marks taken


def test_rows_deleted_since_the_marks_were_taken_leave_the_pages_right(
    con: duckdb.DuckDBPyConnection,
) -> None:
    marks = PageMarks()
    _page(con, ADMIN, marks, limit=100, offset=0)  # marks taken over all 5,000 rows
    # Ranks 1..1500 gone: the old mark at rank 1024 (key 10,240) now bounds no row at all, and
    # the one at rank 2048 (key 20,480) only 548.
    con.execute("DELETE FROM source WHERE hkey <= 15000")
    got, rec = _page(con, ADMIN, marks, limit=100, offset=0)
    assert got == [_code(r) for r in range(1501, 1601)]
    assert _how(rec) == "retried"  # tried with the stale mark, then read again without it
    got, rec = _page(con, ADMIN, marks, limit=100, offset=600)
    assert got == [_code(r) for r in range(2101, 2201)]
    assert _how(rec) == "bounded"  # marks retaken: rank 701 lies before the first new mark


def test_rows_added_since_the_marks_were_taken_are_on_their_pages(
    con: duckdb.DuckDBPyConnection,
) -> None:
    marks = PageMarks()
    _page(con, ADMIN, marks, limit=100, offset=0)
    # 200 new rows with keys 5, 15, …, 1995: between ranks 0-1, 1-2, …, 199-200.
    new = [(f"H9110105{9_000_000_000 + j:010d}001P", 10 * j + 5) for j in range(200)]
    con.executemany(
        "INSERT INTO source (source_code, name, region_code, lon, lat, hkey) "
        "VALUES (?, 'new', '110105', 116.4, 39.9, ?)",
        new,
    )
    in_order = sorted([(10 * r, _code(r)) for r in range(1, N + 1)] + [(k, c) for c, k in new])
    for offset in (0, 350, 900):  # before the first mark: bounded above only
        got, rec = _page(con, ADMIN, marks, limit=100, offset=offset)
        assert got == [c for _, c in in_order[offset : offset + 100]]
        assert _how(rec) == "bounded"
    # Past the first mark its rank no longer holds (200 rows were added before it): the page
    # is read without the marks, which are then taken afresh.
    got, rec = _page(con, ADMIN, marks, limit=100, offset=1500)
    assert got == [c for _, c in in_order[1500:1600]] and _how(rec) == "retried"
    got, rec = _page(con, ADMIN, marks, limit=100, offset=1500)
    assert got == [c for _, c in in_order[1500:1600]] and _how(rec) == "bounded"


def test_narrowed_and_after_pages_take_no_bound(con: duckdb.DuckDBPyConnection) -> None:
    marks = PageMarks()
    got, rec = _page(con, CHAOYANG, marks, limit=50, offset=100)
    assert got == [_code(r) for r in range(101, 151)]
    assert not any("<= CAST" in s for s in rec.sql)
    token = f"{_code(100)}~1000"  # a next link after rank 100
    got, rec = _page(con, ADMIN, marks, limit=50, offset=100, after=token)
    assert got == [_code(r) for r in range(101, 151)] and _how(rec) == "whole"
