"""Any region a caller can name, as one WGS84 area.

A region is given as

- a string: a GB/T 2260 code (``110105``), a key-region id (``jjj-2+26``) or the code or name of
  a loaded basin / custom region;
- ``{"geojson": <text or object>}``: a drawn or uploaded polygon (validated as a user file);
- ``{"point": [lon, lat], "distance_m": r}`` or ``{"line": [[lon, lat], ...], "distance_m": r}``:
  everything within ``r`` metres of the point or line (:mod:`ecohub.geo.buffer`).

``crs="gcj02"`` says the caller's coordinates (GeoJSON, point, line) are GCJ-02; they are
converted to WGS84 first. A region given as an object is capped (``ecohub.geo.limits``: vertices
of a polygon or a line, the distance). Errors name the member by its full path in the request,
``region.geojson``, ``region.point``, ``region.line``, ``region.distance_m`` (``region`` for the
object itself), so a client can map them back onto its form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, TypeGuard

import duckdb
import numpy as np
import shapely

from ecohub.geo import boundaries, limits
from ecohub.geo.buffer import buffer_area
from ecohub.geo.errors import GeoError, UnknownRegion
from ecohub.geo.gcj02 import gcj02_to_wgs84
from ecohub.geo.geojson_check import check_in_china, parse_area

_DIVISION = re.compile(r"^\d{6}$")
#: The member of every request body that holds a region: its own members' errors are named
#: ``region.<member>``, their path in the body.
FIELD = "region"


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
        raise GeoError(f"{FIELD}.distance_m", "a distance in metres (a number) is required")
    dist = float(raw)
    if not 0 < dist <= limits.MAX_DISTANCE_M:
        raise GeoError(
            f"{FIELD}.distance_m", f"must be > 0 and <= {limits.MAX_DISTANCE_M:.0f}, not {dist}"
        )
    if "point" in spec:
        kind = "point"
        xy = _xy([spec["point"]], f"{FIELD}.point")
    else:
        kind, line = "line", spec["line"]
        # Counted before anything else is done with it: the buffer's cost grows with it.
        if isinstance(line, list) and len(line) > limits.MAX_LINE_VERTICES:
            raise GeoError(
                f"{FIELD}.line",
                f"has {len(line):,} vertices; at most {limits.MAX_LINE_VERTICES:,} are taken "
                "(simplify the line first)",
            )
        xy = _xy(line, f"{FIELD}.line")
        if len(xy) < 2:
            raise GeoError(f"{FIELD}.line", "needs at least two positions")
    check_in_china(xy, f"{FIELD}.{kind}")  # the numbers as given, before any conversion
    if crs == "gcj02":
        xy = np.column_stack(gcj02_to_wgs84(xy[:, 0], xy[:, 1]))
    area = buffer_area(con, xy, dist)
    shapely.prepare(area)
    ref = f"{kind} {dist:g} m"
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
            parsed = parse_area(
                region["geojson"],
                crs=crs,
                border=boundaries.national_border(),
                max_vertices=limits.MAX_AREA_VERTICES,
            )
        except GeoError as exc:
            # The checker names the part of a file (`file`, `feature 0`, `geometry ring 1`);
            # here the field is the request's `region.geojson`, and the part goes in the reason.
            reason = exc.reason if exc.where == "file" else f"{exc.where}: {exc.reason}"
            raise GeoError(f"{FIELD}.geojson", reason) from None
        shapely.prepare(parsed.geometry)
        return Area("geojson", str(region.get("name") or "drawn area"), "geojson", parsed.geometry)
    if "point" in region or "line" in region:
        return _buffer(con, region, crs)
    raise GeoError("region", "object must have geojson, point or line")
