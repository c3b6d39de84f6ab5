"""``/api/v1/water``: stored section classes and assessments computed on request."""

from __future__ import annotations

from typing import Any

import duckdb
from fastapi import APIRouter, Depends, Query, Request

from ecohub.access.principal import Principal
from ecohub.api.deps import cursor, engine
from ecohub.api.errors import problem_responses
from ecohub.api.rules import guard
from ecohub.queries import analysis as service
from ecohub.store.backend import AnalyticsBackend

router = APIRouter(
    prefix="/api/v1/water", tags=["water"], responses=problem_responses(400, 401, 403, 404, 422)
)
CODE = r"^\d{6}$"


@router.get("/classes")
def classes(
    request: Request,
    year: int | None = Query(None, ge=1900, le=2200),
    station: str | None = Query(None, min_length=1, max_length=64),
    region: str | None = Query(None, pattern=CODE),
    method: str | None = Query(None, max_length=10),
    limit: int | None = Query(None, ge=1, le=10_000),
    p: Principal = Depends(guard),
    cur: duckdb.DuckDBPyConnection = Depends(cursor),
) -> list[dict[str, Any]]:
    """Stored annual GB 3838 section classes in your scope."""
    out = service.water_classes(
        cur, p, year=year, station=station, region=region, method=method, limit=limit
    )
    request.state.audit_rows = len(out)
    return out


@router.get("/assessments")
def assessments(
    request: Request,
    year: int | None = Query(None, ge=1900, le=2200),
    month: str | None = Query(None, pattern=r"^\d{4}-\d{2}$"),
    region: str | None = Query(None, pattern=CODE),
    basin: str | None = Query(None, min_length=1, max_length=100),
    method: str = Query("2011", max_length=10),
    by: str = Query("basin", max_length=20),
    p: Principal = Depends(guard),
    cur: duckdb.DuckDBPyConnection = Depends(cursor),
    backend: AnalyticsBackend = Depends(engine),
) -> dict[str, Any]:
    """Surface-water assessment of your sections for a year (default: the latest) or month."""
    out = service.water_assessment(
        cur, p, year=year, month=month, region=region, basin=basin, method=method, by=by,
        engine=backend,
    )  # fmt: skip
    request.state.audit_rows = len(out["sections"])
    return out
