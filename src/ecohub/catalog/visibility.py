"""Which catalogue entries a caller sees, and whose coverage figures: SQL, never a filter.

Every catalogue read (list, search, facets, show, data, lineage, applications, DCAT) selects
the resources through :func:`listed` and the coverage figures through :func:`figures`, both
predicates of the query itself, so totals, search counts, facets and scores count only what
the caller may see: nothing a hidden entry holds reaches Python.

- **Listed.** A ``public`` user (and an anonymous caller) sees the published open resources;
  every other role the whole catalogue except the platform's internal security tables
  (:data:`INTERNAL`: users, API keys, refresh tokens, the audit log, the sharing applications
  and decisions), which only an administrator sees, as a CKAN or a data portal keeps its user
  and key tables out of its catalogue. Their existence, columns and sizes are the attack
  surface itself (``password_hash``, ``failed_logins``, how many keys and since when).
- **Figures** (row count, time span, regions, box) count and place every row of a table, so a
  caller sees them only when it may read every one of those rows itself: a published 无条件开放
  resource (anyone reads every row), or a role that may read the table's rows
  (:func:`ecohub.catalog.grants.allowed` without grants: an admin; an analyst or inspector
  unless it is 不予共享, and for rows of no region only when 无条件共享) *and* a scope that
  holds every region of the table (nationwide, rows of no region, or every listed region
  under the caller's division). A grant does not widen this: it opens a region's rows, not the
  whole table's figures.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from ecohub.access.principal import Principal
from ecohub.access.region_scope import region_prefix
from ecohub.access.scope import region_sql
from ecohub.catalog import coverage, definitions

NEVER = "不予共享"
ALWAYS = "无条件共享"
OPEN_TO_ALL = "无条件开放"
NOT_OPEN = "不予开放"
#: The latest publication action of each resource (``pub.action``), beside ``r``.
PUBLICATION = (
    "LEFT JOIN (SELECT code, arg_max(action, id) AS action FROM catalog_publication "
    "GROUP BY code) pub ON pub.code = r.code"
)
_PUBLISHED = "coalesce(pub.action = 'publish', FALSE)"


@cache
def internal_tables() -> tuple[str, ...]:
    """The internal security tables (``tables.csv``, column ``internal``)."""
    return tuple(sorted(t for t, s in definitions.table_specs().items() if s.get("internal")))


@cache
def regional_tables() -> tuple[str, ...]:
    """The tables whose rows belong to a region (a region scope bounds them)."""
    specs = definitions.table_specs()
    return tuple(sorted(t for t in specs if coverage.scope_expression(t) is not None))


def _among(column: str, values: tuple[str, ...]) -> tuple[str, list[Any]]:
    if not values:
        return "FALSE", []
    return f"{column} IN ({', '.join('?' for _ in values)})", list(values)


def listed(p: Principal | None) -> tuple[str, list[Any]]:
    """The entries ``p`` sees, as a predicate over ``r`` (``catalog_resource``) and ``pub``
    (:data:`PUBLICATION`); ``None``: the platform itself, every entry."""
    current = "r.origin <> 'retired'"  # resources.CURRENT: a retired entry is no resource
    if p is None or p.role == "admin":
        return current, []
    hidden, params = _among("r.table_name", internal_tables())
    if p.role == "public":
        return (f"({current} AND {_PUBLISHED} AND r.open_type <> '{NOT_OPEN}' AND NOT {hidden})",
                params)  # fmt: skip
    return f"({current} AND NOT {hidden})", params


def _holds_every_region(p: Principal) -> tuple[str, list[Any]]:
    """Whether ``p``'s own scope holds every region of a table's coverage ``c``."""
    if region_sql(p, "x") == ("TRUE", []):
        return "TRUE", []
    if p.region is None or p.area is not None or not p.own_scope:
        return "FALSE", []
    try:
        prefix = region_prefix(p.region)
    except ValueError:
        return "FALSE", []
    # Every region listed, and every one under the caller's division (a list cut short at
    # coverage.MAX_REGIONS_LISTED, or nothing located, shows nothing to judge by).
    return (
        "(c.n_regions > 0 AND len(string_split(c.regions, ' ')) = c.n_regions AND NOT EXISTS "
        "(SELECT 1 FROM unnest(string_split(c.regions, ' ')) AS u(region) "
        "WHERE NOT starts_with(u.region, ?)))",
        [prefix],
    )


def figures(p: Principal | None) -> tuple[str, list[Any]]:
    """Whether ``p`` sees the coverage figures of an entry, as a boolean expression over ``r``,
    ``pub`` and ``c`` (``catalog_coverage``); ``None``: the platform, always."""
    if p is None:
        return "TRUE", []
    everyone = f"({_PUBLISHED} AND r.open_type = '{OPEN_TO_ALL}')"
    regional, rp = _among("r.table_name", regional_tables())
    if p.role == "admin":
        reads: tuple[str, list[Any]] = ("TRUE", [])
    elif p.role in ("analyst", "inspector"):
        reads = (f"(r.sharing_type <> '{NEVER}' AND ({regional} OR r.sharing_type = '{ALWAYS}'))",
                 rp)  # fmt: skip
    else:  # enterprise and public users read shared rows only through grants
        reads = ("FALSE", [])
    holds, hp = _holds_every_region(p)
    sql = f"({everyone} OR ({reads[0]} AND (NOT {regional} OR {holds})))"
    return sql, [*reads[1], *rp, *hp]
