"""A region a caller *asks for* as a SQL predicate: the "any region" filter of listings and the
region of an alert channel.

The region is any form :func:`ecohub.geo.resolve.resolve` takes (a GB/T 2260 code, a key-region
id, a loaded basin's or custom region's code or name, a drawn GeoJSON area, a distance around a
point or a line). It is turned into the same :class:`~ecohub.access.region_scope.RegionScope` a
user's non-division scope resolves to, and the predicate is
:func:`ecohub.access.scope.area_sql`'s — so a listing filtered by a key region, basin or
polygon selects exactly the rows a user *scoped* to that region would see:

- a division: its code and the codes below it (the region code column; no geometry). Six
  digits that are no GB/T 2260 division (:mod:`ecohub.standards.divisions`) and no stored region
  are unknown, as any other name is;
- a key region: the OR of its member divisions (by code, with or without a point);
- a basin or custom region: a row's point intersects the polygon (on the boundary is inside);
  a row without a point falls back to the divisions lying entirely inside the polygon;
- a drawn area or a distance: a row's point intersects the area; a row without a point is
  never inside (as in :mod:`ecohub.geo.query`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import duckdb
import shapely

from ecohub.access import region_scope
from ecohub.access.region_scope import RegionScope
from ecohub.access.scope import area_sql, region_prefix
from ecohub.geo.errors import GeoError, UnknownRegion
from ecohub.geo.resolve import resolve
from ecohub.queries import QueryError
from ecohub.standards.divisions import is_valid

__all__ = ["area_scope", "query_string_fields", "region_predicate", "request_region"]

_DIVISION = re.compile(r"^\d{6}$")


@contextmanager
def as_query_errors(field: str = "region") -> Iterator[None]:
    """Geo errors as the services' :class:`QueryError` (HTTP 422 naming the field): a region
    filter naming no stored region is a bad value, not a missing object."""
    try:
        yield
    except UnknownRegion as exc:
        raise QueryError(field, exc.reason.removeprefix("region: ")) from None
    except GeoError as exc:
        raise QueryError(exc.where if exc.where != "region" else field, exc.reason) from None


def area_scope(
    con: duckdb.DuckDBPyConnection, region: str | dict[str, Any], *, crs: str = "wgs84"
) -> RegionScope:
    """``region`` as a resolved scope (see the module doc); :class:`GeoError` when it names
    nothing or its geometry is bad."""
    if isinstance(region, str) and _DIVISION.match(region.strip()) and is_valid(region.strip()):
        # A GB/T 2260 division needs no store look-up (its rows are selected by code). Any other
        # six digits (110199, 990000) must be a stored region, or it is unknown: taken as a
        # prefix it would select nothing and answer an empty list instead of naming the typo.
        code = region.strip()
        return RegionScope(code, (region_prefix(code),))
    area = resolve(con, region, crs=crs)
    if area.kind == "division":
        return RegionScope(area.ref, (region_prefix(area.ref),))
    if area.kind == "key_region":
        return region_scope.load(con, f"key:{area.ref}")
    if area.kind in ("basin", "custom"):
        return region_scope.load(con, f"user:{area.ref}")
    # A drawn area or a buffer: the polygon alone (no division is "entirely inside" by name).
    return RegionScope(area.ref, (), shapely.to_wkb(area.geometry), area.bbox)


def region_predicate(
    con: duckdb.DuckDBPyConnection,
    region: str | dict[str, Any] | None,
    column: str,
    *,
    lon: str | None = None,
    lat: str | None = None,
    crs: str = "wgs84",
) -> tuple[str, list[Any]]:
    """The SQL predicate (and its parameters) for rows inside ``region``: ``column`` holds
    the row's GB/T 2260 code, ``lon``/``lat`` its WGS84 point (when the table has one).
    ``("TRUE", [])`` for no region; :class:`QueryError` naming ``region`` when it is bad."""
    if region is None:
        return "TRUE", []
    with as_query_errors():
        scope = area_scope(con, region, crs=crs)
    return area_sql(scope, column, lon=lon, lat=lat)


_POINT = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*$")
#: The members of the region :func:`request_region` builds, by the query parameter each came
#: from: in a query string they stand alone, not inside a ``region`` object.
_QUERY_PARAMETERS = {"region.point": "point", "region.distance_m": "distance_m"}


@contextmanager
def query_string_fields() -> Iterator[None]:
    """Errors about a region that :func:`request_region` built from a query string, named by
    the parameters the caller sent (``point``, ``distance_m``) rather than by their path in
    the region object (``region.point``), which that caller never wrote."""
    try:
        yield
    except QueryError as exc:
        if exc.field not in _QUERY_PARAMETERS:
            raise
        raise QueryError(_QUERY_PARAMETERS[exc.field], exc.reason) from None


def request_region(
    region: str | None, point: str | None, distance_m: float | None
) -> str | dict[str, Any] | None:
    """The region of a query string: ``region`` (a code, key-region id or region name), or
    ``point`` (``"lon,lat"``) with ``distance_m``; :class:`QueryError` naming the field when
    they do not go together."""
    if point is None and distance_m is None:
        return region
    if region is not None:
        raise QueryError("point", "give either region or point with distance_m, not both")
    if point is None or distance_m is None:
        missing = "point" if point is None else "distance_m"
        raise QueryError(missing, "point and distance_m go together")
    m = _POINT.match(point)
    if m is None:
        raise QueryError("point", f"expected lon,lat in decimal degrees, got {point!r}")
    return {"point": [float(m.group(1)), float(m.group(2))], "distance_m": distance_m}
