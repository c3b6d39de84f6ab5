"""``/api/v1/geo``: the ``ecohub geo`` capabilities (:mod:`ecohub.geo.service`) as routes, so the
CLI asks the running server (or the same app in-process) like every other command.

The county of a point and the list of stored regions are reference data (every role); what lies
inside a region and the summaries over it are data, read in the caller's scope. The writes
(``geo load``, ``install``, ``reorder``) are the admin job kinds ``geo-load``, ``geo-install``
and ``geo-reorder`` (``POST /api/v1/jobs``).
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

import duckdb
from fastapi import APIRouter, Body, Depends, Query, Request
from pydantic import Field

from ecohub.access.principal import Principal
from ecohub.api.bodies import StrictBody
from ecohub.api.deps import cursor
from ecohub.api.errors import problem_responses
from ecohub.api.routers.geo import Crs, RegionBody, _run
from ecohub.api.rules import guard
from ecohub.geo import service

router = APIRouter(
    prefix="/api/v1/geo", tags=["geo"], responses=problem_responses(401, 403, 404, 422)
)


class InsideBody(RegionBody):
    what: Literal["stations", "sources", "outlets"] = "stations"


class SummaryBody(RegionBody):
    what: Literal["air", "water", "sources", "emissions"] = "air"
    from_: date | None = Field(None, alias="from", description="first day (CST); air, emissions")
    to: date | None = Field(None, description="last day (CST), inclusive; air, emissions")
    year: int | None = Field(None, ge=1900, le=2200, description="water")


@router.get("/county")
def county(
    lon: float = Query(..., ge=-180, le=180),
    lat: float = Query(..., ge=-90, le=90),
    crs: Crs = Query("wgs84"),
    p: Principal = Depends(guard),
    cur: duckdb.DuckDBPyConnection = Depends(cursor),
) -> Any:
    """The county (finest GB/T 2260 division) containing a point: ``code``, ``name``; 404 when
    the point is in no county."""
    return _run(service.county_at, cur, lon, lat, crs=crs)


@router.get("/regions")
def regions(
    kind: Literal["basin", "key_region", "custom"] | None = Query(None),
    p: Principal = Depends(guard),
    cur: duckdb.DuckDBPyConnection = Depends(cursor),
) -> Any:
    """Key regions, basins and loaded custom regions (``kind``: only those)."""
    return _run(service.regions, cur, kind)


@router.post("/in")
def inside(
    request: Request,
    body: InsideBody = Body(...),
    p: Principal = Depends(guard),
    cur: duckdb.DuckDBPyConnection = Depends(cursor),
) -> Any:
    """Stations, registry sources or outlets inside the region and your scope."""
    items = _run(service.inside, cur, p, body.region, what=body.what, crs=body.crs)
    request.state.audit_rows = len(items)
    _audit_query(request, body)
    return {"items": items}


@router.post("/summary")
def summary(
    request: Request,
    body: SummaryBody = Body(...),
    p: Principal = Depends(guard),
    cur: duckdb.DuckDBPyConnection = Depends(cursor),
) -> Any:
    """One aggregate over the region in your scope: ``air`` (station-day AQI, ``from``/``to``),
    ``water`` (section classes of ``year``), ``sources`` (by industry), ``emissions`` (HJ 212
    daily amounts per pollutant, ``from``/``to``)."""
    out = _run(service.summary, cur, p, body.region, what=body.what, crs=body.crs,
               start=body.from_, end=body.to, year=body.year)  # fmt: skip
    request.state.audit_rows = 1
    _audit_query(request, body)
    return out


def _audit_query(request: Request, body: StrictBody) -> None:
    """A question asked in a body (a region may not fit a URL) is a read: logged as one, with
    what was asked (a drawn polygon cut to the log's length)."""
    request.state.audit_action = "read"
    request.state.audit_detail = body.model_dump(by_alias=True, mode="json")
