"""``/api/v1/complaints``: 12369 complaints and their hot spots, region scoped (thin).

The listings' ``region`` is any region: a GB/T 2260 code, a key-region id, a loaded basin's or
custom region's code or name; or ``point=lon,lat`` with ``distance_m`` (``crs=gcj02`` when the
point is in GCJ-02).
"""

from __future__ import annotations

from typing import Any, Literal

import duckdb
from fastapi import APIRouter, Depends, Path, Query, Request

from ecohub.access.principal import Principal
from ecohub.api.deps import cursor
from ecohub.api.errors import problem_responses
from ecohub.api.rules import guard
from ecohub.complaints import service
from ecohub.geo.filter import query_string_fields, request_region
from ecohub.geo.limits import MAX_DISTANCE_M

router = APIRouter(
    prefix="/api/v1/complaints",
    tags=["complaints"],
    responses=problem_responses(401, 403, 404, 422),
)
REGION = r"^[^\x00-\x1f]{1,100}$"
REGION_HELP = "GB/T 2260 code (and below), key-region id, or a loaded region's code or name"
POINT_HELP = "lon,lat: with distance_m, everything within that distance of the point"
TIME = "a day (2026-10-02) or a time (2026-10-02T08:00[+08:00]); CST when no offset"


@router.get("")
def list_complaints(
    request: Request,
    region: str | None = Query(None, pattern=REGION, description=REGION_HELP),
    point: str | None = Query(None, max_length=60, description=POINT_HELP),
    distance_m: float | None = Query(
        None, gt=0, le=MAX_DISTANCE_M, description="metres around point"
    ),
    crs: Literal["wgs84", "gcj02"] = Query("wgs84", description="datum of point"),
    category: str | None = Query(None, max_length=20, description="air, water, noise, ..."),
    topic: str | None = Query(None, max_length=40),
    from_: str | None = Query(None, alias="from", max_length=40, description=TIME),
    to: str | None = Query(None, max_length=40, description=TIME + "; a bare day: its end"),
    hotspot: str | None = Query(None, min_length=1, max_length=80),
    source: str | None = Query(None, min_length=1, max_length=40, description="candidate source"),
    q: str | None = Query(None, min_length=1, max_length=100, description="text contains"),
    repeats: bool | None = Query(None, description="only repeats (true) or first complaints"),
    limit: int | None = Query(None, ge=1, le=10_000),
    cursor_: str | None = Query(None, alias="cursor", max_length=512),
    p: Principal = Depends(guard),
    cur: duckdb.DuckDBPyConnection = Depends(cursor),
) -> dict[str, Any]:
    """Complaints in your region, newest first; page with ``next_cursor``."""
    with query_string_fields():
        out = service.list_complaints(
            cur, p, region=request_region(region, point, distance_m), crs=crs, category=category,
            topic=topic, start=from_, end=to, hotspot=hotspot, source=source, q=q,
            repeats=repeats, limit=limit, cursor=cursor_,
        )  # fmt: skip
    request.state.audit_rows = len(out["items"])
    return out


@router.get("/hotspots")
def list_hotspots(
    request: Request,
    region: str | None = Query(None, pattern=REGION, description=REGION_HELP),
    point: str | None = Query(None, max_length=60, description=POINT_HELP),
    distance_m: float | None = Query(
        None, gt=0, le=MAX_DISTANCE_M, description="metres around point"
    ),
    crs: Literal["wgs84", "gcj02"] = Query("wgs84", description="datum of point"),
    category: str | None = Query(None, max_length=20),
    from_: str | None = Query(None, alias="from", max_length=40, description=TIME),
    to: str | None = Query(None, max_length=40, description=TIME + "; a bare day: its end"),
    limit: int | None = Query(None, ge=1, le=10_000),
    cursor_: str | None = Query(None, alias="cursor", max_length=512),
    p: Principal = Depends(guard),
    cur: duckdb.DuckDBPyConnection = Depends(cursor),
) -> dict[str, Any]:
    """Spatio-temporal hot spots in your region with their ranked candidate sources."""
    with query_string_fields():
        out = service.hotspots(cur, p, region=request_region(region, point, distance_m),
                               crs=crs, category=category, start=from_, end=to, limit=limit,
                               cursor=cursor_)  # fmt: skip
    request.state.audit_rows = len(out["items"])
    return out


@router.get("/{complaint_id}")
def get_complaint(
    request: Request,
    complaint_id: str = Path(..., min_length=1, max_length=64),
    p: Principal = Depends(guard),
    cur: duckdb.DuckDBPyConnection = Depends(cursor),
) -> dict[str, Any]:
    """One complaint: text, class, place, candidate sources, repeat chain, hot spot."""
    out = service.get_complaint(cur, p, complaint_id)
    request.state.audit_rows = 1
    return out
