"""What lies inside a region: stations, registry sources and outlets, as plain rows.

Membership is decided one way everywhere: a point is inside when it *intersects* the area, so a
point exactly on the boundary is inside (and may be inside two neighbouring regions). Rows are
first cut by the area's bounding box and the principal's scope in SQL, then tested against the
prepared area with GEOS (Shapely), which measured faster than DuckDB spatial's ST_Intersects
for this (docs/geo.md). A row without coordinates is inside a division when its own region code
lies under it (the registry files it there), and inside no other kind of area.

``crs="gcj02"`` returns lon/lat in GCJ-02 (for Chinese web maps); input coordinates of the
region follow the same ``crs`` (see :mod:`ecohub.geo.resolve`).
"""

from __future__ import annotations

from typing import Any

import duckdb
import numpy as np
import pandas as pd
import shapely

from ecohub.access import Principal, region_sql, source_sql
from ecohub.access.region_scope import region_prefix
from ecohub.geo.gcj02 import wgs84_to_gcj02
from ecohub.geo.resolve import Area, resolve

# Per kind of point: the SELECT (with lon/lat), and how the principal's scope applies to it.
_POINTS: dict[str, tuple[str, str, str | None]] = {
    "station": (
        "SELECT station_id, name, network, region_code, lon, lat FROM station",
        "region_code",
        None,
    ),
    "source": (
        "SELECT source_code, name, region_code, industry, status, lon, lat FROM source",
        "region_code",
        "source_code",
    ),
    # An outlet without its own point stands at its source's point.
    "outlet": (
        "SELECT * FROM (SELECT o.source_code, o.outlet_code, o.medium, o.name, s.region_code, "
        "coalesce(o.lon, s.lon) AS lon, coalesce(o.lat, s.lat) AS lat "
        "FROM outlet o LEFT JOIN source s USING (source_code))",
        "region_code",
        "source_code",
    ),
}


def inside_frame(
    con: duckdb.DuckDBPyConnection,
    p: Principal,
    kind: str,
    area: Area,
    *,
    where: str = "TRUE",
    params: list[Any] | None = None,
) -> pd.DataFrame:
    """Rows of ``kind`` (station | source | outlet) inside ``area`` and ``p``'s scope."""
    select, region_col, source_col = _POINTS[kind]
    scope, scope_params = region_sql(p, region_col, lon="lon", lat="lat")
    own, own_params = source_sql(p, source_col) if source_col else ("TRUE", [])
    x0, y0, x1, y1 = area.bbox
    located = "lon BETWEEN ? AND ? AND lat BETWEEN ? AND ?"
    located_params: list[Any] = [x0, x1, y0, y1]
    if area.kind == "division" and len(area.ref) == 6 and area.ref.isdigit():
        # A row the map cannot place (no point) is still in its own division by its code: a
        # district's source list is every source the registry files under it.
        located = (
            f"(({located}) OR ((lon IS NULL OR lat IS NULL) AND starts_with({region_col}, ?)))"
        )
        located_params.append(region_prefix(area.ref))
    frame = con.execute(
        f"SELECT * FROM ({select}) WHERE {located} AND ({scope}) AND ({own}) AND ({where})",
        [*located_params, *scope_params, *own_params, *(params or [])],
    ).df()
    if frame.empty:
        return frame
    lon, lat = frame["lon"].to_numpy(float), frame["lat"].to_numpy(float)
    unplaced = np.isnan(lon) | np.isnan(lat)
    mask = unplaced | shapely.intersects_xy(area.geometry, lon, lat)
    return frame[mask].reset_index(drop=True)


def _rows(frame: pd.DataFrame, crs: str) -> list[dict[str, Any]]:
    if crs == "gcj02" and not frame.empty:
        lon, lat = wgs84_to_gcj02(frame["lon"].to_numpy(float), frame["lat"].to_numpy(float))
        frame = frame.assign(lon=lon, lat=lat)
    frame = frame.astype(object).where(frame.notna(), None)
    return [
        {str(k): (v.item() if isinstance(v, np.generic) else v) for k, v in row.items()}
        for row in frame.to_dict(orient="records")
    ]


def _select(
    con: duckdb.DuckDBPyConnection,
    p: Principal,
    kind: str,
    region: str | dict[str, Any],
    crs: str,
    where: str = "TRUE",
    params: list[Any] | None = None,
) -> list[dict[str, Any]]:
    area = resolve(con, region, crs=crs)
    return _rows(inside_frame(con, p, kind, area, where=where, params=params), crs)


def stations_in(
    con: duckdb.DuckDBPyConnection,
    p: Principal,
    region: str | dict[str, Any],
    *,
    network: str | None = None,
    crs: str = "wgs84",
) -> list[dict[str, Any]]:
    """Stations inside ``region`` (optionally of one network) that ``p`` may see."""
    if network:
        return _select(con, p, "station", region, crs, "network = ?", [network])
    return _select(con, p, "station", region, crs)


def sources_in(
    con: duckdb.DuckDBPyConnection,
    p: Principal,
    region: str | dict[str, Any],
    *,
    crs: str = "wgs84",
) -> list[dict[str, Any]]:
    """Registry sources whose point is inside ``region``, within ``p``'s scope."""
    return _select(con, p, "source", region, crs)


def outlets_in(
    con: duckdb.DuckDBPyConnection,
    p: Principal,
    region: str | dict[str, Any],
    *,
    crs: str = "wgs84",
) -> list[dict[str, Any]]:
    """Outlets inside ``region`` (their own point, else their source's), within ``p``'s scope."""
    return _select(con, p, "outlet", region, crs)


def region_feature(
    con: duckdb.DuckDBPyConnection, region: str | dict[str, Any], *, crs: str = "wgs84"
) -> dict[str, Any]:
    """The region as a GeoJSON Feature (geometry in WGS84, or GCJ-02 when asked)."""
    import json

    area = resolve(con, region, crs=crs)
    geom = area.geometry
    if crs == "gcj02":
        geom = shapely.transform(
            geom, lambda xy: np.column_stack(wgs84_to_gcj02(xy[:, 0], xy[:, 1]))
        )
    return {
        "type": "Feature",
        "id": area.ref,
        "properties": {"name": area.name, "kind": area.kind, "crs": crs},
        "geometry": json.loads(shapely.to_geojson(geom)),
    }
