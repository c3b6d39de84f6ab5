"""What the CLI and the API call: list, show, search, lineage, data, sharing, open data, DCAT.

Every function takes the caller's :class:`~ecohub.access.principal.Principal` and returns plain
data. A ``public`` user (and an anonymous caller) sees only the published open resources; other
roles see the whole catalogue but the internal security tables, which only an administrator
sees (a resource's existence and terms are not secret, its rows are: :func:`data` reads them
through :func:`ecohub.catalog.grants.allowed`; its coverage figures only who may read every row
sees). Both are predicates of the queries: :mod:`ecohub.catalog.visibility`.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime
from typing import Any

import duckdb

from ecohub.access import audit
from ecohub.access.principal import ANONYMOUS, Principal
from ecohub.access.scope import AccessDenied
from ecohub.catalog import applications as apps
from ecohub.catalog import (
    coverage,
    dcat_terms,
    grants,
    lineage,
    resources,
    revocation,
    rows,
    search,
)
from ecohub.catalog._time import iso
from ecohub.catalog.dcat_export import export_dcat, export_open_dcat
from ecohub.catalog.items import items as data_items
from ecohub.catalog.opendata import (
    BULK,
    open_resources,
    publish,
    require_open,
    require_open_resource,
    withdraw,
)
from ecohub.catalog.state import _summaries, _visible, coverages, ensure
from ecohub.queries import NotFound, QueryError

__all__ = [
    "BULK",
    "NotShared",
    "application",
    "applications",
    "apply",
    "data",
    "decide",
    "ensure",
    "export_dcat",
    "export_open_dcat",
    "lineage_of",
    "list_resources",
    "open_data",
    "open_resources",
    "publish",
    "refresh",
    "require_open",
    "show",
    "withdraw",
]

FACETS = ("theme", "provider", "sharing_type", "open_type", "update_cycle")
#: The closed vocabularies of the guide (theme and provider: the catalogue's own values).
VOCABULARIES = {
    "sharing_type": ("无条件共享", "有条件共享", "不予共享"),
    "open_type": ("无条件开放", "有条件开放", "不予开放"),
    "update_cycle": tuple(dcat_terms.FREQUENCY),
}


def _check_facets(con: duckdb.DuckDBPyConnection, chosen: dict[str, str | None]) -> None:
    """A facet value no resource could have is a mistake (422 naming the facet), not a search
    with no result."""
    for field, value in chosen.items():
        if value is None:
            continue
        allowed = VOCABULARIES.get(field)
        if allowed is None:
            cols = "provider, provider_code" if field == "provider" else field
            found = con.execute(f"SELECT DISTINCT {cols} FROM catalog_resource").fetchall()
            allowed = tuple(sorted({v for row in found for v in row if v}))
        if value not in allowed:
            raise QueryError(field, f"must be one of {', '.join(allowed)}; got {value!r}")


class NotShared(AccessDenied):
    """The caller may not read this resource's rows (HTTP 403; the message says why)."""


def list_resources(
    con: duckdb.DuckDBPyConnection,
    p: Principal,
    *,
    q: str | None = None,
    theme: str | None = None,
    provider: str | None = None,
    sharing_type: str | None = None,
    open_type: str | None = None,
    update_cycle: str | None = None,
) -> dict[str, Any]:
    """Resources (filtered, searched), with facet counts over the search result.

    Facets count the resources matching ``q`` and every *other* facet filter, so each facet
    shows what choosing one of its values would give.
    """
    ensure(con)
    summaries = _summaries(con, p=p)
    scores: dict[str, float] = {}
    if q:
        scores = search.match(con, q, p)
        summaries = [s for s in summaries if s["code"] in scores]
    chosen = {
        "theme": theme,
        "provider": provider,
        "sharing_type": sharing_type,
        "open_type": open_type,
        "update_cycle": update_cycle,
    }
    _check_facets(con, chosen)

    def keep(s: dict[str, Any], skip: str | None = None) -> bool:
        return all(
            v is None or s[k] == v or (k == "provider" and s["provider_code"] == v)
            for k, v in chosen.items()
            if k != skip
        )

    facets = {f: dict(Counter(s[f] for s in summaries if keep(s, f)).most_common()) for f in FACETS}
    items = [s for s in summaries if keep(s)]
    if q:
        items.sort(key=lambda s: (-scores[s["code"]], s["code"]))
        for s in items:
            s["score"] = round(scores[s["code"]], 4)
    out: dict[str, Any] = {"total": len(items), "items": items, "facets": facets}
    if q:
        out["search"] = search.explain(q)
    return out


def show(con: duckdb.DuckDBPyConnection, p: Principal, code: str) -> dict[str, Any]:
    """Everything the catalogue says about one resource (404 if unknown or not visible)."""
    ensure(con)
    res = resources.get(con, code)
    if res is None or not _visible(con, p, code):
        raise NotFound("resource", code)
    res = {k: iso(v) for k, v in res.items()}
    runs = con.execute(
        "SELECT count(*), max(coalesce(started_at, recorded_at)) FROM catalog_run "
        "WHERE resource_code = ?",
        [code],
    ).fetchall()[0]
    return {
        "resource": res,
        "items": data_items(con, code),
        "coverage": coverages(con, p, code).get(code),
        "published": grants.is_published(con, code),
        "related": _summaries(con, (res.get("related") or "").split(), p=p),
        "lineage": {"runs": runs[0], "latest": iso(runs[1])},
    }


def lineage_of(con: duckdb.DuckDBPyConnection, p: Principal, code: str) -> dict[str, Any]:
    """The lineage tree back to files and devices (:func:`ecohub.catalog.lineage.walk`)."""
    show(con, p, code)
    return lineage.walk(con, code)


def refresh(con: duckdb.DuckDBPyConnection, p: Principal) -> dict[str, Any]:
    """Recompute coverage and derived lineage now (admin)."""
    if p.role != "admin":
        raise AccessDenied("only an administrator refreshes the catalogue")
    resources.sync(con)
    n = coverage.refresh(con)
    runs = con.execute("SELECT count(*) FROM catalog_run").fetchall()[0][0]
    return {"resources": n, "runs": runs, "refreshed_at": iso(datetime.now(UTC))}


def data(
    con: duckdb.DuckDBPyConnection,
    p: Principal,
    code: str,
    *,
    region: str | None = None,
    limit: int | None = None,
    cursor: str | None = None,
    at: datetime | date | None = None,
    month: str | None = None,
) -> dict[str, Any]:
    """A page of the resource's rows that ``p`` may read now (its role's scope plus its grants);
    ``month``: one CST month of a table kept in the data lake (a lake partition's rows).

    403 (:class:`NotShared`) when the caller may read none of it; rows outside the caller's
    scope are simply not there. A read that a grant made possible is audited with the grant.
    """
    ensure(con)
    res = resources.get(con, code)
    if res is None or not _visible(con, p, code):
        raise NotFound("resource", code)
    scope = grants.allowed(con, p, code, at)
    if scope is None:
        why = (
            "不予共享: this resource is never shared"
            if res["sharing_type"] == "不予共享"
            else "no grant in force for this resource: apply for it "
            f"(POST /api/v1/catalog/{code}/applications)"
        )
        raise NotShared(why)
    if res["table_name"] not in resources.store_tables(con):
        raise NotFound("resource data", code)
    items, next_cursor = rows.page(
        con, p, res, scope, region=region, limit=limit, cursor=cursor, month=month
    )
    if scope.grants:
        audit.record(
            con,
            p,
            "read",
            f"catalog:{code}/data",
            {"grants": list(scope.grants), "region": region, "month": month},
            rows=len(items),
        )
    return {
        "resource": code,
        "items": items,
        "next_cursor": next_cursor,
        "scope": {
            "regions": list(scope.prefixes) if scope.prefixes is not None else "all",
            "grants": list(scope.grants),
        },
    }


def open_data(
    con: duckdb.DuckDBPyConnection,
    code: str,
    *,
    region: str | None = None,
    limit: int | None = None,
    cursor: str | None = None,
) -> dict[str, Any]:
    """A page of a published 无条件开放 resource's rows for anyone, without log-in
    (``/open/v1/catalog/{code}/data``): every row, as :func:`data` reads them for an anonymous
    caller, and ``units``: the unit of each data item that has one. 404 for anything else, as
    for an unknown data set (a 有条件开放 resource's rows go only to holders of a grant, through
    the API)."""
    ensure(con)
    require_open_resource(con, code)
    units = {i["name"]: i["unit"] for i in data_items(con, code) if i["unit"]}
    out = data(con, ANONYMOUS, code, region=region, limit=limit, cursor=cursor)
    return {"units": units, **out}


def apply(con: duckdb.DuckDBPyConnection, p: Principal, code: str, **kw: Any) -> dict[str, Any]:
    ensure(con)
    if not _visible(con, p, code):
        raise NotFound("resource", code)
    return grants.apply(con, p, code, **kw)


def decide(
    con: duckdb.DuckDBPyConnection, p: Principal, code: str, app_id: str, decision: str, **kw: Any
) -> dict[str, Any]:
    app = apps.application(con, p, app_id)
    if app["resource_code"] != code:
        raise NotFound("application", app_id)
    return grants.decide(con, p, app_id, decision, **kw)


def revoke(
    con: duckdb.DuckDBPyConnection, p: Principal, code: str, app_id: str, reason: str
) -> dict[str, Any]:
    """End a grant on ``code`` now (:func:`ecohub.catalog.revocation.revoke`)."""
    app = apps.application(con, p, app_id)
    if app["resource_code"] != code:
        raise NotFound("application", app_id)
    return revocation.revoke(con, p, app_id, reason)


def applications(con: duckdb.DuckDBPyConnection, p: Principal, **kw: Any) -> dict[str, Any]:
    return {"items": apps.applications(con, p, **kw)}


def application(con: duckdb.DuckDBPyConnection, p: Principal, app_id: str) -> dict[str, Any]:
    """One application with its decision (404 unless ``p`` applied, filed it or is an admin)."""
    return apps.application(con, p, app_id)
