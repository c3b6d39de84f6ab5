"""Grants as part of a caller's scope on the ordinary data routes.

The door (``ecohub.api.rules.guard``) asks :func:`for_tables` which of the caller's grants are in
force today for the tables a route reads, and puts them on the principal; then
:func:`ecohub.access.scope.region_sql` adds ``OR starts_with(region, granted prefix)`` to the
query's ``WHERE`` clause, in the same place as the role's own region predicate. Nothing filters
fetched rows, and expiry needs nobody: the door remembers a caller's lookup for at most
``auth_cache_s`` seconds and only for the day it was made (a decision forgets every remembered
lookup at once: :func:`changed`), so each request uses the grants in force on its own day.

Only grants on table resources count here: a product (a filtered view of a table) can be read
through ``/api/v1/catalog/{code}/data`` alone, where its filter is applied. A resource of type
不予共享 gives nothing, even if a grant was somehow recorded for it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from datetime import date

import duckdb

from ecohub.access.principal import Grant, Principal
from ecohub.access.scope import region_prefix

NEVER = "不予共享"

_SQL = """
SELECT a.id, a.resource_code, r.table_name, coalesce(d.region, a.region)
FROM catalog_application a
JOIN catalog_decision d ON d.application_id = a.id AND d.decision = 'grant'
JOIN catalog_resource r ON r.code = a.resource_code AND r.kind = 'table'
WHERE a.applicant = ? AND r.sharing_type <> ?
  AND coalesce(d.valid_from, a.valid_from) <= ? AND ? <= coalesce(d.valid_to, a.valid_to)
ORDER BY a.id
"""


_lock = threading.Lock()
_generation = 0


def changed() -> None:
    """A decision was recorded: grants remembered by the API (``api.rules.guard``) are stale."""
    global _generation
    with _lock:
        _generation += 1


def generation() -> int:
    """Moves on every :func:`changed`; a remembered lookup counts only while it stands still."""
    return _generation


def in_force(con: duckdb.DuckDBPyConnection, user: str, day: date) -> list[Grant]:
    """``user``'s grants on table resources in force on ``day`` (China calendar)."""
    return [
        Grant(gid, code, table, region_prefix(region))
        for gid, code, table, region in con.execute(_SQL, [user, NEVER, day, day]).fetchall()
    ]


def for_tables(
    con: duckdb.DuckDBPyConnection, p: Principal, tables: Iterable[str], day: date
) -> tuple[Grant, ...]:
    """The grants of ``p`` in force on ``day`` on any of ``tables`` (none for an admin, whose
    scope grants cannot widen)."""
    wanted = set(tables)
    if p.role == "admin" or not wanted:
        return ()
    return tuple(g for g in in_force(con, p.name, day) if g.table in wanted)
