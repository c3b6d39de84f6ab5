"""``/api/v1/registry``: search the unified source registry; one source in full."""

from __future__ import annotations

from typing import Any

import duckdb
from fastapi import APIRouter, Depends, Path, Query, Request

from ecohub.access.principal import Principal
from ecohub.api.deps import cursor
from ecohub.api.errors import problem_responses
from ecohub.api.rules import guard
from ecohub.jobs.plain import jsonable
from ecohub.registry import search as service

router = APIRouter(
    prefix="/api/v1/registry", tags=["registry"], responses=problem_responses(401, 403, 404, 422)
)


@router.get("/sources")
def sources(
    request: Request,
    name: str | None = Query(None, min_length=1, max_length=100),
    uscc: str | None = Query(None, min_length=1, max_length=40, description="credit code"),
    source_code: str | None = Query(None, min_length=1, max_length=40),
    region: str | None = Query(None, pattern=r"^\d{6}$"),
    limit: int | None = Query(None, ge=1, le=10_000),
    cursor_: str | None = Query(None, alias="cursor", max_length=512),
    p: Principal = Depends(guard),
    cur: duckdb.DuckDBPyConnection = Depends(cursor),
) -> dict[str, Any]:
    """Sources in your scope by name, credit code, source code or region; cursor paging."""
    out = service.search(
        cur,
        p,
        name=name,
        uscc=uscc,
        source_code=source_code,
        region=region,
        limit=limit,
        cursor=cursor_,
    )
    request.state.audit_rows = len(out["items"])
    return jsonable(out)


@router.get("/sources/{code}")
def source(
    request: Request,
    code: str = Path(..., min_length=1, max_length=40),
    p: Principal = Depends(guard),
    cur: duckdb.DuckDBPyConnection = Depends(cursor),
) -> dict[str, Any]:
    """One source: every system's record, outlets, permits, monitoring points, code history."""
    out = service.source_detail(cur, p, code)
    request.state.audit_rows = 1
    return jsonable(out)
