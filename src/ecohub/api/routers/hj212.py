"""``/api/v1/hj212``: devices, emissions, rejected packets, deviations and device policy."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import duckdb
from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import Field

from ecohub.access.principal import Principal
from ecohub.api.bodies import StrictBody
from ecohub.api.deps import TABLE_200, check_format, context, cursor, page
from ecohub.api.errors import problem_responses
from ecohub.api.rules import guard
from ecohub.cst import CST
from ecohub.queries import hj212 as service
from ecohub.queries.paging import MAX_EXPORT_LIMIT

router = APIRouter(
    prefix="/api/v1/hj212", tags=["hj212"], responses=problem_responses(401, 403, 404, 422)
)
MN_PATTERN = r"^[0-9A-Za-z_.\-]+$"  # HJ 212 MN (C27), the codec's characters


class PolicyBody(StrictBody):
    policy: Literal["strict", "lenient"]


class DeviceBody(StrictBody):
    name: str | None = Field(None, max_length=200)
    source_code: str | None = Field(None, max_length=40)
    outlet_code: str | None = Field(None, max_length=20)
    st: str | None = Field(None, max_length=2)
    pw: str | None = Field(None, max_length=9)
    interval_s: int | None = Field(None, ge=1, le=86_400)


@router.get("/devices")
def devices(
    request: Request,
    status: Literal["online", "offline", "unregistered"] | None = None,
    p: Principal = Depends(guard),
    cur: duckdb.DuckDBPyConnection = Depends(cursor),
) -> list[dict[str, Any]]:
    """Devices in your scope with last-seen time and online state."""
    ctx = context(request)
    out = service.devices(cur, p, datetime.now(CST), ctx.offline_after_s, status=status)
    request.state.audit_rows = len(out)
    return out


@router.get("/devices/{mn}")
def device(
    request: Request,
    mn: str = Path(..., min_length=1, max_length=27, pattern=MN_PATTERN),
    p: Principal = Depends(guard),
    cur: duckdb.DuckDBPyConnection = Depends(cursor),
) -> dict[str, Any]:
    """One device; 404 when unknown or outside your scope."""
    return service.device(cur, p, mn, datetime.now(CST), context(request).offline_after_s)


@router.put("/devices/{mn}")
def put_device(
    request: Request,
    body: DeviceBody,
    mn: str = Path(..., min_length=1, max_length=27, pattern=MN_PATTERN),
    p: Principal = Depends(guard),
    cur: duckdb.DuckDBPyConnection = Depends(cursor),
) -> dict[str, Any]:
    """Register (or update) a monitoring point."""
    out = service.register(cur, p, mn, **body.model_dump())
    hook = context(request).on_devices_changed
    if hook is not None:
        hook()
    request.state.audit_rows = 1
    return out


@router.put("/devices/{mn}/policy")
def put_policy(
    request: Request,
    body: PolicyBody,
    mn: str = Path(..., min_length=1, max_length=27, pattern=MN_PATTERN),
    p: Principal = Depends(guard),
    cur: duckdb.DuckDBPyConnection = Depends(cursor),
) -> dict[str, str]:
    """Set a device's parsing policy (``lenient`` accepts the known deviations, marked)."""
    out = service.set_policy(cur, p, mn, body.policy)
    hook = context(request).on_policy
    if hook is not None:
        hook(mn, body.policy)
    request.state.audit_rows = 1
    return out


@router.get("/emissions", responses=TABLE_200)
def emissions(
    request: Request,
    mn: str | None = Query(None, min_length=1, max_length=27, pattern=MN_PATTERN),
    pollutant: str | None = Query(None, min_length=1, max_length=32),
    from_: str | None = Query(None, alias="from", max_length=40),
    to: str | None = Query(None, max_length=40),
    limit: int | None = Query(None, ge=1, le=MAX_EXPORT_LIMIT),
    cursor_: str | None = Query(None, alias="cursor", max_length=512),
    format: str = Query("json", description="json | csv | parquet"),
    p: Principal = Depends(guard),
    cur: duckdb.DuckDBPyConnection = Depends(cursor),
) -> Any:
    """Stored emission values of your devices; cursor paging."""
    fmt = check_format(format)
    table, nxt = service.emissions(
        cur,
        p,
        mn=mn,
        pollutant=pollutant,
        start=from_,
        end=to,
        limit=limit,
        cursor=cursor_,
        export=fmt != "json",
    )
    return page(request, table, nxt, fmt, "emissions")


@router.get("/rejected")
def rejected(
    request: Request,
    mn: str | None = Query(None, min_length=1, max_length=27, pattern=MN_PATTERN),
    limit: int | None = Query(None, ge=1, le=10_000),
    cursor_: str | None = Query(None, alias="cursor", max_length=512),
    p: Principal = Depends(guard),
    cur: duckdb.DuckDBPyConnection = Depends(cursor),
) -> dict[str, Any]:
    """Rejected packets of your devices, newest first, bytes as hex."""
    out = service.rejected(cur, p, mn=mn, limit=limit, cursor=cursor_)
    request.state.audit_rows = len(out["items"])
    return out


@router.get("/deviations")
def deviations(
    request: Request,
    p: Principal = Depends(guard),
    cur: duckdb.DuckDBPyConnection = Depends(cursor),
) -> list[dict[str, Any]]:
    """Your devices whose rejected packets would pass under a known deviation."""
    out = service.deviations(cur, p)
    request.state.audit_rows = len(out)
    return out
