"""``/api/v1/alerts``: alerts raised from findings and exceedances (region scoped), the
inspectors' acknowledge / close (audited by the service) and the configured channels."""

from __future__ import annotations

from typing import Any, Literal

import duckdb
from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import Field

from ecohub.access.principal import Principal
from ecohub.api.bodies import StrictBody
from ecohub.api.deps import TABLE_200, context, cursor
from ecohub.api.errors import problem_responses
from ecohub.api.problems import problem
from ecohub.api.routers.hj212 import MN_PATTERN
from ecohub.api.routers.supervision import TIME, listing
from ecohub.api.rules import guard
from ecohub.queries.listing import window
from ecohub.queries.paging import MAX_EXPORT_LIMIT
from ecohub.supervision import alerts as service
from ecohub.supervision.alerts.channels import channel_status
from ecohub.supervision.alerts.service import ALERT_KEY, MAX_COMMENT, alert_key
from ecohub.supervision.period import bound

router = APIRouter(
    prefix="/api/v1/alerts",
    tags=["alerts"],
    responses=problem_responses(400, 401, 403, 422),
)
ALERT_ID = Path(..., ge=1, le=2**62, description="the alert's id")
ONE = problem_responses(404)
STEP = problem_responses(404, 409)


@router.get("", responses=TABLE_200)
def list_alerts(
    request: Request,
    state: Literal["open", "acknowledged", "closed"] | None = None,
    severity: Literal["low", "medium", "high"] | None = Query(None, description="at least"),
    kind: Literal["finding", "exceedance"] | None = None,
    mn: str | None = Query(None, min_length=1, max_length=27, pattern=MN_PATTERN),
    source: str | None = Query(None, min_length=1, max_length=64, pattern=r"^[0-9A-Za-z]+$"),
    from_: str | None = Query(None, alias="from", max_length=40, description=TIME),
    to: str | None = Query(None, max_length=40, description=TIME + "; a bare day: its end"),
    format: Literal["json", "csv"] = "json",
    limit: int | None = Query(None, ge=1, le=MAX_EXPORT_LIMIT),
    cursor_: str | None = Query(None, alias="cursor", max_length=512),
    p: Principal = Depends(guard),
    cur: duckdb.DuckDBPyConnection = Depends(cursor),
) -> Any:
    """Alerts about the sources in your scope, newest first (``from``/``to``: the alerts whose
    data period overlaps them; ``severity``: at least this)."""
    start, end = bound("from", from_), bound("to", to, end=True)
    filters = {"state": state, "severity": severity, "kind": kind, "mn": mn, "source": source,
               "from": from_, "to": to}  # fmt: skip
    win = window(p, filters, ALERT_KEY, limit, cursor_, export=format != "json")
    items = service.list_alerts(cur, p, state=state, severity=severity, kind=kind, mn=mn,
                                source=source, frm=start, to=end, page=win)  # fmt: skip
    return listing(request, win, items, service.COLUMNS, format, "alerts", alert_key)


@router.get("/channels")
def list_channels(
    request: Request,
    p: Principal = Depends(guard),
    cur: duckdb.DuckDBPyConnection = Depends(cursor),
) -> list[dict[str, Any]]:
    """The configured channels (settings ``alert_channels``; secrets never shown) and their
    outbox: delivered, pending, retrying, the latest error."""
    out = channel_status(cur, context(request).settings.alert_channels)
    request.state.audit_rows = len(out)
    return out


@router.get("/{alert_id}", responses=ONE)
def show_alert(
    request: Request,
    alert_id: int = ALERT_ID,
    p: Principal = Depends(guard),
    cur: duckdb.DuckDBPyConnection = Depends(cursor),
) -> dict[str, Any]:
    """One alert with its deliveries (404 when unknown or outside your scope)."""
    request.state.audit_rows = 1
    return service.get_alert(cur, p, alert_id)


class AckBody(StrictBody):
    comment: str | None = Field(None, max_length=MAX_COMMENT)


class CloseBody(StrictBody):
    # Required; checked by the service, so a missing body or comment is the same 422 naming
    # `comment` as a blank one.
    comment: str | None = Field(
        None, max_length=MAX_COMMENT, description="how the case was handled (required)"
    )


def _step(request: Request, fn: Any, *args: Any) -> Any:
    try:
        item = fn(*args)
    except service.AlertConflict as exc:
        return problem(409, detail=str(exc), errors=[{"field": exc.field, "reason": exc.reason}])
    request.state.audit_rows = 1
    return item


@router.post("/{alert_id}/ack", responses=STEP)
def ack_alert(
    request: Request,
    body: AckBody | None = None,
    alert_id: int = ALERT_ID,
    p: Principal = Depends(guard),
    cur: duckdb.DuckDBPyConnection = Depends(cursor),
) -> Any:
    """Acknowledge an open alert (you are on it); 409 when it is not open."""
    comment = body.comment if body is not None else None
    return _step(request, service.acknowledge, cur, p, alert_id, comment)


@router.post("/{alert_id}/close", responses=STEP)
def close_alert(
    request: Request,
    body: CloseBody | None = None,
    alert_id: int = ALERT_ID,
    p: Principal = Depends(guard),
    cur: duckdb.DuckDBPyConnection = Depends(cursor),
) -> Any:
    """Close an open or acknowledged alert with a comment; 409 when it is closed already."""
    comment = body.comment if body is not None else None
    return _step(request, service.close, cur, p, alert_id, comment)
