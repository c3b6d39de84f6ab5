"""One DuckDB habit the access services share."""

from __future__ import annotations

from typing import Any


def first(rows: list[Any]) -> Any | None:
    """The first of ``rows`` or ``None``.

    The services read with ``fetchall()`` and this, never ``fetchone()``: a ``fetchone()`` that
    leaves rows unread keeps its query (and so its transaction) open on that connection, and
    every later update of a row that transaction saw fails with a write-write conflict.
    """
    return rows[0] if rows else None
