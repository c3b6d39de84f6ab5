"""Any region a caller can name, as one WGS84 area.

A region is given as

- a string: a GB/T 2260 code (``110105``), a key-region id (``jjj-2+26``) or the code or name of
  a loaded basin / custom region;
- ``{"geojson": <text or object>}``: a drawn or uploaded polygon (validated as a user file);
- ``{"point": [lon, lat], "distance_m": r}`` or ``{"line": [[lon, lat], ...], "distance_m": r}``:
  everything within ``r`` metres of the point or line.

``crs="gcj02"`` says the caller's coordinates (GeoJSON, point, line) are GCJ-02; they are
converted to WGS84 first. Distances are measured in an azimuthal equidistant projection
centred on the point or line (DuckDB spatial's PROJ), buffered with 512 vertices per circle:
the area's edge is within 0.002 % of ``r`` of the true distance near the centre, and a line
should stay within ~200 km of its middle for the distortion to stay under 0.1 %.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, TypeGuard

import duckdb
import numpy as np
import shapely

from ecohub.geo import boundaries
from ecohub.geo.errors import GeoError, UnknownRegion
from ecohub.geo.gcj02 import gcj02_to_wgs84, in_china
from ecohub.geo.geojson_check import parse_area
from ecohub.geo.spatial import load_spatial

_DIVISION = re.compile(r"^\d{6}$")
MAX_DISTANCE_M = 500_000.0  # our limit: beyond this the local projection distorts too much
_QUAD_SEGS = 128


@dataclass(frozen=True)
class Area:
    """A resolved region: what was asked for, and its WGS84 geometry (prepared)."""

    ref: str
    name: str
    kind: str  # division | key_region | basin | custom | geojson | buffer
    geometry: shapely.Geometry

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        x0, y0, x1, y1 = self.geometry.bounds
        return float(x0), float(y0), float(x1), float(y1)


def ensure_regions(con: duckdb.DuckDBPyConnection) -> None:
    """Boundaries and bundled key regions present (installed on first need)."""
    from ecohub.geo import keyregions

    fresh = boundaries.ensure(con) is not None
    ids = [k.region_id for k in keyregions.definitions()]
    # Every bundled key region, each under its own code (not just "some key region"): one
    # missing or held by another region is installed again.
    row = con.execute(
        "SELECT count(*) FROM region WHERE kind = 'key_region' AND source LIKE 'bundled:%' "
        "AND list_contains(?, code)",
        [ids],
    ).fetchone()
    if fresh or row is None or row[0] < len(set(ids)):
        keyregions.install(con)


def _stored(con: duckdb.DuckDBPyConnection, ref: str) -> Area:
    ensure_regions(con)
    rows = con.execute(
        "SELECT code, name, kind, geom_wkb FROM region WHERE code = ? OR (kind <> 'division' "
        "AND name = ?) ORDER BY code = ? DESC, code",
        [ref, ref, ref],
    ).fetchall()
    if not rows or rows[0][3] is None:
        raise UnknownRegion(ref)
    if rows[0][0] != ref and len(rows) > 1:
        codes = ", ".join(r[0] for r in rows)
        raise GeoError("region", f"name {ref!r} matches several regions ({codes}): use a code")
    row = rows[0]
    geom = shapely.from_wkb(bytes(row[3]))
    shapely.prepare(geom)
    return Area(row[0], row[1], row[2], geom)


def _number(v: Any) -> TypeGuard[int | float]:
    # JSON true/false are Python bools, and bool is an int: not a coordinate or a distance.
    return isinstance(v, int | float) and not isinstance(v, bool)


def _xy(raw: Any, where: str) -> np.ndarray:
    """``raw`` as an (n, 2) array; GeoError naming ``where`` unless it is a list of [lon, lat]
    pairs of finite numbers (a string, a ragged list or a nested one is refused, not cast)."""
    pairs = raw if isinstance(raw, list | tuple) and raw else None
    if pairs is None or not all(
        isinstance(p, list | tuple) and len(p) == 2 and all(map(_number, p)) for p in pairs
    ):
        raise GeoError(where, "must be [lon, lat] pairs of finite numbers")
    arr = np.asarray(pairs, dtype=float)
    if not np.isfinite(arr).all():
        raise GeoError(where, "must be [lon, lat] pairs of finite numbers")
    return arr


def _buffer(con: duckdb.DuckDBPyConnection, spec: dict[str, Any], crs: str) -> Area:
    raw = spec.get("distance_m")
    if not _number(raw):
        raise GeoError("distance_m", "a distance in metres (a number) is required")
    dist = float(raw)
    if not 0 < dist <= MAX_DISTANCE_M:
        raise GeoError("distance_m", f"must be > 0 and <= {MAX_DISTANCE_M:.0f}, not {dist}")
    if "point" in spec:
        xy, where = _xy([spec["point"]], "point"), "point"
    else:
        xy, where = _xy(spec["line"], "line"), "line"
        if len(xy) < 2:
            raise GeoError("line", "needs at least two positions")
    if crs == "gcj02":
        xy = np.column_stack(gcj02_to_wgs84(xy[:, 0], xy[:, 1]))
    inside = in_china(xy[:, 0], xy[:, 1])
    if not inside.all():
        raise GeoError(where, f"position {int(np.argmin(inside))} is outside China")
    geom = shapely.Point(xy[0]) if where == "point" else shapely.LineString(xy)
    centre = geom.centroid
    aeqd = f"+proj=aeqd +lat_0={centre.y} +lon_0={centre.x} +datum=WGS84 +units=m +no_defs"
    load_spatial(con)
    wkb = con.execute(
        "SELECT ST_AsWKB(ST_Transform(ST_Buffer(ST_Transform(ST_GeomFromWKB(?), 'EPSG:4326', "
        "?, true), ?, ?), ?, 'EPSG:4326', true))",
        [shapely.to_wkb(geom), aeqd, dist, _QUAD_SEGS, aeqd],
    ).fetchone()
    assert wkb is not None
    area = shapely.orient_polygons(shapely.from_wkb(bytes(wkb[0])), exterior_cw=False)
    shapely.prepare(area)
    ref = f"{where} {dist:g} m"
    return Area(ref, ref, "buffer", area)


def resolve(
    con: duckdb.DuckDBPyConnection, region: str | dict[str, Any], *, crs: str = "wgs84"
) -> Area:
    """The area ``region`` names (see module doc); :class:`GeoError` says what is wrong."""
    if crs not in ("wgs84", "gcj02"):
        raise GeoError("crs", f"must be wgs84 or gcj02, not {crs!r}")
    if isinstance(region, str):
        ref = region.strip()
        if not ref:
            raise GeoError("region", "is empty")
        return _stored(con, ref)
    if not isinstance(region, dict):
        raise GeoError("region", "must be a code, a name, or an object (geojson / point / line)")
    given = [k for k in ("geojson", "point", "line") if k in region]
    if len(given) > 1:
        raise GeoError("region", f"give one of geojson, point or line, not {' and '.join(given)}")
    if "geojson" in region:
        try:
            parsed = parse_area(region["geojson"], crs=crs, border=boundaries.national_border())
        except GeoError as exc:
            # The checker names the part of a file (`file`, `feature 0`, `geometry ring 1`);
            # here the field is the request's `region.geojson`, and the part goes in the reason.
            reason = exc.reason if exc.where == "file" else f"{exc.where}: {exc.reason}"
            raise GeoError("region.geojson", reason) from None
        shapely.prepare(parsed.geometry)
        return Area("geojson", str(region.get("name") or "drawn area"), "geojson", parsed.geometry)
    if "point" in region or "line" in region:
        return _buffer(con, region, crs)
    raise GeoError("region", "object must have geojson, point or line")
