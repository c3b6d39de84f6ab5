"""``/api/v1/air``: stored hourly and daily AQI, annual assessments."""

from __future__ import annotations

from typing import Any

import duckdb
from fastapi import APIRouter, Depends, Query, Request

from ecohub.access.principal import Principal
from ecohub.analytics.air_tables import FIRST_YEAR, LAST_YEAR
from ecohub.api.deps import TABLE_200, check_format, cursor, engine, page
from ecohub.api.errors import problem_responses
from ecohub.api.rules import guard
from ecohub.queries import air as service
from ecohub.queries.paging import MAX_EXPORT_LIMIT
from ecohub.store.backend import AnalyticsBackend

router = APIRouter(
    prefix="/api/v1/air", tags=["air"], responses=problem_responses(400, 401, 403, 404, 422)
)
CODE = r"^\d{6}$"
DAY = r"^\d{4}-\d{2}-\d{2}$"


def _aqi(kind: str):
    def route(
        request: Request,
        station: list[str] | None = Query(None, max_length=100, description="repeatable"),
        region: str | None = Query(None, pattern=CODE),
        scope: str = Query("station", description="station | city"),
        from_: str | None = Query(None, alias="from", pattern=DAY, description="first day (CST)"),
        to: str | None = Query(None, pattern=DAY, description="last day (CST), inclusive"),
        edition: str = Query("auto", description="auto (the stored results) | 2012 | 2026"),
        limit: int | None = Query(None, ge=1, le=MAX_EXPORT_LIMIT),
        cursor_: str | None = Query(None, alias="cursor", max_length=512),
        format: str = Query("json", description="json | csv | parquet"),
        raw: bool = Query(False, description="every value, not the reviewed record"),
        p: Principal = Depends(guard),
        cur: duckdb.DuckDBPyConnection = Depends(cursor),
        backend: AnalyticsBackend = Depends(engine),
    ) -> Any:
        fmt = check_format(format)
        table, nxt = service.aqi(
            cur,
            p,
            kind=kind,
            scope=scope,
            stations=station,
            region=region,
            start=from_,
            end=to,
            edition=edition,
            limit=limit,
            cursor=cursor_,
            export=fmt != "json",
            reviewed=not raw,
            engine=backend,
        )
        return page(request, table, nxt, fmt, f"aqi-{kind}")

    route.__doc__ = f"Stored {kind} AQI (HJ 633) in your scope, by code and time; cursor paging."
    return route


router.get("/aqi/hourly", responses=TABLE_200, name="hourly_aqi")(_aqi("hourly"))
router.get("/aqi/daily", responses=TABLE_200, name="daily_aqi")(_aqi("daily"))


@router.get("/assessments")
def assessments(
    request: Request,
    year: int = Query(..., ge=FIRST_YEAR, le=LAST_YEAR),
    station: str | None = Query(None, min_length=1, max_length=64),
    region: str | None = Query(None, pattern=CODE),
    scope: str | None = Query(None, description="station | city (default: both)"),
    edition: str = Query("auto", description="auto (the stored results) | 2012 | 2026"),
    raw: bool = Query(False, description="every value, not the reviewed record"),
    p: Principal = Depends(guard),
    cur: duckdb.DuckDBPyConnection = Depends(cursor),
    backend: AnalyticsBackend = Depends(engine),
) -> Any:
    """HJ 663 annual assessment in your scope: statistics, category days, index, monthly."""
    out = service.assessment(
        cur,
        p,
        year=year,
        station=station,
        region=region,
        scope=scope,
        edition=edition,
        reviewed=not raw,
        engine=backend,
    )
    request.state.audit_rows = len(out["days"])
    return {"year": year, "edition": edition, **out}
