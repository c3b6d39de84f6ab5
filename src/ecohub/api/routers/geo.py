"""``/api/v1/geo``: boundaries for maps, and what lies inside any region (the web console's
region routes). A region is a GB/T 2260 code, a key-region id or a loaded region's code or name,
or an object (``{"geojson": ...}``, ``{"point": [lon, lat], "distance_m": r}``, ``{"line": ...}``);
``crs=gcj02`` for coordinates in and out in GCJ-02. The caller's scope applies inside any region.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any, Literal

import duckdb
from fastapi import APIRouter, Body, Depends, Path, Query, Request
from pydantic import Field

from ecohub.access.principal import Principal
from ecohub.api.bodies import StrictBody
from ecohub.api.deps import cursor
from ecohub.api.errors import problem_responses
from ecohub.api.rules import guard
from ecohub.geo import limits, sources_in
from ecohub.geo.errors import GeoError, UnknownRegion
from ecohub.jobs.plain import jsonable
from ecohub.queries import NotFound, QueryError
from ecohub.web import maps, service

router = APIRouter(
    prefix="/api/v1/geo", tags=["geo"], responses=problem_responses(401, 403, 404, 422)
)
Crs = Literal["wgs84", "gcj02"]
REF = r"^[^\x00-\x1f]{1,100}$"


class RegionBody(StrictBody):
    """A region and the CRS of its coordinates (and of the coordinates answered)."""

    region: str | dict[str, Any] = Field(
        ..., description="code, key-region id, region name, or {geojson|point|line ...}"
    )
    crs: Crs = "wgs84"


class AirBody(RegionBody):
    from_: date | None = Field(None, alias="from", description="first day (CST)")
    to: date | None = Field(None, description="last day (CST), inclusive")


class WaterBody(RegionBody):
    year: int | None = Field(None, ge=1900, le=2200)


@contextmanager
def _geo_errors() -> Iterator[None]:
    """Geo errors as the API's: an unknown region 404, bad geometry 422 naming the field."""
    try:
        yield
    except UnknownRegion as exc:
        named = re.search(r"'(.*)'", exc.reason)
        raise NotFound("region", named.group(1) if named else "?") from None
    except GeoError as exc:
        raise QueryError(exc.where, exc.reason) from None


def _run(fn: Callable[..., Any], *args: Any, **kw: Any) -> Any:
    with _geo_errors():
        return jsonable(fn(*args, **kw))


@router.get("/boundaries")
def boundaries(
    parent: str | None = Query(None, pattern=r"^\d{6}$", description="default: provinces"),
    crs: Crs = Query("wgs84"),
    tolerance: float | None = Query(None, ge=0, le=0.5, description="degrees; default by level"),
    p: Principal = Depends(guard),
    cur: duckdb.DuckDBPyConnection = Depends(cursor),
) -> Any:
    """Divisions directly under ``parent`` as simplified GeoJSON (reference data)."""
    with _geo_errors():  # already plain JSON (and cached): no copy
        return maps.boundaries(cur, parent, crs=crs, tolerance=tolerance)


@router.get("/areas")
def areas(p: Principal = Depends(guard), cur: duckdb.DuckDBPyConnection = Depends(cursor)) -> Any:
    """Key regions, basins and loaded custom regions."""
    return _run(maps.areas, cur)


@router.get("/areas/{ref}")
def area(
    ref: str = Path(..., pattern=REF),
    crs: Crs = Query("wgs84"),
    p: Principal = Depends(guard),
    cur: duckdb.DuckDBPyConnection = Depends(cursor),
) -> Any:
    """One stored region (division, key region, basin, custom) as a simplified Feature."""
    return _run(maps.area_feature, cur, ref, crs=crs)


@router.get("/levels")
def levels(p: Principal = Depends(guard)) -> list[dict[str, Any]]:
    """HJ 633 AQI categories and their colours."""
    return maps.levels()


@router.get("/limits")
def geo_limits(p: Principal = Depends(guard)) -> dict[str, float | int]:
    """What a region given in a body may hold: the longest ``distance_m`` around a point or a
    line, and the most vertices of a polygon (``area_vertices``) or of a line."""
    return limits.as_dict()


@router.post("/feature")
def feature(
    body: RegionBody = Body(...),
    p: Principal = Depends(guard),
    cur: duckdb.DuckDBPyConnection = Depends(cursor),
) -> Any:
    """Any region (also drawn or a distance around a point) as a simplified Feature."""
    return _run(maps.area_feature, cur, body.region, crs=body.crs)


@router.post("/stations")
def stations(
    request: Request,
    body: RegionBody = Body(...),
    p: Principal = Depends(guard),
    cur: duckdb.DuckDBPyConnection = Depends(cursor),
) -> Any:
    """Stations inside the region and your scope, with their latest AQI category or water class."""
    out = _run(service.map_stations, cur, p, body.region, crs=body.crs)
    request.state.audit_rows = len(out["items"])
    return out


@router.post("/sources")
def sources(
    request: Request,
    body: RegionBody = Body(...),
    p: Principal = Depends(guard),
    cur: duckdb.DuckDBPyConnection = Depends(cursor),
) -> Any:
    """Registry sources whose point is inside the region, within your scope."""
    items = _run(sources_in, cur, p, body.region, crs=body.crs)
    request.state.audit_rows = len(items)
    return {"items": items}


@router.post("/air")
def air(
    request: Request,
    body: AirBody = Body(...),
    p: Principal = Depends(guard),
    cur: duckdb.DuckDBPyConnection = Depends(cursor),
) -> Any:
    """The region's air panels: daily trend and categories, composition, ranking."""
    out = _run(service.air_panels, cur, p, body.region, start=body.from_, end=body.to, crs=body.crs)
    request.state.audit_rows = out.get("station_days", 0)
    return out


@router.post("/water")
def water(
    body: WaterBody = Body(...),
    p: Principal = Depends(guard),
    cur: duckdb.DuckDBPyConnection = Depends(cursor),
) -> Any:
    """The region's water-class distribution (latest stored year by default)."""
    return _run(service.water_panel, cur, p, body.region, year=body.year, crs=body.crs)
