"""Keyset pages: the ``after`` of a next link as SQL (rows after an item in the page order).

A collection ordered by its item id compares the id column by column. One with its own page
order (:attr:`Collection.order`, ``sources``: ``hkey``) needs the item's place in that order.
Its next links carry it (:func:`token`: ``<id>~<place>``), as keyset cursors carry their sort
key, so following one costs no lookup; a bare id (a client's own ``after``) is looked up first,
in the caller's scope: an unknown item and one outside the scope are the same 400, so ``after``
cannot tell where an unseen item lies. A place names no item: the page is the caller's rows
after it, whatever number is sent, so a made-up one shows nothing a caller may not see.
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


#: Between an item id and its place in a next link's ``after`` (unreserved in URLs, and in no
#: source code).
MARK = "~"
_PLACES = 1 << 64  # the page order's column is a UBIGINT


def token(c: Collection, item_id: str, place: Any) -> str:
    """The ``after`` of a next link after item ``item_id`` at ``place`` in ``c``'s page order
    (``c.order``'s value; the bare id for a collection ordered by its id)."""
    return item_id if c.order is None else f"{item_id}{MARK}{int(place)}"


def after_sql(c: Collection, raw: str) -> tuple[str, list[Any]]:
    """Rows after ``raw`` in the page order (the keyset of a next link): an item id, or for a
    collection with its own order a :func:`token`. Its parameters may hold an :class:`After`
    for :func:`place` to fill in."""
    parts = raw.split(".") if len(c.key) > 1 else [raw]
    if len(raw) > 200 or len(parts) != len(c.key) or not raw:
        raise OgcBadRequest("after", f"must be an item id of collection {c.id}")
    if c.order is not None:
        # Typed as the column, so the comparison stays on the column and its zone maps serve
        # (a Python int binds wider, and DuckDB would cast every value of the column instead).
        sql = f"{c.order} > CAST(? AS UBIGINT)"
        item_id, mark, place = raw.rpartition(MARK)
        if not mark:
            return sql, [After(raw)]
        if not item_id or not (place.isascii() and place.isdigit()) or int(place) >= _PLACES:
            raise OgcBadRequest("after", f"must be an item id of collection {c.id}")
        return sql, [int(place)]
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
