"""``/api/v1/stations`` and ``/api/v1/observations``."""

from __future__ import annotations

from typing import Any

import duckdb
from fastapi import APIRouter, Depends, Path, Query, Request

from ecohub.access.principal import Principal
from ecohub.api.deps import check_format, cursor, page, table_200
from ecohub.api.errors import problem_responses
from ecohub.api.rules import guard
from ecohub.queries import stations as service
from ecohub.queries.paging import MAX_EXPORT_LIMIT

router = APIRouter(
    prefix="/api/v1", tags=["stations"], responses=problem_responses(401, 403, 404, 422)
)
CODE = r"^\d{6}$"
#: One observation row as every format of ``/observations`` gives it (queries.stations.
#: OBSERVATION_COLUMNS, in that order).
OBSERVATION_ROW: dict[str, Any] = {
    "type": "object",
    "required": list(service.OBSERVATION_COLUMNS),
    "properties": {
        "station_id": {"type": "string"},
        "parameter": {"type": "string", "description": "HJ 212 code (a34004 = PM2.5)"},
        "period": {"type": "string", "description": "averaging period: 1h, 8h, 24h"},
        "time": {"type": "string", "format": "date-time", "description": "period start, CST"},
        "value": {"type": ["number", "null"], "description": "in `unit`"},
        "unit": {"type": "string"},
        "flag": {"type": ["string", "null"], "description": "HJ 212 data flag (N, F, M, …)"},
        "below_detection": {
            "type": "boolean",
            "description": "true: the value was written `0.01L`, it is the method's detection "
            "limit and the true value lies below it (HJ/T 91-2002), not a measured value",
        },
    },
}


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


@router.get(
    "/observations",
    responses=table_200(OBSERVATION_ROW, ", ".join(service.OBSERVATION_COLUMNS)),
)
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
