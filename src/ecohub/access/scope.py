"""Scope predicates: what a principal may read, as SQL added to the query before it runs.

Region scope follows the GB/T 2260 tree: a code ``PPCCDD`` covers itself and every code under
it, so ``110000`` (Beijing) covers ``110105`` and ``130200`` (Tangshan) covers ``130203``.
A county scope covers exactly that county. The predicates never filter fetched rows: a service
puts them in its ``WHERE`` clause, so counts, pages and aggregates obey them too.
"""

from __future__ import annotations

from typing import Any

from ecohub.access.principal import Principal, Role
from ecohub.access.region_scope import RegionScope, point_sql, region_prefix


class AccessDenied(Exception):
    """The principal's role may not use this capability at all (HTTP 403).

    Never raised for an object outside the principal's scope: that object is simply not found,
    exactly as an unknown one (HTTP 404), so scope leaks nothing.
    """


def region_sql(
    p: Principal,
    column: str,
    *,
    lon: str | None = None,
    lat: str | None = None,
    table: str | None = None,
) -> tuple[str, list[Any]]:
    """A predicate on ``column`` (a GB/T 2260 code) limiting rows to ``p``'s region, widened
    by ``p``'s grants (each one ``OR starts_with(column, prefix)``): with ``table``, only the
    grants on that store table (a route that reads several tables names the one it filters, so
    a grant on one resource never opens another's rows).

    ``("TRUE", [])`` for a nationwide principal; rows with a NULL region are outside every
    regional scope (nobody can say whose they are). For a key-region scope: the OR of its
    divisions. For a basin / custom scope (:mod:`ecohub.access.region_scope`): with ``lon`` /
    ``lat`` (a table with point coordinates) the point must intersect the polygon; otherwise
    (or for a row without coordinates) its code must lie in a division entirely inside.
    """
    own: tuple[str, list[Any]]
    if not p.own_scope:
        own = "FALSE", []
    elif p.region is None:
        nationwide = p.role in ("admin", "analyst", "inspector", "public")
        own = ("TRUE", []) if nationwide else ("FALSE", [])
    elif p.area is None:
        if len(p.region) != 6 or not p.region.isdigit():
            own = "FALSE", []  # an unresolved non-division scope sees nothing
        else:
            own = f"starts_with({column}, ?)", [region_prefix(p.region)]
    else:
        own = area_sql(p.area, column, lon=lon, lat=lat)
    prefixes = list(dict.fromkeys(g.prefix for g in p.grants if table is None or g.table == table))
    if own[0] == "TRUE" or not prefixes:
        return own
    ors = [f"starts_with({column}, ?)" for _ in prefixes]
    if own[0] != "FALSE":
        ors.insert(0, own[0])
    return f"({' OR '.join(ors)})", [*own[1], *prefixes]


def scope_prefixes(p: Principal) -> tuple[str, ...] | None:
    """The division prefixes ``p`` covers entirely (``None``: nationwide). For a basin or
    custom scope: the divisions lying entirely inside its polygon."""
    if p.region is None:
        return None
    if p.area is not None:
        return p.area.prefixes
    if len(p.region) != 6 or not p.region.isdigit():
        return ()
    return (region_prefix(p.region),)


def area_sql(
    area: RegionScope, column: str, *, lon: str | None = None, lat: str | None = None
) -> tuple[str, list[Any]]:
    """The predicate for a resolved non-division scope (see :func:`region_sql`)."""
    if area.prefixes:
        code = "(" + " OR ".join(f"starts_with({column}, ?)" for _ in area.prefixes) + ")"
        code_pred: tuple[str, list[Any]] = (code, list(area.prefixes))
    else:
        code_pred = ("FALSE", [])
    if area.wkb is None or lon is None or lat is None:
        return code_pred
    return point_sql(area, lon, lat, code_pred)


def source_sql(p: Principal, column: str) -> tuple[str, list[Any]]:
    """A predicate on ``column`` (a source code) for enterprise users: only their own sources."""
    if p.role != "enterprise":
        return "TRUE", []
    if not p.sources:
        return "FALSE", []
    marks = ", ".join("?" for _ in p.sources)
    return f"{column} IN ({marks})", list(p.sources)


def require_role(p: Principal, *roles: Role) -> None:
    """Raise :class:`AccessDenied` unless ``p`` has one of ``roles`` (admin always passes)."""
    if p.role != "admin" and p.role not in roles:
        raise AccessDenied(f"role {p.role!r} may not do this")
