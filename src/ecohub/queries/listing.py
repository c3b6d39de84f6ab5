"""One scoped listing with a keyset cursor, for every paged route.

A service builds its *scoped* query (the caller's region / source predicate already in its
``WHERE``, no ``ORDER BY``) and hands it to a :class:`Window`, which wraps it::

    SELECT * FROM (<scoped query>) q
    WHERE q.k1 >= ? AND (q.k1 > ? OR (q.k1 = ? AND q.k2 > ?))  -- after the cursor's key
    ORDER BY q.k1, q.k2 LIMIT <page size + 1>

so DuckDB reads from the cursor's position and stops after one page (the redundant ``k1 >=``
lets the scan skip row groups by their min/max). The ``+ 1`` row says whether there is a next
page; its cursor holds the last key served and is bound to the caller and the filters
(:func:`ecohub.queries.paging.fingerprint`): a cursor is a position, never a permission — the
next page runs the same scoped query, so it cannot show another scope's rows, and a cursor
made for another caller or other filters is refused (422 naming ``cursor``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pyarrow as pa

from ecohub.access.principal import Principal
from ecohub.queries.paging import KEY_TYPES, decode_cursor, encode_cursor, fingerprint, page_size


@dataclass(frozen=True)
class Keyset:
    """The listing's order: column names of the query's output and the DuckDB type each key
    value is read back as. Together the columns must be unique (else a page could skip rows).
    Each type is one whose values a cursor's key is checked against (:data:`KEY_TYPES`)."""

    names: tuple[str, ...]
    types: tuple[str, ...]

    def __post_init__(self) -> None:
        unknown = [t for t in self.types if t.upper() not in KEY_TYPES]
        if len(self.names) != len(self.types) or unknown:
            raise ValueError(f"keyset: one checkable type per column, got {self.types}")


def _text(value: Any) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


@dataclass(frozen=True)
class Window:
    """One page of one listing for one caller: where it starts and how long it is."""

    keyset: Keyset
    size: int
    fp: str
    after: list[str] | None

    def wrap(self, sql: str, params: Sequence[Any]) -> tuple[str, list[Any]]:
        """``sql`` (scoped, unordered) limited to this page, in key order."""
        cols = [f'q."{n}"' for n in self.keyset.names]
        where, args = "TRUE", list(params)
        if self.after is not None:
            typed = [f"CAST(? AS {t})" for t in self.keyset.types]
            where = f"{cols[0]} >= {typed[0]}"
            args.append(self.after[0])
            ors = []
            for i in range(len(cols)):
                parts = [f"{cols[j]} = {typed[j]}" for j in range(i)]
                ors.append("(" + " AND ".join([*parts, f"{cols[i]} > {typed[i]}"]) + ")")
                args += self.after[: i + 1]
            where += f" AND ({' OR '.join(ors)})"
        order = ", ".join(cols)
        return (
            f"SELECT * FROM ({sql}) q WHERE {where} ORDER BY {order} LIMIT {self.size + 1}",
            args,
        )

    def _cursor(self, last: dict[str, Any]) -> str:
        return encode_cursor([_text(last[n]) for n in self.keyset.names], self.fp)

    def cut_table(self, table: pa.Table) -> tuple[pa.Table, str | None]:
        """The page (at most ``size`` rows) and the next cursor (``None`` at the end)."""
        if table.num_rows <= self.size:
            return table, None
        last = table.slice(self.size - 1, 1).to_pylist()[0]
        return table.slice(0, self.size), self._cursor(last)

    def cut_rows(
        self,
        rows: list[dict[str, Any]],
        key: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    ) -> tuple[list[dict[str, Any]], str | None]:
        """:meth:`cut_table` for rows as dicts; ``key`` gives a row's key values when they are
        not fields of the row (e.g. ``-id`` for a newest-first order)."""
        if len(rows) <= self.size:
            return rows, None
        last = rows[self.size - 1]
        return rows[: self.size], self._cursor(key(last) if key else last)


def window(
    principal: Principal,
    filters: dict[str, Any],
    keyset: Keyset,
    limit: int | None,
    cursor: str | None,
    *,
    export: bool = False,
) -> Window:
    """The page a caller asked for: ``limit`` checked, ``cursor`` checked (signed by this
    server, made for this caller and these filters, its key of the keyset's types) and decoded
    (:class:`ecohub.queries.QueryError` naming ``limit`` or ``cursor``)."""
    fp = fingerprint(principal, filters)
    size = page_size(limit, export=export)
    return Window(keyset, size, fp, decode_cursor(cursor, fp, keyset.types))
