"""Who may call which route: the access rules as data, one entry per (method, route template).

:func:`guard` enforces them on every protected route (a route without an entry is refused, so
a new route cannot be open by accident), and ``tests/api/test_permissions.py`` walks
``app.routes`` and fails when a route has no entry here. Scope (region, source codes) is not
decided here: the services put it into their queries; these rules only say which roles may use a
capability at all (else 403).
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from ecohub.access.principal import ROLES, Grant, Principal, Role
from ecohub.access.scope import AccessDenied
from ecohub.api.auth import current_principal
from ecohub.api.routers.catalog_rules import CATALOG_ACCESS, CATALOG_OPEN, GRANT_READS

ALL: frozenset[Role] = frozenset(ROLES)
READERS: frozenset[Role] = frozenset({"admin", "analyst", "inspector"})
SOURCE_READERS: frozenset[Role] = READERS | {"enterprise"}
SUPERVISORS: frozenset[Role] = frozenset({"admin", "inspector"})
ADMIN: frozenset[Role] = frozenset({"admin"})
SIGNED_IN: frozenset[Role] = ALL - {"public"}

#: Routes anyone may call without credentials (and why).
OPEN: dict[tuple[str, str], str] = {
    ("GET", "/"): "the web console (HTML) or an index of links (JSON)",
    ("GET", "/healthz"): "liveness for load balancers; says nothing about the data",
    ("POST", "/api/v1/auth/token"): "log-in",
    # Ends the log-in of the token it is sent (holding it is the right to end it); always 204.
    ("POST", "/api/v1/auth/logout"): "log-out",
    ("GET", "/api/v1/openapi.json"): "the API description",
    ("GET", "/api/v1/docs"): "interactive docs",
    ("GET", "/api/v1/docs/oauth2-redirect"): "interactive docs log-in",
    ("GET", "/open/v1/stations"): "open data",
    ("GET", "/open/v1/stations/{station_id}/aqi/hourly"): "open data",
    ("GET", "/open/v1/stations/{station_id}/aqi/daily"): "open data",
    ("GET", "/open/v1/assessments/{year}"): "open data",
    ("GET", "/open/v1/bulk/{dataset}.{fmt}"): "open data",
    ("GET", "/open/v1/licence"): "open data",
    ("GET", "/open/v1/review"): "open data: how the record of the open air products was reviewed",
    **CATALOG_OPEN,
    # OGC API - Features: the service's metadata, and the station list (open data).
    ("GET", "/ogc"): "OGC API landing page",
    ("GET", "/ogc/"): "OGC API landing page",
    ("GET", "/ogc/conformance"): "OGC API metadata",
    ("GET", "/ogc/collections"): "OGC API metadata",
    ("GET", "/ogc/collections/{collection_id}"): "OGC API metadata",
    ("GET", "/ogc/collections/{collection_id}/queryables"): "OGC API metadata",
    ("GET", "/ogc/collections/{collection_id}/items"): "unknown collection: 404",
    ("GET", "/ogc/collections/{collection_id}/items/{feature_id}"): "unknown collection: 404",
    ("GET", "/ogc/collections/stations/items"): "open data",
    ("GET", "/ogc/collections/stations/items/{feature_id}"): "open data",
}

#: Protected routes: the roles that may use them.
ACCESS: dict[tuple[str, str], frozenset[Role]] = {
    # /metrics names every device (MN) and its traffic: operators only (Prometheus sends an
    # admin API key as a bearer token).
    ("GET", "/metrics"): ADMIN,
    ("GET", "/api/v1/me"): ALL,
    ("GET", "/api/v1/regions"): ALL,
    ("GET", "/api/v1/regions/{code}"): ALL,
    ("GET", "/api/v1/stations"): READERS,
    ("GET", "/api/v1/stations/{station_id}"): READERS,
    ("GET", "/api/v1/observations"): READERS,
    ("GET", "/api/v1/air/aqi/hourly"): READERS,
    ("GET", "/api/v1/air/aqi/daily"): READERS,
    ("GET", "/api/v1/air/assessments"): READERS,
    ("GET", "/api/v1/water/classes"): READERS,
    ("GET", "/api/v1/water/assessments"): READERS,
    ("GET", "/api/v1/trend"): READERS,
    ("GET", "/api/v1/hj212/devices"): SOURCE_READERS,
    ("GET", "/api/v1/hj212/devices/{mn}"): SOURCE_READERS,
    ("PUT", "/api/v1/hj212/devices/{mn}"): ADMIN,
    ("PUT", "/api/v1/hj212/devices/{mn}/policy"): SUPERVISORS,
    ("GET", "/api/v1/hj212/emissions"): SOURCE_READERS,
    ("GET", "/api/v1/hj212/rejected"): SOURCE_READERS,
    ("GET", "/api/v1/hj212/deviations"): SOURCE_READERS,
    ("GET", "/api/v1/registry/sources"): SOURCE_READERS,
    ("GET", "/api/v1/registry/sources/{code}"): SOURCE_READERS,
    ("POST", "/api/v1/jobs"): ADMIN,
    ("GET", "/api/v1/jobs"): SIGNED_IN,
    ("GET", "/api/v1/jobs/{job_id}"): SIGNED_IN,
    # A job's reject file: its owner's (an admin: any); the service answers 404 for another's.
    ("GET", "/api/v1/jobs/{job_id}/rejects"): SIGNED_IN,
    **CATALOG_ACCESS,
    # /api/v1/supervision: enterprises see the findings of their own sources (the service
    # scopes them); detection is an inspector's action, loading permits an operator's.
    ("GET", "/api/v1/supervision/anomalies"): SOURCE_READERS,
    ("GET", "/api/v1/supervision/exceedances"): SOURCE_READERS,
    ("POST", "/api/v1/supervision/detect"): SUPERVISORS,
    ("POST", "/api/v1/supervision/permits"): ADMIN,
    # /api/v1/review: flags of monitoring stations (region scoped); deciding and running the
    # review are inspectors' actions.
    ("GET", "/api/v1/review/flags"): READERS,
    ("GET", "/api/v1/review/summary"): READERS,
    ("POST", "/api/v1/review/flags/decision"): SUPERVISORS,
    ("POST", "/api/v1/review/run"): SUPERVISORS,
    # /api/v1/complaints: what citizens wrote about their neighbourhood; supervising roles
    # only, each in its region (the service scopes it; docs/complaints.md).
    ("GET", "/api/v1/complaints"): READERS,
    ("GET", "/api/v1/complaints/hotspots"): READERS,
    ("GET", "/api/v1/complaints/{complaint_id}"): READERS,
    # /api/v1/alerts: bureau staff read the alerts of their region; inspectors acknowledge and
    # close them (audited); the channels (targets, outbox state) are an operator's concern.
    ("GET", "/api/v1/alerts"): READERS,
    ("GET", "/api/v1/alerts/channels"): ADMIN,
    ("GET", "/api/v1/alerts/{alert_id}"): READERS,
    ("POST", "/api/v1/alerts/{alert_id}/ack"): SUPERVISORS,
    ("POST", "/api/v1/alerts/{alert_id}/close"): SUPERVISORS,
    # Enterprise supervision (ecohub.enterprise): profiles, cases and approvals are read in the
    # caller's scope (an enterprise user: its own sources); the watch list and the unapproved
    # list are supervisors' and analysts' tools.
    ("GET", "/api/v1/sources/{code}/profile"): SOURCE_READERS,
    ("GET", "/api/v1/sources/watchlist"): READERS,
    ("GET", "/api/v1/sources/unapproved"): READERS,
    ("GET", "/api/v1/cases"): SOURCE_READERS,
    ("GET", "/api/v1/eia"): SOURCE_READERS,
    # /api/v1/registry for operators: the whole registry (every region), so admin only.
    ("POST", "/api/v1/registry/loads"): ADMIN,
    ("POST", "/api/v1/registry/link"): ADMIN,
    ("GET", "/api/v1/registry/review"): ADMIN,
    ("POST", "/api/v1/registry/review/decision"): ADMIN,
    ("POST", "/api/v1/registry/outlets"): ADMIN,
    ("POST", "/api/v1/registry/sources/{code}/status"): ADMIN,
    ("GET", "/api/v1/registry/report"): ADMIN,
    ("GET", "/api/v1/registry/codes"): ADMIN,
    # Users, API keys and the audit log: operators only.
    ("GET", "/api/v1/users"): ADMIN,
    ("POST", "/api/v1/users"): ADMIN,
    ("POST", "/api/v1/users/{name}/disable"): ADMIN,
    ("POST", "/api/v1/users/{name}/enable"): ADMIN,
    ("POST", "/api/v1/users/{name}/password"): ADMIN,
    # Every signed-in person changes its own password (an API key's client has none: 400).
    ("POST", "/api/v1/auth/password"): ALL,
    ("GET", "/api/v1/apikeys"): ADMIN,
    ("POST", "/api/v1/apikeys"): ADMIN,
    ("POST", "/api/v1/apikeys/{key_id}/revoke"): ADMIN,
    ("GET", "/api/v1/audit"): ADMIN,
    ("GET", "/api/v1/audit/verify"): ADMIN,
    # /api/v1/geo (the console's map): boundaries are reference data; contents follow scope.
    ("GET", "/api/v1/geo/boundaries"): ALL,
    ("GET", "/api/v1/geo/areas"): ALL,
    ("GET", "/api/v1/geo/areas/{ref}"): ALL,
    ("GET", "/api/v1/geo/levels"): ALL,
    ("GET", "/api/v1/geo/limits"): ALL,
    ("POST", "/api/v1/geo/feature"): ALL,
    ("POST", "/api/v1/geo/stations"): READERS,
    ("POST", "/api/v1/geo/sources"): SOURCE_READERS,
    ("POST", "/api/v1/geo/air"): READERS,
    ("POST", "/api/v1/geo/water"): READERS,
    # The `ecohub geo` commands' routes (api/routers/geo_query.py): the county of a point and
    # the stored regions are reference data; what is inside a region, and its summaries, are
    # data read in the caller's scope (region, own sources).
    ("GET", "/api/v1/geo/county"): ALL,
    ("GET", "/api/v1/geo/regions"): ALL,
    ("POST", "/api/v1/geo/in"): READERS,
    ("POST", "/api/v1/geo/summary"): READERS,
    # OGC API - Features: each read in the caller's scope (region, own sources).
    ("GET", "/ogc/collections/sources/items"): SOURCE_READERS,
    ("GET", "/ogc/collections/sources/items/{feature_id}"): SOURCE_READERS,
    ("GET", "/ogc/collections/outlets/items"): SOURCE_READERS,
    ("GET", "/ogc/collections/outlets/items/{feature_id}"): SOURCE_READERS,
    ("GET", "/ogc/collections/regions/items"): ALL,
    ("GET", "/ogc/collections/regions/items/{feature_id}"): ALL,
}


#: Data routes and the tables they read: a conditional-sharing grant in force on one of these
#: tables widens the caller's scope on that route (and lets in a role the route does not list).
READS: dict[tuple[str, str], tuple[str, ...]] = GRANT_READS


async def guard(request: Request, principal: Principal = Depends(current_principal)) -> Principal:
    """The authenticated caller, if its role may use this route (else 403; no rule: 403),
    carrying its grants in force today on the tables the route reads (:data:`READS`)."""
    route = request.scope.get("route")
    key = (request.method, getattr(route, "path", None) or "")
    roles = ACCESS.get(key)
    if roles is None:
        raise AccessDenied(f"role {principal.role!r} may not use this route")
    held: tuple[Grant, ...] = ()
    if key in READS and principal.role != "admin":
        state = request.app.state.auth
        cached = _cached_grants(state, principal, READS[key])
        held = cached if cached is not None else await run_in_threadpool(
            _grants, state, principal, READS[key])  # fmt: skip
    if principal.role not in roles:
        if not held:
            raise AccessDenied(f"role {principal.role!r} may not use this route")
        principal = replace(principal, grants=held, own_scope=False)
    elif held:
        principal = replace(principal, grants=held)
    if held:
        request.state.audit_grants = [g.id for g in held]
    return principal


def _grant_key(state: Any, p: Principal, tables: tuple[str, ...]) -> tuple[Any, ...]:
    return (p.name, p.role, state.today(), tables)


def _cached_grants(state: Any, p: Principal, tables: tuple[str, ...]) -> tuple[Grant, ...] | None:
    """``p``'s grants on ``tables`` as looked up within ``cache_s`` (by this caller's name,
    role and today's date) and no decision since; ``None`` when they must be looked up."""
    from ecohub.catalog.grant_scope import generation

    hit = state.grant_cache.get(_grant_key(state, p, tables))
    if hit is not None and hit[1] > time.monotonic() and hit[2] == generation():
        return hit[0]
    return None


def _grants(state: Any, p: Principal, tables: tuple[str, ...]) -> tuple[Grant, ...]:
    """Look ``p``'s grants in force today on ``tables`` up in the store (and remember them)."""
    from ecohub.catalog.grant_scope import for_tables, generation

    key, gen, now = _grant_key(state, p, tables), generation(), time.monotonic()
    cur = state.con.cursor()
    try:
        held = for_tables(cur, p, tables, key[2])
    finally:
        cur.close()
    if state.cache_s > 0:
        if len(state.grant_cache) >= 10_000:
            state.grant_cache.clear()
        state.grant_cache[key] = (held, now + state.cache_s, gen)
    return held


def route_table(app: Any) -> list[tuple[str, str, Any]]:
    """Every (method, path template, endpoint route) the app serves, walking included routers.

    HEAD (answered by the GET handler) is left out. The permission test iterates this.
    """
    out: list[tuple[str, str, Any]] = []

    def walk(routes: list[Any], prefix: str) -> None:
        for r in routes:
            inner = getattr(r, "original_router", None)
            if inner is not None:
                walk(inner.routes, prefix + r.include_context.prefix)
                continue
            for method in sorted(getattr(r, "methods", None) or ()):
                if method != "HEAD":
                    out.append((method, prefix + r.path, r))

    walk(list(app.routes), "")
    return out
