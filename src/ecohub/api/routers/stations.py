"""``/api/v1/stations`` and ``/api/v1/observations``."""

from __future__ import annotations

from typing import Any

import duckdb
from fastapi import APIRouter, Depends, Path, Query, Request

from ecohub.access.principal import Principal
from ecohub.api.deps import TABLE_200, check_format, cursor, page
from ecohub.api.errors import problem_responses
from ecohub.api.rules import guard
from ecohub.queries import stations as service
from ecohub.queries.paging import MAX_EXPORT_LIMIT

router = APIRouter(
    prefix="/api/v1", tags=["stations"], responses=problem_responses(401, 403, 404, 422)
)
CODE = r"^\d{6}$"


@router.get("/stations")
def list_stations(
    request: Request,
    region: str | None = Query(None, pattern=CODE, description="GB/T 2260 code (and below)"),
    network: str | None = Query(None, max_length=20),
    limit: int | None = Query(None, ge=1, le=10_000),
    cursor_: str | None = Query(None, alias="cursor", max_length=512),
    p: Principal = Depends(guard),
    cur: duckdb.DuckDBPyConnection = Depends(cursor),
) -> dict[str, Any]:
    """Stations in your scope, by id; page with ``next_cursor``."""
    out = service.list_stations(cur, p, region=region, network=network, limit=limit, cursor=cursor_)
    request.state.audit_rows = len(out["items"])
    return out


@router.get("/stations/{station_id}")
def get_station(
    request: Request,
    station_id: str = Path(..., min_length=1, max_length=64),
    p: Principal = Depends(guard),
    cur: duckdb.DuckDBPyConnection = Depends(cursor),
) -> dict[str, Any]:
    """One station with its parameters; 404 when unknown or outside your scope."""
    out = service.get_station(cur, p, station_id)
    request.state.audit_rows = 1
    return out


@router.get("/observations", responses=TABLE_200)
def list_observations(
    request: Request,
    station: str | None = Query(None, min_length=1, max_length=64),
    region: str | None = Query(None, pattern=CODE),
    parameter: str | None = Query(None, min_length=1, max_length=32, description="HJ 212 code"),
    from_: str | None = Query(None, alias="from", max_length=40, description="inclusive; CST"),
    to: str | None = Query(None, max_length=40, description="exclusive; CST"),
    limit: int | None = Query(None, ge=1, le=MAX_EXPORT_LIMIT),
    cursor_: str | None = Query(None, alias="cursor", max_length=512),
    format: str = Query("json", description="json | csv | parquet"),
    p: Principal = Depends(guard),
    cur: duckdb.DuckDBPyConnection = Depends(cursor),
) -> Any:
    """Observations in your scope by (station, parameter, period, time); cursor paging."""
    fmt = check_format(format)
    table, nxt = service.observations(
        cur,
        p,
        station=station,
        region=region,
        parameter=parameter,
        start=from_,
        end=to,
        limit=limit,
        cursor=cursor_,
        export=fmt != "json",
    )
    return page(request, table, nxt, fmt, "observations")
