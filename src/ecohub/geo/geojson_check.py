"""GeoJSON (RFC 7946) polygons in, one valid WGS84 area out, or an error naming the feature.

What is checked, in this order, per feature (named by index, ``id`` and ``properties.name``):

- the text is JSON, the object is a FeatureCollection, Feature, Polygon or MultiPolygon, and it
  has no more vertices than the caller takes (a request's region: ``ecohub.geo.limits``);
- a ``crs`` member other than OGC CRS84 / EPSG:4326 is refused (RFC 7946 dropped ``crs``;
  GCJ-02 is declared with ``crs="gcj02"`` instead and converted here);
- positions are two or three finite numbers; rings have four or more positions and are closed
  (RFC 7946 3.1.6: the first and last positions are equal) -- an unclosed ring is rejected;
- every position lies in China's coordinate box; one that would lie in it with its two numbers
  exchanged is reported as swapped ([lat, lon] instead of [lon, lat], RFC 7946 3.1.1);
- the polygon is valid (no self-intersection, holes inside their shell; GEOS's reason is
  quoted) and touches China's territory;
- winding: RFC 7946 asks for counter-clockwise exteriors but says parsers SHOULD NOT reject
  the other order, so rings are re-oriented and a note says so.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely

from ecohub.geo.errors import GeoError
from ecohub.geo.gcj02 import gcj02_to_wgs84, in_china

CRS_OK = {
    "urn:ogc:def:crs:OGC:1.3:CRS84",
    "urn:ogc:def:crs:OGC::CRS84",
    "urn:ogc:def:crs:EPSG::4326",
    "EPSG:4326",
    "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
    "http://www.opengis.net/def/crs/EPSG/0/4326",
}
#: CGCS2000 (China's national datum, EPSG:4490: what Tianditu, the Ministry of Water Resources
#: and most Chinese GIS exports carry) differs from WGS84 by centimetres, far below any
#: boundary's accuracy: taken as WGS84, as the bundled Tianditu boundaries are (docs/geo.md).
CRS_CGCS2000 = {
    "urn:ogc:def:crs:EPSG::4490",
    "EPSG:4490",
    "http://www.opengis.net/def/crs/EPSG/0/4490",
}
AREA_TYPES = ("Polygon", "MultiPolygon")


@dataclass
class ParsedArea:
    """The union of the input's polygons (WGS84, CCW exteriors) and what was fixed on the way."""

    geometry: shapely.Geometry
    features: int
    notes: list[str] = field(default_factory=list)


def _label(index: int | None, feature: dict[str, Any] | None) -> str:
    if index is None:
        return "geometry"
    parts = [f"feature {index}"]
    if feature is not None:
        if feature.get("id") is not None:
            parts.append(f"id={feature['id']!r}")
        props = feature.get("properties")
        if isinstance(props, dict) and props.get("name") is not None:
            parts.append(f"name={props['name']!r}")
    return parts[0] + (f" ({', '.join(parts[1:])})" if len(parts) > 1 else "")


def _ring(raw: Any, where: str) -> np.ndarray:
    if not isinstance(raw, list) or not raw:
        raise GeoError(where, "a ring must be a non-empty array of positions")
    for k, pos in enumerate(raw):
        if (
            not isinstance(pos, list)
            or len(pos) not in (2, 3)
            or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in pos)
        ):
            raise GeoError(where, f"position {k} is not [lon, lat] or [lon, lat, alt]: {pos!r}")
        if not all(math.isfinite(v) for v in pos):
            raise GeoError(where, f"position {k} is not finite: {pos!r}")
    coords = np.array([pos[:2] for pos in raw], dtype=float)
    if len(coords) < 4:
        raise GeoError(where, f"a ring needs at least 4 positions, has {len(coords)}")
    if not np.array_equal(coords[0], coords[-1]):
        raise GeoError(
            where,
            "ring is not closed: its first and last positions differ (RFC 7946 3.1.6)",
        )
    return coords


def check_in_china(coords: np.ndarray, where: str) -> None:
    """Every ``[lon, lat]`` row of ``coords`` lies in China's coordinate box, or a
    :class:`GeoError` naming ``where`` and the first position that does not: as "looks swapped"
    when that position would lie in the box with its two numbers exchanged (RFC 7946 3.1.1:
    longitude first; most Chinese web-map APIs write lat,lng). Shared by every kind of region a
    request gives (GeoJSON, a point, a line), so the same mistake gets the same answer."""
    ok = in_china(coords[:, 0], coords[:, 1])
    if ok.all():
        return
    k = int(np.argmin(ok))
    lon, lat = (float(v) for v in coords[k])
    if bool(in_china(np.array([lat]), np.array([lon]))[0]):
        raise GeoError(
            where,
            f"position {k} [{lon}, {lat}] looks swapped: positions are [lon, lat], as in "
            "GeoJSON (RFC 7946 3.1.1)",
        )
    raise GeoError(where, f"position {k} [{lon}, {lat}] is outside China")


def count_vertices(doc: Any) -> int:
    """How many vertices the ``coordinates`` of a GeoJSON object hold (every feature, part and
    ring; a ring's last position, which repeats its first, is not one more), read before any
    check so a request's size is known before the checks spend time on it. Nothing is
    validated: a malformed object is counted as far as it goes."""
    n = 0
    stack = [doc]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            kind = node.get("type")
            if kind == "FeatureCollection":
                stack.append(node.get("features"))
            elif kind == "Feature":
                stack.append(node.get("geometry"))
            else:
                stack.append(node.get("coordinates"))
        elif isinstance(node, list) and node:
            if isinstance(node[0], list) and node[0] and not isinstance(node[0][0], list):
                # A ring or a line: a list of positions.
                n += len(node) - (len(node) > 1 and node[0] == node[-1])
            else:
                stack.extend(node)
    return n


def _polygons(geometry: Any, where: str) -> list[list[np.ndarray]]:
    if not isinstance(geometry, dict):
        raise GeoError(where, "geometry must be an object")
    kind = geometry.get("type")
    if kind not in AREA_TYPES:
        raise GeoError(where, f"geometry type must be Polygon or MultiPolygon, not {kind!r}")
    coords = geometry.get("coordinates")
    if not isinstance(coords, list) or not coords:
        raise GeoError(where, "geometry has no coordinates")
    polys = [coords] if kind == "Polygon" else coords
    out = []
    for p, poly in enumerate(polys):
        at = where if kind == "Polygon" else f"{where} polygon {p}"
        if not isinstance(poly, list) or not poly:
            raise GeoError(at, "a polygon must be a non-empty array of rings")
        out.append([_ring(ring, f"{at} ring {r}") for r, ring in enumerate(poly)])
    return out


def _area(
    geometry: Any, where: str, crs: str, border: shapely.Geometry, notes: list[str]
) -> shapely.Geometry:
    parts = []
    for p, rings in enumerate(_polygons(geometry, where)):
        label = where if geometry["type"] == "Polygon" else f"{where} polygon {p}"
        for r, ring in enumerate(rings):
            check_in_china(ring, f"{label} ring {r}")  # the numbers as given, before conversion
        if crs == "gcj02":
            rings = [np.column_stack(gcj02_to_wgs84(r[:, 0], r[:, 1])) for r in rings]
        poly = shapely.Polygon(rings[0], rings[1:])
        if not poly.is_valid:
            raise GeoError(label, f"invalid polygon: {shapely.is_valid_reason(poly)}")
        parts.append(poly)
    geom = shapely.MultiPolygon(parts) if len(parts) > 1 else parts[0]
    if not geom.is_valid:
        raise GeoError(where, f"invalid multipolygon: {shapely.is_valid_reason(geom)}")
    oriented = shapely.orient_polygons(geom, exterior_cw=False)
    if not shapely.equals_exact(oriented, geom, tolerance=0):
        notes.append(f"{where}: rings re-oriented to RFC 7946 winding (exterior counter-clockwise)")
    if not shapely.intersects(oriented, border):
        raise GeoError(where, "the area lies entirely outside China's territory")
    return oriented


def parse_area(
    data: str | bytes | dict[str, Any],
    *,
    crs: str = "wgs84",
    border: shapely.Geometry,
    max_vertices: int | None = None,
) -> ParsedArea:
    """Validate GeoJSON text or object and return the union of its areas (see module doc).
    ``max_vertices``: refuse (``file``) an input with more vertices, before checking it."""
    if crs not in ("wgs84", "gcj02"):
        raise GeoError("crs", f"must be wgs84 or gcj02, not {crs!r}")
    if isinstance(data, str | bytes):
        try:
            doc = json.loads(data)
        except (ValueError, UnicodeDecodeError) as exc:
            raise GeoError("file", f"not JSON: {exc}") from None
    else:
        doc = data
    if not isinstance(doc, dict):
        raise GeoError("file", "GeoJSON must be an object")
    if max_vertices is not None and (n := count_vertices(doc)) > max_vertices:
        raise GeoError(
            "file",
            f"has {n:,} vertices; at most {max_vertices:,} are taken (a larger area: load it "
            "once with `ecohub geo load` and name it)",
        )
    crs_member = doc.get("crs")
    if crs_member is not None:
        props = crs_member.get("properties") if isinstance(crs_member, dict) else None
        name = props.get("name") if isinstance(props, dict) else None
        if not isinstance(name, str) or name not in CRS_OK | CRS_CGCS2000:
            raise GeoError(
                "crs", f"{name or crs_member!r} is neither WGS84 nor CGCS2000 lon/lat: reproject "
                "the file to EPSG:4326 (RFC 7946); only GCJ-02 web-map coordinates are converted "
                "here, declared with --crs gcj02"
            )  # fmt: skip
    notes: list[str] = []
    if crs_member is not None and name in CRS_CGCS2000:
        notes.append(f"crs {name} (CGCS2000) taken as WGS84: they differ by centimetres")
    kind = doc.get("type")
    if kind == "FeatureCollection":
        feats = doc.get("features")
        if not isinstance(feats, list):
            raise GeoError("file", "FeatureCollection has no features array")
        if not feats:
            raise GeoError("file", "FeatureCollection is empty")
        items = list(enumerate(feats))
    elif kind == "Feature":
        items = [(0, doc)]
    elif kind in AREA_TYPES:
        area = _area(doc, "geometry", crs, border, notes)
        return ParsedArea(area, 1, notes)
    else:
        raise GeoError(
            "file",
            f"type must be FeatureCollection, Feature, Polygon or MultiPolygon, not {kind!r}",
        )
    areas = []
    for index, feat in items:
        if not isinstance(feat, dict) or feat.get("type") != "Feature":
            raise GeoError(f"feature {index}", "is not a GeoJSON Feature object")
        areas.append(_area(feat.get("geometry"), _label(index, feat), crs, border, notes))
    union = areas[0] if len(areas) == 1 else shapely.union_all(areas)
    union = shapely.orient_polygons(union, exterior_cw=False)
    return ParsedArea(union, len(areas), notes)
