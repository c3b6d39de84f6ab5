"""``/api/v1/registry`` for operators: load a system's list and link (jobs), the review band,
decisions, a source's status (close / reopen), outlet registration, the per-system report and
the code export.

These read and change the whole registry (every region), so they are admin routes; the scoped
search and detail routes are in :mod:`ecohub.api.routers.registry`. The services validate the
options (their messages name the CLI option, as the CLI printed them before it went through
the server).
"""

from __future__ import annotations

from typing import Any, Literal

import duckdb
from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi import Path as FPath
from fastapi.responses import JSONResponse
from pydantic import Field

from ecohub.access.principal import Principal
from ecohub.api.bodies import StrictBody
from ecohub.api.deps import cursor
from ecohub.api.errors import problem_responses
from ecohub.api.routers.supervision import QUEUED, queue
from ecohub.api.rules import guard
from ecohub.jobs.plain import jsonable
from ecohub.queries import NotFound
from ecohub.queries.export import CSV_MEDIA_TYPE
from ecohub.registry import service

router = APIRouter(
    prefix="/api/v1/registry",
    tags=["registry"],
    responses=problem_responses(400, 401, 403, 404, 422),
)
MEDIA = {
    "csv": CSV_MEDIA_TYPE,
    "parquet": "application/vnd.apache.parquet",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class LoadBody(StrictBody):
    system: str = Field(..., max_length=200, description="name of the contributing system")
    path: str = Field(..., min_length=1, max_length=4096, description="absolute path on the server")
    mapping: dict[str, str] = Field(
        default_factory=dict, max_length=200, description="field: column"
    )
    crs: str = Field("wgs84", max_length=20, description="wgs84 | gcj02")
    rejects: str | None = Field(None, max_length=4096, description="reject file on the server")
    full_list: bool = Field(
        False, description="the file is the system's whole list: its records missing from it "
        "are marked withdrawn (kept, with their codes)"
    )  # fmt: skip


class LinkBody(StrictBody):
    # The server's engine (ECOHUB_ENGINE) runs the link; naming another one is refused.
    engine: Literal["duckdb", "spark"] | None = Field(None, description="duckdb | spark")
    # strict: JSON true / false are not probabilities (lax mode would read them as 1.0 / 0.0)
    auto_accept: float = Field(0.9, strict=True, description="link at or above this probability")
    review_low: float = Field(0.5, strict=True, description="lower edge of the review band")


class DecisionBody(StrictBody):
    a: str = Field(..., min_length=1, max_length=200, description="system:record_id")
    b: str = Field(..., min_length=1, max_length=200, description="system:record_id")
    decision: str = Field(..., max_length=20, description="match | nonmatch")
    note: str | None = Field(None, max_length=2000)


@router.post("/loads", status_code=202, responses=QUEUED)
def start_load(request: Request, body: LoadBody, p: Principal = Depends(guard)) -> JSONResponse:
    """Load one system's list of enterprises (a file on the server) as a job."""
    return queue(request, p, "registry-load", body.model_dump())


@router.post("/link", status_code=202, responses=QUEUED)
def start_link(request: Request, body: LinkBody, p: Principal = Depends(guard)) -> JSONResponse:
    """Link every loaded record and issue or keep source codes, as a job."""
    return queue(request, p, "registry-link", body.model_dump())


@router.get("/review")
def review_band(
    request: Request,
    limit: int = Query(20, le=10_000, description="at most this many pairs (at least 1)"),
    p: Principal = Depends(guard),
    cur: duckdb.DuckDBPyConnection = Depends(cursor),
) -> list[dict[str, Any]]:
    """Undecided pairs of the review band, most probable first."""
    rows = jsonable(service.pending(cur, limit=limit))
    request.state.audit_rows = len(rows)
    return list(rows)


@router.post("/review/decision")
def decide(
    request: Request,
    body: DecisionBody,
    p: Principal = Depends(guard),
    cur: duckdb.DuckDBPyConnection = Depends(cursor),
) -> dict[str, Any]:
    """Record (or replace) a decision on two records; it binds the next link."""
    try:
        out = service.decide(cur, body.a, body.b, body.decision, by=p.name, note=body.note)
    except KeyError as exc:
        raise NotFound("record", str(exc.args[0])) from None
    request.state.audit_rows = 1
    return dict(jsonable(out))


class StatusBody(StrictBody):
    status: str = Field(..., max_length=20, description="active | suspended | closed | revoked")
    reason: str = Field(..., min_length=1, max_length=500, description="why (in the code history)")


@router.post("/sources/{code}/status")
def set_status(
    request: Request,
    body: StatusBody,
    code: str = FPath(..., min_length=1, max_length=40, description="source code, any case"),
    p: Principal = Depends(guard),
    cur: duckdb.DuckDBPyConnection = Depends(cursor),
) -> dict[str, Any]:
    """Close (closed, revoked, suspended) or reopen (active) a source with a reason. It holds
    until a newer statement: a later list's status for one of its records, or a steward."""
    from ecohub.registry.lifecycle import set_status as steward_sets

    try:
        out = steward_sets(cur, code, body.status, reason=body.reason, by=p.name)
    except KeyError:
        raise NotFound("source", code) from None
    request.state.audit_rows = 1
    return dict(jsonable(out))


class OutletBody(StrictBody):
    source_code: str = Field(..., min_length=1, max_length=64, description="the source's code")
    medium: str = Field(..., max_length=20, description="air | water (HJ 608-2017 Figure 6)")
    name: str | None = Field(None, max_length=200, description="the outlet's name")


@router.post("/outlets", status_code=201)
def register_outlet(
    request: Request,
    body: OutletBody,
    p: Principal = Depends(guard),
    cur: duckdb.DuckDBPyConnection = Depends(cursor),
) -> dict[str, str]:
    """Register the next outlet of ``medium`` at a source (``DA001``, ``DW001``, …)."""
    from ecohub.registry.attach import add_outlet

    try:
        code = add_outlet(cur, body.source_code, body.medium, name=body.name, actor=p.name)
    except KeyError:
        raise NotFound("source", body.source_code) from None
    request.state.audit_rows = 1
    return {"source_code": body.source_code, "outlet_code": code}


@router.get("/report")
def report(
    request: Request,
    examples: int = Query(10, ge=0, le=1000, description="suspicious records shown"),
    p: Principal = Depends(guard),
    cur: duckdb.DuckDBPyConnection = Depends(cursor),
) -> dict[str, Any]:
    """Per system: records, links, match rate, conflicts; suspicious records; totals."""
    from ecohub.registry.report import report as build

    out = jsonable(build(cur, examples=examples))
    request.state.audit_rows = len(out["systems"])
    return dict(out)


@router.get(
    "/codes",
    responses={
        200: {
            "description": "system, record_id, source_code per record",
            "content": {m.split(";")[0]: {"schema": {"type": "string"}} for m in MEDIA.values()},
        }
    },
)
def export_codes(
    request: Request,
    format: Literal["csv", "parquet", "xlsx"] = Query("csv"),
    p: Principal = Depends(guard),
    cur: duckdb.DuckDBPyConnection = Depends(cursor),
) -> Response:
    """Every record's source code as a CSV, Parquet or XLSX file (the count in X-Result-Count)."""
    data, n = service.export_codes_bytes(cur, format)
    request.state.audit_action = "export"
    request.state.audit_rows = n
    headers = {
        "Content-Disposition": f'attachment; filename="source-codes.{format}"',
        "X-Result-Count": str(n),
    }
    return Response(data, media_type=MEDIA[format], headers=headers)
