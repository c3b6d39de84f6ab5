"""``/api/v1/catalog``: the resource catalogue, sharing, DCAT-AP 3 (``/open/v1/catalog``:
:mod:`ecohub.api.routers.open_catalog`).

Thin: each route calls one :mod:`ecohub.catalog.service` function. Access rules are in
:mod:`ecohub.api.routers.catalog_rules`; which rows of a resource a caller reads is decided by
:func:`ecohub.catalog.grants.allowed` inside the service.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any, Literal

import duckdb
from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import Field
from starlette.exceptions import HTTPException

from ecohub.access.principal import Principal
from ecohub.api.bodies import StrictBody
from ecohub.api.deps import context, cursor
from ecohub.api.errors import problem_responses
from ecohub.api.routers import open_catalog
from ecohub.api.routers.open_catalog import DCAT_200
from ecohub.api.rules import guard
from ecohub.catalog import Conflict, dcat, dcat_format, service
from ecohub.queries.paging import MAX_LIMIT

api = APIRouter(
    prefix="/api/v1/catalog", tags=["catalog"], responses=problem_responses(401, 403, 404, 422)
)
CODE = Path(..., pattern=r"^\d{8}-\d{5}$", description="resource code: 分类码-顺序码")
REGION = r"^\d{6}$"


@contextmanager
def _conflicts() -> Iterator[None]:
    try:
        yield
    except Conflict as exc:
        raise HTTPException(409, str(exc)) from exc


@api.get("")
def list_catalog(
    request: Request,
    q: str | None = Query(None, min_length=1, max_length=200, description="full text, zh or en"),
    theme: str | None = Query(None, max_length=100),
    provider: str | None = Query(None, max_length=100, description="provider name or code"),
    sharing_type: str | None = Query(None, max_length=100),
    open_type: str | None = Query(None, max_length=100),
    update_cycle: str | None = Query(None, max_length=100),
    p: Principal = Depends(guard),
    cur: duckdb.DuckDBPyConnection = Depends(cursor),
) -> dict[str, Any]:
    """Resources with facets (theme, provider, sharing type, open type, update cycle)."""
    out = service.list_resources(
        cur,
        p,
        q=q,
        theme=theme,
        provider=provider,
        sharing_type=sharing_type,
        open_type=open_type,
        update_cycle=update_cycle,
    )
    request.state.audit_rows = out["total"]
    return out


@api.get("/dcat", responses=DCAT_200)
def export_dcat(
    request: Request,
    format: Literal["jsonld", "ttl", "turtle", "json-ld"] | None = Query(None),
    p: Principal = Depends(guard),
    cur: duckdb.DuckDBPyConnection = Depends(cursor),
) -> Response:
    """The catalogue as DCAT-AP 3: JSON-LD or Turtle (``?format=`` or the Accept header)."""
    fmt = dcat_format.negotiate(request.headers.get("accept"), format)
    s = context(request).settings
    base = dcat.base_url(s)  # configured: a request's Host header is the client's choice
    body = service.export_dcat(
        cur, p, base=base, fmt=fmt, licence_url=s.open_licence_url,
        attribution=s.open_attribution, publisher=(s.publisher_name, s.publisher_name_en),
    )  # fmt: skip
    request.state.audit_action = "export"
    return Response(body, media_type=dcat_format.MEDIA_TYPES[fmt], headers={"Vary": "Accept"})


@api.get("/applications")
def list_applications(
    resource: str | None = Query(None, pattern=r"^\d{8}-\d{5}$"),
    state: Literal["pending", "granted", "refused", "revoked"] | None = None,
    p: Principal = Depends(guard),
    cur: duckdb.DuckDBPyConnection = Depends(cursor),
) -> dict[str, Any]:
    """Sharing applications: an admin sees all, others their own."""
    return service.applications(cur, p, resource_code=resource, state=state)


@api.get("/applications/{app_id}")
def get_application(
    app_id: str = Path(..., pattern=r"^[0-9a-f]{32}$"),
    p: Principal = Depends(guard),
    cur: duckdb.DuckDBPyConnection = Depends(cursor),
) -> dict[str, Any]:
    """One sharing application with its decision: its applicant, its filer or an admin (404
    for anyone else, as for an id that does not exist)."""
    return service.application(cur, p, app_id)


@api.post("/coverage/refresh")
def refresh(
    p: Principal = Depends(guard), cur: duckdb.DuckDBPyConnection = Depends(cursor)
) -> dict[str, Any]:
    """Recompute coverage and derived lineage now."""
    return service.refresh(cur, p)


@api.get("/{code}")
def show(
    code: str = CODE,
    p: Principal = Depends(guard),
    cur: duckdb.DuckDBPyConnection = Depends(cursor),
) -> dict[str, Any]:
    """One resource: metadata, data items, coverage, publication, related resources."""
    return service.show(cur, p, code)


@api.get("/{code}/lineage")
def lineage(
    code: str = CODE,
    p: Principal = Depends(guard),
    cur: duckdb.DuckDBPyConnection = Depends(cursor),
) -> dict[str, Any]:
    """What made the resource: runs and their inputs, back to files (SHA-256) and devices (MN)."""
    return service.lineage_of(cur, p, code)


@api.get("/{code}/data")
def read_data(
    request: Request,
    code: str = CODE,
    region: str | None = Query(None, pattern=REGION),
    limit: int | None = Query(None, ge=1, le=MAX_LIMIT),
    cursor_: str | None = Query(None, alias="cursor", max_length=512),
    month: str | None = Query(
        None, max_length=7, description="YYYY-MM (CST): one month of a table in the data lake"
    ),
    p: Principal = Depends(guard),
    cur: duckdb.DuckDBPyConnection = Depends(cursor),
) -> dict[str, Any]:
    """The resource's rows you may read: your role's scope and your grants in force (403 when
    none); page with ``next_cursor``; ``month``: one month partition of a lake table."""
    day = request.app.state.auth.today()
    out = service.data(
        cur, p, code, region=region, limit=limit, cursor=cursor_, at=day, month=month
    )
    request.state.audit_rows = len(out["items"])
    return out


class Application(StrictBody):
    purpose: str = Field(..., min_length=1, max_length=2000)
    region: str = Field(..., pattern=REGION, description="GB/T 2260 code of the scope asked for")
    valid_from: date
    valid_to: date
    applicant: str | None = Field(None, max_length=32, description="admins: the user applying")


@api.post("/{code}/applications", status_code=201, responses=problem_responses(409))
def apply(
    body: Application,
    code: str = CODE,
    p: Principal = Depends(guard),
    cur: duckdb.DuckDBPyConnection = Depends(cursor),
) -> dict[str, Any]:
    """Apply for a resource (purpose, region, period); 409 for a 不予共享 resource."""
    with _conflicts():
        return service.apply(
            cur,
            p,
            code,
            purpose=body.purpose,
            region=body.region,
            valid_from=body.valid_from,
            valid_to=body.valid_to,
            applicant=body.applicant,
        )


class Decision(StrictBody):
    decision: Literal["grant", "refuse"]
    reason: str | None = Field(None, max_length=2000)
    region: str | None = Field(None, pattern=REGION, description="narrow the region")
    valid_from: date | None = None
    valid_to: date | None = None


@api.post("/{code}/applications/{app_id}/decision", responses=problem_responses(409))
def decide(
    body: Decision,
    code: str = CODE,
    app_id: str = Path(..., pattern=r"^[0-9a-f]{32}$"),
    p: Principal = Depends(guard),
    cur: duckdb.DuckDBPyConnection = Depends(cursor),
) -> dict[str, Any]:
    """Grant or refuse an application (once); a grant may narrow its region or period."""
    with _conflicts():
        return service.decide(
            cur,
            p,
            code,
            app_id,
            body.decision,
            reason=body.reason,
            region=body.region,
            valid_from=body.valid_from,
            valid_to=body.valid_to,
        )


class Revocation(StrictBody):
    reason: str = Field(..., min_length=1, max_length=2000, description="why (shown to the user)")


@api.post("/{code}/applications/{app_id}/revocation", responses=problem_responses(409))
def revoke(
    body: Revocation,
    code: str = CODE,
    app_id: str = Path(..., pattern=r"^[0-9a-f]{32}$"),
    p: Principal = Depends(guard),
    cur: duckdb.DuckDBPyConnection = Depends(cursor),
) -> dict[str, Any]:
    """End a grant now, before its end (409 unless it is a grant still in force or to come)."""
    with _conflicts():
        return service.revoke(cur, p, code, app_id, body.reason)


@api.post("/{code}/publish", responses=problem_responses(409))
def publish(
    code: str = CODE,
    p: Principal = Depends(guard),
    cur: duckdb.DuckDBPyConnection = Depends(cursor),
) -> dict[str, Any]:
    """Publish the resource as open data (409 for a 不予开放 resource)."""
    with _conflicts():
        return service.publish(cur, p, code)


@api.post("/{code}/withdraw")
def withdraw(
    code: str = CODE,
    p: Principal = Depends(guard),
    cur: duckdb.DuckDBPyConnection = Depends(cursor),
) -> dict[str, Any]:
    """Withdraw the resource from the open data."""
    return service.withdraw(cur, p, code)


#: What the app includes: this router and the open catalogue's (``open_catalog``).
router = APIRouter()
router.include_router(api)
router.include_router(open_catalog.router)
