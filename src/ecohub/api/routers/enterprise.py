"""``/api/v1/sources/…``, ``/api/v1/cases``, ``/api/v1/eia``: source profiles, the risk watch
list, sources built before approval, enforcement cases and EIA approvals (all scoped)."""

from __future__ import annotations

from typing import Any, Literal

import duckdb
from fastapi import APIRouter, Depends, Path, Query, Request

from ecohub import enterprise as service
from ecohub.access.principal import Principal
from ecohub.api.deps import context, cursor
from ecohub.api.errors import problem_responses
from ecohub.api.rules import guard
from ecohub.enterprise.listings import LINK_STATES
from ecohub.enterprise.risk import MAX_WATCHLIST
from ecohub.jobs.plain import jsonable

router = APIRouter(prefix="/api/v1", tags=["enterprise"],
                   responses=problem_responses(401, 403, 404, 422))  # fmt: skip

MONTH = Query(None, pattern=r"^\d{4}-\d{2}$", description="YYYY-MM (default: this month, CST)")
REGION = Query(None, pattern=r"^\d{6}$", description="GB/T 2260 code (within your scope)")
CODE = Path(..., min_length=1, max_length=40)
MAX_LIST = 10_000
Link = Literal["linked", "review", "unmatched", "pending"]
assert set(LINK_STATES) == set(Link.__args__)  # type: ignore[attr-defined]


@router.get("/sources/watchlist")
def watchlist(
    request: Request,
    region: str | None = REGION,
    month: str | None = MONTH,
    limit: int = Query(50, ge=1, le=MAX_WATCHLIST),
    p: Principal = Depends(guard),
    cur: duckdb.DuckDBPyConnection = Depends(cursor),
) -> dict[str, Any]:
    """The month's watch list: sources with a serious violation, highest risk score first."""
    out = service.watchlist(cur, p, region=region, month=month, limit=limit)
    request.state.audit_rows = len(out["items"])
    return jsonable(out)


@router.get("/sources/unapproved")
def unapproved(
    request: Request,
    region: str | None = REGION,
    p: Principal = Depends(guard),
    cur: duckdb.DuckDBPyConnection = Depends(cursor),
) -> dict[str, Any]:
    """Sources with data, a permit or an inspection before their EIA approval, or with no
    approval while their industry needs one; with the evidence and dates."""
    items = service.unapproved(cur, p, region=region)
    request.state.audit_rows = len(items)
    return {"items": jsonable(items)}


@router.get("/sources/{code}/profile")
def profile(
    request: Request,
    code: str = CODE,
    month: str | None = MONTH,
    p: Principal = Depends(guard),
    cur: duckdb.DuckDBPyConnection = Depends(cursor),
) -> dict[str, Any]:
    """Everything known about one source, with its explained risk score of ``month``."""
    out = service.profile(cur, p, code, month=month,
                          offline_after_s=context(request).offline_after_s)  # fmt: skip
    request.state.audit_rows = 1
    return jsonable(out)


@router.get("/cases")
def cases(
    request: Request,
    region: str | None = REGION,
    source: str | None = Query(None, min_length=1, max_length=40),
    link: Link | None = Query(None, description="link state of the case's registry record"),
    limit: int = Query(1000, ge=1, le=MAX_LIST),
    p: Principal = Depends(guard),
    cur: duckdb.DuckDBPyConnection = Depends(cursor),
) -> dict[str, Any]:
    """Enforcement cases of the sources in your scope, newest first."""
    items = service.cases(cur, p, region=region, source=source, link_status=link)
    request.state.audit_rows = min(len(items), limit)
    return {"items": jsonable(items[:limit]), "total": len(items)}


@router.get("/eia")
def eia(
    request: Request,
    region: str | None = REGION,
    source: str | None = Query(None, min_length=1, max_length=40),
    link: Link | None = Query(None, description="link state of the approval's registry record"),
    limit: int = Query(1000, ge=1, le=MAX_LIST),
    p: Principal = Depends(guard),
    cur: duckdb.DuckDBPyConnection = Depends(cursor),
) -> dict[str, Any]:
    """EIA approvals of the sources in your scope, newest first."""
    items = service.eia(cur, p, region=region, source=source, link_status=link)
    request.state.audit_rows = min(len(items), limit)
    return {"items": jsonable(items[:limit]), "total": len(items)}
