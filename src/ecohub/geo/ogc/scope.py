"""The caller's scope on a collection as SQL, for every page and item of OGC API - Features:
the region and own-source predicates of :mod:`ecohub.access`, in the query before any row is
read."""

from __future__ import annotations

from typing import Any

from ecohub.access import Principal, region_sql, source_sql
from ecohub.access.scope import region_prefix
from ecohub.geo.ogc.collections import Collection


def scope_sql(c: Collection, p: Principal | None) -> tuple[str, list[Any]]:
    """The caller's scope on ``c`` as SQL and parameters (``TRUE`` for an open collection or
    a nationwide caller)."""
    if c.open or p is None:
        return "TRUE", []
    point = {"lon": "lon", "lat": "lat"} if c.geometry == "point" else {}
    region, rp = region_sql(p, c.region_col or "NULL", **point)
    own, op = source_sql(p, c.source_col) if c.source_col else ("TRUE", [])
    if region == "TRUE" and own == "TRUE":
        return "TRUE", []  # nationwide: said plainly, so a page can tell it reads everything
    if c.id == "regions" and p.region and ":" in p.region and p.own_scope:
        # A key-region or basin scope's own boundary (its code is no division's): the region
        # the caller works in is one it may see.
        region, rp = f"({region}) OR code = ?", [*rp, p.region.split(":", 1)[1]]
    return f"({region}) AND ({own}){_prefix_range(c, p)}", [*rp, *op]


def _prefix_range(c: Collection, p: Principal) -> str:
    """For a one-division scope (``starts_with(code, prefix)``, no grants): the same rows as a
    code range, ANDed beside it. It is implied by the prefix test (every code starting with
    ``P`` lies in ``[P, P')``, ``P'`` being ``P`` with its last digit raised by one, in
    DuckDB's byte order), so it adds no row and drops none, but DuckDB can test a range
    against each row group's min/max and skip the groups outside it, which it cannot do for
    ``starts_with``. Digits only, so the bounds are written into the SQL."""
    if c.region_col is None or p.region is None or p.area is not None or p.grants:
        return ""
    if not p.own_scope or len(p.region) != 6 or not p.region.isdigit():
        return ""
    prefix = region_prefix(p.region)
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    col = c.region_col
    return f" AND ({col} >= '{prefix}' AND {col} < '{upper}')"
