"""Scoped read services: every function takes a :class:`~ecohub.access.principal.Principal`
and puts its region/source predicate into the SQL before any row is read.

The API routers and the CLI both call these; they return plain data (lists of dicts, Arrow
tables for exports). An object outside the caller's scope raises :class:`NotFound` exactly as an
unknown one does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import duckdb


class QueryError(ValueError):
    """A bad argument; the message starts with the field's name (HTTP 422)."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class NotFound(LookupError):
    """No such object for this caller (unknown or outside its scope: the same answer, HTTP 404)."""

    def __init__(self, kind: str, key: str) -> None:
        super().__init__(f"{kind} {key!r} not found")
        self.kind = kind
        self.key = key


def scoped_row(
    con: duckdb.DuckDBPyConnection, sql: str, params: list[Any], kind: str, key: str
) -> dict[str, Any]:
    """The first row of ``sql`` (a query that already carries the caller's scope predicate) as
    a dict; :class:`NotFound` (``kind``, ``key``) when it has none, so an object outside the
    scope answers exactly as an unknown one."""
    rows = con.execute(sql, params).fetch_arrow_table().slice(0, 1).to_pylist()
    if not rows:
        raise NotFound(kind, key)
    return rows[0]
