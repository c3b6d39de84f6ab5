"""Boundaries for the console's map: divisions under a parent, key regions and drawn areas as
simplified GeoJSON (WGS84, or GCJ-02 when asked), and the HJ 633 category colours."""

from __future__ import annotations

import json
from typing import Any

import duckdb
import numpy as np
import shapely

from ecohub.geo import ensure_regions
from ecohub.geo.boundaries import installed_version
from ecohub.geo.errors import UnknownRegion
from ecohub.geo.gcj02 import wgs84_to_gcj02
from ecohub.geo.resolve import resolve
from ecohub.standards import aqi as aqi_std

# Douglas-Peucker tolerance (degrees) per level drawn: ~2 km for provinces, ~200 m for counties;
# enough for a screen, and a Beijing county layer stays under ~100 kB.
TOLERANCE = {"province": 0.02, "prefecture": 0.005, "county": 0.002, "other": 0.002}


def levels() -> list[dict[str, Any]]:
    """HJ 633 Table 2 categories with their colours (the map legend and the calendar)."""
    out = []
    for value in (0, 51, 101, 151, 201, 301):
        level, zh, en, rgb = aqi_std.category(value)
        out.append({"level": level, "zh": zh, "en": en, "color": rgb})
    return out


def _geojson(geom: shapely.Geometry, crs: str) -> dict[str, Any]:
    """``geom`` as a GeoJSON geometry in ``crs``, its rings wound as RFC 7946 3.1.6 requires
    (exteriors counter-clockwise, holes clockwise): simplification does not keep the winding
    (``coverage_simplify`` turned some provinces' exteriors clockwise), so it is set last."""
    if crs == "gcj02":
        geom = shapely.transform(
            geom, lambda xy: np.column_stack(wgs84_to_gcj02(xy[:, 0], xy[:, 1]))
        )
    geom = shapely.orient_polygons(geom, exterior_cw=False)
    out: dict[str, Any] = json.loads(shapely.to_geojson(geom, indent=None))
    return out


def _simplify(geoms: list[shapely.Geometry], tolerance: float) -> list[shapely.Geometry]:
    """Neighbours simplified together (coverage simplification) so shared edges still meet."""
    if tolerance <= 0 or not geoms:
        return geoms
    arr = np.array(geoms, dtype=object)
    try:
        return list(shapely.coverage_simplify(arr, tolerance))
    except shapely.errors.GEOSException:  # not a clean coverage: each on its own
        return list(shapely.simplify(arr, tolerance, preserve_topology=True))


def boundaries(
    con: duckdb.DuckDBPyConnection,
    parent: str | None,
    *,
    crs: str = "wgs84",
    tolerance: float | None = None,
) -> dict[str, Any]:
    """The divisions directly under ``parent`` (provinces when None) as a FeatureCollection,
    simplified for a screen; ``parent`` itself is the collection's ``parent`` Feature.

    Answers are kept per boundary-set version (simplifying China's provinces takes ~1 s; the
    divisions only change with the installed set)."""
    ensure_regions(con)
    key = (installed_version(con), parent, crs, tolerance)
    hit = _CACHE.get(key)
    if hit is None:
        hit = _boundaries(con, parent, crs, tolerance)
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = hit
    return hit


_CACHE: dict[tuple[Any, ...], dict[str, Any]] = {}
_CACHE_SIZE = 128


def _boundaries(
    con: duckdb.DuckDBPyConnection, parent: str | None, crs: str, tolerance: float | None
) -> dict[str, Any]:
    if parent is None:
        rows = con.execute(
            "SELECT code, name, level, geom_wkb FROM region WHERE kind = 'division' "
            "AND level = 'province' ORDER BY code"
        ).fetchall()
        head = None
    else:
        head = con.execute(
            "SELECT code, name, level, geom_wkb FROM region WHERE code = ? AND kind = 'division'",
            [parent],
        ).fetchone()
        if head is None:
            raise UnknownRegion(parent)
        rows = con.execute(
            "SELECT code, name, level, geom_wkb FROM region WHERE kind = 'division' "
            "AND parent_code = ? ORDER BY code",
            [parent],
        ).fetchall()
    has_children = {
        c
        for (c,) in con.execute(
            "SELECT DISTINCT parent_code FROM region WHERE kind = 'division' "
            "AND parent_code IS NOT NULL"
        ).fetchall()
    }
    level = rows[0][2] if rows else "other"
    tol = TOLERANCE.get(level, 0.002) if tolerance is None else tolerance
    geoms = _simplify([shapely.from_wkb(bytes(r[3])) for r in rows], tol)
    features = [
        {
            "type": "Feature",
            "id": code,
            "properties": {
                "code": code,
                "name": name,
                "level": lvl,
                "has_children": code in has_children,
            },
            "geometry": _geojson(g, crs),
        }
        for (code, name, lvl, _), g in zip(rows, geoms, strict=True)
    ]
    out: dict[str, Any] = {"type": "FeatureCollection", "features": features, "crs": crs}
    if head is not None:
        out["path"] = _path(con, head[0])
        (g,) = _simplify([shapely.from_wkb(bytes(head[3]))], tol)
        out["parent"] = {
            "type": "Feature",
            "id": head[0],
            "properties": {"code": head[0], "name": head[1], "level": head[2]},
            "geometry": _geojson(g, crs),
        }
    return out


def _path(con: duckdb.DuckDBPyConnection, code: str) -> list[dict[str, str]]:
    """``code`` and the divisions above it in the boundary set, the province first."""
    out: list[dict[str, str]] = []
    at: str | None = code
    while at is not None and len(out) < 4:
        row = con.execute(
            "SELECT code, name, parent_code FROM region WHERE code = ? AND kind = 'division'", [at]
        ).fetchone()
        if row is None:
            break
        out.insert(0, {"code": row[0], "name": row[1]})
        at = row[2]
    return out


def areas(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Key regions, basins and loaded custom regions (what the region picker lists)."""
    ensure_regions(con)
    rows = con.execute(
        "SELECT code, name, name_en, kind, source FROM region WHERE kind <> 'division' "
        "ORDER BY kind, code"
    ).fetchall()
    return [
        {"code": c, "name": n, "name_en": ne, "kind": k, "source": s} for c, n, ne, k, s in rows
    ]


def area_feature(
    con: duckdb.DuckDBPyConnection, region: str | dict[str, Any], *, crs: str = "wgs84"
) -> dict[str, Any]:
    """Any region (code, key region, drawn GeoJSON, buffer) as one simplified Feature."""
    area = resolve(con, region, crs=crs)
    # A drawn shape or a circle goes back as drawn (a circle simplified would be an octagon).
    tol = 0.0 if area.kind in ("geojson", "buffer") else TOLERANCE["county"]
    (g,) = _simplify([area.geometry], tol)
    return {
        "type": "Feature",
        "id": area.ref,
        "properties": {"code": area.ref, "name": area.name, "kind": area.kind},
        "geometry": _geojson(g, crs),
    }
