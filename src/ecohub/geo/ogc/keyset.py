"""Keyset pages: the ``after`` of a next link as SQL (rows after an item in the page order).

A collection ordered by its item id compares the id column by column. One with its own page
order (:attr:`Collection.order`, ``sources``: ``hkey``) looks the item up first, in the
caller's scope, for its place in that order: an unknown item and one outside the scope are the
same 400, so ``after`` cannot tell where an unseen item lies.
"""

from __future__ import annotations

from typing import Any

import duckdb

from ecohub.geo.ogc.collections import Collection
from ecohub.geo.ogc.errors import OgcBadRequest


class After:
    """The place of ``after``'s item in a collection with its own page order: a parameter
    that :func:`place` fills in once the item is looked up."""

    def __init__(self, item_id: str) -> None:
        self.item_id = item_id


def after_sql(c: Collection, raw: str) -> tuple[str, list[Any]]:
    """Rows after the item id ``raw`` in the page order (the keyset of a next link); its
    parameters may hold an :class:`After` for :func:`place` to fill in."""
    parts = raw.split(".") if len(c.key) > 1 else [raw]
    if len(raw) > 200 or len(parts) != len(c.key) or not raw:
        raise OgcBadRequest("after", f"must be an item id of collection {c.id}")
    if c.order is not None:
        # Typed as the column, so the comparison stays on the column and its zone maps serve
        # (a Python int binds wider, and DuckDB would cast every value of the column instead).
        return f"{c.order} > CAST(? AS UBIGINT)", [After(raw)]
    # (k1, k2) > (a, b) spelt out, so each column's comparison can use its zone maps.
    terms, params = [], []
    for i, k in enumerate(c.key):
        eq = [f"{c.key[j]} = ?" for j in range(i)]
        terms.append("(" + " AND ".join([*eq, f"{k} > ?"]) + ")")
        params += [*parts[:i], parts[i]]
    return "(" + " OR ".join(terms) + ")", params


def place(
    con: duckdb.DuckDBPyConnection, c: Collection, scope: tuple[str, list[Any]], after: After
) -> Any:
    """``after``'s item's value of ``c``'s page order, found in the caller's ``scope`` (SQL and
    parameters); 400 when there is no such item there (unknown and out of scope alike)."""
    sql, args = scope
    row = con.execute(
        f"SELECT {c.order} FROM {c.source} AS t WHERE {c.id_sql} = ? AND ({sql})",
        [after.item_id, *args],
    ).fetchone()
    if row is None:
        raise OgcBadRequest("after", f"must be an item id of collection {c.id}")
    return row[0]
