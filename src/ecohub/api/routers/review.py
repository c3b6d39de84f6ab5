"""``/api/v1/review``: the automatic data review's flags and summary (region scoped), an
inspector's decision on a flag (audited by the service) and a review run (a job)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any, Literal

import duckdb
import pyarrow as pa
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import Field

from ecohub.access.principal import Principal
from ecohub.api.bodies import StrictBody
from ecohub.api.deps import TABLE_200, cursor, page
from ecohub.api.errors import problem_responses
from ecohub.api.routers.supervision import QUEUED, listing, queue
from ecohub.api.rules import guard
from ecohub.queries import QueryError
from ecohub.queries.export import rows
from ecohub.queries.listing import window
from ecohub.queries.paging import MAX_EXPORT_LIMIT
from ecohub.supervision import review as service
from ecohub.supervision.review.reading import FLAG_KEY

router = APIRouter(
    prefix="/api/v1/review", tags=["review"], responses=problem_responses(400, 401, 403, 422)
)
STATION = {"min_length": 1, "max_length": 64, "pattern": r"^[^\x00-\x1f\x7f]+$"}


DAY = r"^\d{4}-\d{2}-\d{2}$"


def _day(field: str, text: str | None) -> date | None:
    """A ``YYYY-MM-DD`` query value as a date (a 422 naming ``field`` for 2024-13-01)."""
    try:
        return date.fromisoformat(text) if text is not None else None
    except ValueError:
        raise QueryError(field, f"not a calendar day: {text!r}") from None


@contextlib.contextmanager
def _fields() -> Iterator[None]:
    """The service's ReviewError (naming its option) as a 400 naming the field, the answer the
    other services give for an unknown station (so out of scope reads as unknown)."""
    try:
        yield
    except service.ReviewError as exc:
        raise ValueError(f"{exc.field or 'request'}: {exc}") from None


@router.get("/flags", responses=TABLE_200)
def list_flags(
    request: Request,
    station: str | None = Query(None, **STATION),  # type: ignore[arg-type]
    parameter: str | None = Query(None, min_length=1, max_length=32),
    from_: str | None = Query(None, alias="from", pattern=DAY, description="first day (CST)"),
    to: str | None = Query(None, pattern=DAY, description="last day (CST), inclusive"),
    rule: str | None = Query(None, min_length=1, max_length=40),
    status: Literal["flagged", "confirmed", "overruled"] | None = None,
    format: Literal["json", "csv"] = "json",
    limit: int | None = Query(None, ge=1, le=MAX_EXPORT_LIMIT),
    cursor_: str | None = Query(None, alias="cursor", max_length=512),
    p: Principal = Depends(guard),
    cur: duckdb.DuckDBPyConnection = Depends(cursor),
) -> Any:
    """One row per flagged hourly value of the stations in your region."""
    filters = {"station": station, "parameter": parameter, "from": from_, "to": to,
               "rule": rule, "status": status}  # fmt: skip
    win = window(p, filters, FLAG_KEY, limit, cursor_, export=format != "json")
    with _fields():
        df = service.flags(cur, station=station, parameter=parameter, start=_day("from", from_),
                           end=_day("to", to), rule=rule, status=status, principal=p,
                           page=win)  # fmt: skip
    items = rows(pa.Table.from_pandas(df, preserve_index=False))
    return listing(request, win, items, tuple(service.COLUMNS), format, "review-flags")


@router.get("/summary", responses=TABLE_200)
def flag_summary(
    request: Request,
    station: str | None = Query(None, **STATION),  # type: ignore[arg-type]
    parameter: str | None = Query(None, min_length=1, max_length=32),
    from_: str | None = Query(None, alias="from", pattern=DAY, description="first day (CST)"),
    to: str | None = Query(None, pattern=DAY, description="last day (CST), inclusive"),
    format: Literal["json", "csv"] = "json",
    p: Principal = Depends(guard),
    cur: duckdb.DuckDBPyConnection = Depends(cursor),
) -> Any:
    """Values each rule set aside per station and pollutant (rule ``(any)``: each value once)."""
    with _fields():
        df = service.summary(cur, station=station, parameter=parameter,
                             start=_day("from", from_), end=_day("to", to),
                             principal=p)  # fmt: skip
    return page(request, pa.Table.from_pandas(df, preserve_index=False), None, format, "summary")


class DecisionBody(StrictBody):
    station: str = Field(..., min_length=1, max_length=64, pattern=r"^[^\x00-\x1f\x7f]+$")
    parameter: str = Field(..., min_length=1, max_length=32)
    time: datetime = Field(..., description="hour start, ISO 8601 (naive = CST)")
    status: Literal["confirmed", "overruled", "flagged"]
    rule: str | None = Field(None, min_length=1, max_length=40, description="default: all")


@router.post("/flags/decision")
def decide(
    request: Request,
    body: DecisionBody,
    p: Principal = Depends(guard),
    cur: duckdb.DuckDBPyConnection = Depends(cursor),
) -> dict[str, Any]:
    """Confirm or overrule the flags of one value (``flagged`` undoes a decision); audited."""
    with _fields():
        n = service.decide(cur, p, station_id=body.station, parameter=body.parameter,
                           time=body.time, status=body.status, rule=body.rule)  # fmt: skip
    request.state.audit_rows = n
    return {"changed": n, "status": body.status}


class RunBody(StrictBody):
    from_: str | None = Field(None, alias="from", pattern=r"^\d{4}-\d{2}-\d{2}$")
    to: str | None = Field(None, pattern=r"^\d{4}-\d{2}-\d{2}$")


@router.post("/run", status_code=202, responses=QUEUED)
def start_run(request: Request, body: RunBody, p: Principal = Depends(guard)) -> JSONResponse:
    """Review the stored hourly values of [from, to] (CST days; default all) as a job. The days
    are checked before the job is queued (422 naming ``from`` or ``to``)."""
    return queue(request, p, "review-run", {"from": body.from_, "to": body.to})
