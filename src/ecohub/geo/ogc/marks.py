"""Rank marks: every :data:`EVERY`-th value of a large collection's page order, remembered by
the server, so that a deep ``offset`` page reads only the keys between two marks.

A wide page (``offset`` on a nationwide, unfiltered ``sources`` page) is otherwise a top-N of
``offset + limit + 1`` keys over the whole table: at ``offset=4900`` of the 1 M-source bench
store it kept a heap of 5,001 keys over the first row group (two with two DuckDB threads).
Between the mark at or before the page's first rank and the one at or after its last, the
same keys are a top-N of ``limit + 1`` over the ~1,000-2,000 rows between the marks, and the
zone maps skip every other row group.

A mark is a hint, never the answer. The bounded read is exact when it checks out: it counts
the rows at or before the lower mark in the same statement (their number must be the mark's
rank, or every rank after it has moved) and must return the ``limit + 1`` keys asked for
(every row the upper mark leaves out lies after every row it keeps). Otherwise rows were
added or deleted since the marks were taken: the page is read without them, and they are
taken afresh at the next page. So the marks need no hook in the code that writes sources;
they are also retaken after :data:`MAX_AGE_S`.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

import duckdb

from ecohub.geo.ogc.collections import Collection

#: One mark every this many rows (976 marks, 8 kB, for the 1 M-source bench store).
EVERY = 1024
#: Marks older than this are retaken at the next wide page (32 ms for 1 M rows).
MAX_AGE_S = 600.0


@dataclass
class _Taken:
    keys: list[int]
    at: float


@dataclass
class PageMarks:
    """The marks of each large collection with its own page order, for one store's database.
    Shared by the server's request threads; taking marks is done by one thread at a time,
    the others meanwhile read their page without a bound."""

    _taken: dict[str, _Taken] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def page_keys(
        self, con: duckdb.DuckDBPyConnection, c: Collection, offset: int, want: int
    ) -> list[tuple[Any, ...]] | None:
        """The page order's values of rows ``offset + 1`` to ``offset + want`` of the whole of
        ``c`` (in that order), read between the marks around them; ``None`` when no mark lies
        at or past the last of them, or the marks no longer fit the table (then forgotten)."""
        taken = self._taken.get(c.id)
        if taken is None or time.monotonic() - taken.at > MAX_AGE_S:
            taken = self._take(con, c)
            if taken is None:
                return None
        hi = -(-(offset + want) // EVERY) - 1  # the first mark at a rank >= offset + want
        if hi >= len(taken.keys):
            return None
        lo = offset // EVERY - 1  # the last mark at a rank <= offset (-1: none)
        below = (lo + 1) * EVERY
        col, table = c.order, c.source
        upper = f"{col} <= CAST(? AS UBIGINT)"
        if lo < 0:
            sql, args = f"SELECT {col}, 0 FROM {table} WHERE {upper}", [taken.keys[hi]]
        else:
            # The lower mark's rank is checked in the same statement: rows added or deleted
            # before it since the marks were taken would shift every rank after it.
            sql = (
                f"SELECT {col}, (SELECT count(*) FROM {table} WHERE {col} <= CAST(? AS UBIGINT)) "
                f"FROM {table} WHERE {col} > CAST(? AS UBIGINT) AND {upper}"
            )
            args = [taken.keys[lo], taken.keys[lo], taken.keys[hi]]
        rows = con.execute(
            f"{sql} ORDER BY {col} LIMIT {int(want)} OFFSET {int(offset - below)}", args
        ).fetchall()
        if len(rows) == want and rows[0][1] == below:
            return [(r[0],) for r in rows]
        self.missed(c)  # rows were deleted, or added before the lower mark, since
        return None

    def missed(self, c: Collection) -> None:
        """A bounded page came back short: forget ``c``'s marks (retaken on the next page)."""
        self._taken.pop(c.id, None)

    def _take(self, con: duckdb.DuckDBPyConnection, c: Collection) -> _Taken | None:
        if not self._lock.acquire(blocking=False):
            return None
        try:
            assert c.order is not None
            rows = con.execute(
                f"SELECT {c.order} FROM (SELECT {c.order}, row_number() OVER "
                f"(ORDER BY {c.order}) AS __rank FROM {c.source}) "
                f"WHERE __rank % {EVERY} = 0 ORDER BY {c.order}"
            ).fetchall()
            taken = _Taken([int(r[0]) for r in rows], time.monotonic())
            self._taken[c.id] = taken
            return taken
        finally:
            self._lock.release()
