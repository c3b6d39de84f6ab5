"""``/api/v1/supervision``: HJ 212 anomaly findings and exceedance events (scoped), batch
detection and permit loading (jobs)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Literal

import duckdb
import pyarrow as pa
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import Field

from ecohub.access.principal import Principal
from ecohub.api.bodies import StrictBody
from ecohub.api.deps import TABLE_200, context, cursor, page
from ecohub.api.errors import problem_responses
from ecohub.api.routers.hj212 import MN_PATTERN
from ecohub.api.rules import guard
from ecohub.queries.listing import Window, window
from ecohub.queries.paging import MAX_EXPORT_LIMIT
from ecohub.supervision import (
    COLUMNS,
    EXCEEDANCE_COLUMNS,
    anomalies,
    exceedances,
)
from ecohub.supervision.listings import ANOMALY_KEY, EXCEEDANCE_KEY
from ecohub.supervision.period import bound

router = APIRouter(
    prefix="/api/v1/supervision",
    tags=["supervision"],
    responses=problem_responses(400, 401, 403, 422),
)
TIME = "a day (2026-03-02) or a time (2026-03-02T08:00[+08:00]); CST when no offset"
QUEUED: dict[int | str, dict[str, Any]] = {202: {"description": "queued; follow Location"}}


def listing(
    request: Request,
    win: Window,
    items: list[dict[str, Any]],
    columns: tuple[str, ...],
    fmt: str,
    name: str,
    key: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> Any:
    """A page of a service's rows (read through ``win``) as JSON, or as CSV (nested values as
    JSON text); ``key`` as in :meth:`Window.cut_rows`."""
    chunk, nxt = win.cut_rows(items, key)
    if fmt == "json":
        request.state.audit_rows = len(chunk)
        return {"items": chunk, "next_cursor": nxt}
    flat = {
        c: [json.dumps(r[c], ensure_ascii=False) if isinstance(r[c], dict) else r[c] for r in chunk]
        for c in columns
    }
    return page(request, pa.table(flat) if chunk else pa.table({c: [] for c in columns}), nxt,
                fmt, name)  # fmt: skip


def queue(request: Request, p: Principal, kind: str, params: dict[str, Any]) -> JSONResponse:
    """Queue a job of ``kind`` whose parameters are the request body's members (a refused one
    is a 422 naming the member, checked before the job exists); 202 with its first state and
    ``Location``."""
    job = context(request).jobs.submit(p, kind, params, prefix="")
    request.state.audit_rows = 1
    return JSONResponse(job, status_code=202, headers={"Location": f"/api/v1/jobs/{job['id']}"})


@router.get("/anomalies", responses=TABLE_200)
def list_anomalies(
    request: Request,
    from_: str | None = Query(None, alias="from", max_length=40, description=TIME),
    to: str | None = Query(None, max_length=40, description=TIME + "; a bare day: its end"),
    mn: str | None = Query(None, min_length=1, max_length=27, pattern=MN_PATTERN),
    rule: str | None = Query(None, min_length=1, max_length=40),
    pollutant: str | None = Query(None, min_length=1, max_length=32),
    format: Literal["json", "csv"] = "json",
    limit: int | None = Query(None, ge=1, le=MAX_EXPORT_LIMIT),
    cursor_: str | None = Query(None, alias="cursor", max_length=512),
    p: Principal = Depends(guard),
    cur: duckdb.DuckDBPyConnection = Depends(cursor),
) -> Any:
    """Anomaly findings of the sources in your scope overlapping [from, to), oldest first."""
    start, end = bound("from", from_), bound("to", to, end=True)
    filters = {"from": from_, "to": to, "mn": mn, "rule": rule, "pollutant": pollutant}
    win = window(p, filters, ANOMALY_KEY, limit, cursor_, export=format != "json")
    items = anomalies(cur, p, start, end, mn=mn, rule_name=rule, pollutant=pollutant, page=win)
    return listing(request, win, items, COLUMNS, format, "anomalies")


@router.get("/exceedances", responses=TABLE_200)
def list_exceedances(
    request: Request,
    from_: str | None = Query(None, alias="from", max_length=40, description=TIME),
    to: str | None = Query(None, max_length=40, description=TIME + "; a bare day: its end"),
    mn: str | None = Query(None, min_length=1, max_length=27, pattern=MN_PATTERN),
    pollutant: str | None = Query(None, min_length=1, max_length=32),
    format: Literal["json", "csv"] = "json",
    limit: int | None = Query(None, ge=1, le=MAX_EXPORT_LIMIT),
    cursor_: str | None = Query(None, alias="cursor", max_length=512),
    p: Principal = Depends(guard),
    cur: duckdb.DuckDBPyConnection = Depends(cursor),
) -> Any:
    """Exceedance events (period means over the permit limit) of the sources in your scope."""
    start, end = bound("from", from_), bound("to", to, end=True)
    filters = {"from": from_, "to": to, "mn": mn, "pollutant": pollutant}
    win = window(p, filters, EXCEEDANCE_KEY, limit, cursor_, export=format != "json")
    items = exceedances(cur, p, start, end, mn=mn, pollutant=pollutant, page=win)
    return listing(request, win, items, EXCEEDANCE_COLUMNS, format, "exceedances")


class DetectBody(StrictBody):
    from_: str = Field(..., alias="from", min_length=10, max_length=40, description=TIME)
    to: str = Field(..., min_length=10, max_length=40, description=TIME + "; a bare day: its end")
    rules: list[str] | None = Field(None, max_length=50, description="only these rules")


class PermitsBody(StrictBody):
    path: str = Field(..., min_length=1, max_length=4096, description="absolute path on the server")


@router.post("/detect", status_code=202, responses=QUEUED)
def start_detect(request: Request, body: DetectBody, p: Principal = Depends(guard)) -> JSONResponse:
    """Run the anomaly rules over the stored minute data of [from, to) as a job (idempotent).
    The period and the rules are checked before the job is queued (422 naming the field)."""
    params = {"from": body.from_, "to": body.to, "rules": body.rules}
    return queue(request, p, "supervise-detect", params)


@router.post("/permits", status_code=202, responses=QUEUED)
def start_permits(
    request: Request, body: PermitsBody, p: Principal = Depends(guard)
) -> JSONResponse:
    """Load a permit-limit file on the server as a job (bad rows go to FILE.rejects.csv)."""
    return queue(request, p, "load-permits", {"path": body.path})
