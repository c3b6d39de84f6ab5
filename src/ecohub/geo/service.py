"""The ``ecohub geo`` capabilities, one function each: check the arguments (a bad one is a
:class:`GeoError` naming the field), do the whole job, return plain data.

The API's ``/api/v1/geo`` routes call these (``api/routers/geo_query.py``), and the CLI calls
those routes (the running server, or the same app in-process), so every answer is made here.
The caller's scope applies inside any region (the selections below add it to their SQL).
"""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from typing import Any

import duckdb
import numpy as np
import shapely

from ecohub.access import Principal
from ecohub.cst import CST
from ecohub.geo.aggregate import air_summary, emission_totals, source_counts, water_classes
from ecohub.geo.assign import CountyIndex
from ecohub.geo.errors import GeoError
from ecohub.geo.gcj02 import gcj02_to_wgs84
from ecohub.geo.query import outlets_in, sources_in, stations_in
from ecohub.geo.resolve import ensure_regions
from ecohub.geo.userregions import KINDS, list_regions
from ecohub.queries import NotFound

CRS = ("wgs84", "gcj02")
INSIDE = ("stations", "sources", "outlets")
SUMMARIES = ("air", "water", "sources", "emissions")
FIRST_YEAR, LAST_YEAR = 1900, 2200  # the years the API's other year fields take

__all__ = ["CRS", "INSIDE", "SUMMARIES", "NoCounty", "county_at", "inside", "regions", "summary"]


class NoCounty(NotFound):
    """No county contains the point (the sea, abroad): HTTP 404, like any missing object."""

    def __init__(self, lon: float, lat: float) -> None:
        LookupError.__init__(self, f"{lon:g},{lat:g} is in no county")
        self.kind = "county"
        self.key = f"{lon:g},{lat:g}"


def _choice(field: str, value: Any, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise GeoError(field, f"must be one of {', '.join(allowed)}, not {value!r}")


def county_at(
    con: duckdb.DuckDBPyConnection, lon: float, lat: float, *, crs: str = "wgs84"
) -> dict[str, Any]:
    """The county (finest division) containing the point: ``code``, ``name`` and the point
    as asked; :class:`NoCounty` when none does. On the border of two: the smaller code (the
    rule of :func:`ecohub.geo.assign_counties`, whose index this uses)."""
    _choice("crs", crs, CRS)
    for field, value, limit in (("lon", lon, 180), ("lat", lat, 90)):
        if not math.isfinite(value) or abs(value) > limit:
            raise GeoError(field, f"must be a number from -{limit} to {limit}, not {value}")
    x, y = float(lon), float(lat)
    if crs == "gcj02":
        gx, gy = gcj02_to_wgs84(np.array([x]), np.array([y]))
        x, y = float(gx[0]), float(gy[0])
    ensure_regions(con)
    # Only the counties whose box holds the point are read and tested.
    rows = con.execute(
        "SELECT code, name, geom_wkb FROM region WHERE kind = 'division' AND leaf "
        "AND ? BETWEEN xmin AND xmax AND ? BETWEEN ymin AND ymax ORDER BY code",
        [x, y],
    ).fetchall()
    if rows:
        geoms = shapely.from_wkb([bytes(r[2]) for r in rows])
        index = CountyIndex(np.array([r[0] for r in rows]), geoms, shapely.STRtree(geoms))
        (code,) = index.assign([x], [y])
        if code is not None:
            name = next(r[1] for r in rows if r[0] == code)
            return {"code": code, "name": name, "lon": lon, "lat": lat, "crs": crs}
    raise NoCounty(lon, lat)


def regions(con: duckdb.DuckDBPyConnection, kind: str | None = None) -> list[dict[str, Any]]:
    """Key regions, basins and custom regions (``kind``: only those): code, name, kind,
    source."""
    if kind is not None:
        _choice("kind", kind, KINDS)
    ensure_regions(con)
    return list_regions(con, kind)


def inside(
    con: duckdb.DuckDBPyConnection,
    p: Principal,
    region: str | dict[str, Any],
    *,
    what: str = "stations",
    crs: str = "wgs84",
) -> list[dict[str, Any]]:
    """The stations, registry sources or outlets (``what``) inside ``region`` and ``p``'s
    scope, with lon/lat in ``crs``."""
    _choice("what", what, INSIDE)
    _choice("crs", crs, CRS)
    fn = {"stations": stations_in, "sources": sources_in, "outlets": outlets_in}[what]
    return fn(con, p, region, crs=crs)


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=CST)


def summary(
    con: duckdb.DuckDBPyConnection,
    p: Principal,
    region: str | dict[str, Any],
    *,
    what: str = "air",
    crs: str = "wgs84",
    start: date | None = None,
    end: date | None = None,
    year: int | None = None,
) -> dict[str, Any]:
    """One aggregate over ``region`` within ``p``'s scope (``what``):

    - ``air``: station-day AQI of days ``start``..``end`` (:func:`air_summary`);
    - ``water``: sections per annual class of ``year`` (:func:`water_classes`);
    - ``sources``: registry sources by industry (:func:`source_counts`);
    - ``emissions``: Σ HJ 212 daily amounts per pollutant, CST days ``start``..``end``
      inclusive (:func:`emission_totals`).
    """
    _choice("what", what, SUMMARIES)
    _choice("crs", crs, CRS)
    if what == "sources":
        return source_counts(con, p, region, crs=crs)
    if what == "water":
        if year is None:
            raise GeoError("year", "is required for what=water")
        if not FIRST_YEAR <= year <= LAST_YEAR:
            raise GeoError("year", f"must be from {FIRST_YEAR} to {LAST_YEAR}, not {year}")
        return water_classes(con, p, region, year=year, crs=crs)
    if start is None:
        raise GeoError("from", f"is required for what={what}")
    if end is None:
        raise GeoError("to", f"is required for what={what}")
    for field, day in (("from", start), ("to", end)):
        if not FIRST_YEAR <= day.year <= LAST_YEAR:
            raise GeoError(field, f"must be a day of the years {FIRST_YEAR}-{LAST_YEAR}, not {day}")
    if start > end:
        raise GeoError("from", f"{start} is after to ({end})")
    if what == "air":
        return air_summary(con, p, region, start=start, end=end, crs=crs)
    return emission_totals(
        con, p, region, start=_midnight(start), end=_midnight(end + timedelta(days=1)), crs=crs
    )
