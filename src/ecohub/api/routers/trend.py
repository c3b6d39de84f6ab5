"""``/api/v1/trend``: Mann-Kendall / seasonal Kendall trends with Sen's slope."""

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
    prefix="/api/v1", tags=["trend"], responses=problem_responses(400, 401, 403, 404, 422)
)


@router.get("/trend")
def trend(
    request: Request,
    station: list[str] | None = Query(None, max_length=100),
    region: str | None = Query(None, pattern=r"^\d{6}$"),
    parameter: list[str] | None = Query(None, max_length=20),
    from_: int | None = Query(None, alias="from", ge=1900, le=2200, description="first year"),
    to: int | None = Query(None, ge=1900, le=2200, description="last year"),
    seasonal: bool = True,
    alpha: float = Query(0.05, gt=0, lt=1),
    raw: bool = Query(
        False, description="every value; default: the reviewed record (review flags left out)"
    ),
    p: Principal = Depends(guard),
    cur: duckdb.DuckDBPyConnection = Depends(cursor),
    backend: AnalyticsBackend = Depends(engine),
) -> list[dict[str, Any]]:
    """Trend of the monthly means of each of your stations and parameters, of the reviewed
    record (values the data review set aside left out, counted in ``n_set_aside``) unless
    ``raw``; ``record`` says which."""
    out = service.trend(
        cur,
        p,
        stations=station,
        region=region,
        parameters=parameter,
        year_from=from_,
        year_to=to,
        seasonal=seasonal,
        alpha=alpha,
        raw=raw,
        engine=backend,
    )
    request.state.audit_rows = len(out)
    return out
