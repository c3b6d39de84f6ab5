"""Everything within a distance of a point or a line, as a WGS84 area, at a cost that grows in
proportion to the line's vertices.

The positions are projected into an azimuthal equidistant projection centred on the geometry
(DuckDB spatial's ``ST_Transform``, PROJ inside the extension), buffered there in metres, and
projected back. The distortion of the projection grows with the distance from its centre: under
0.1 % within ~200 km of the middle. The circles are drawn with :func:`quad_segs` segments per
quarter, so a chord lies within ``max(1 m, 0.002 % of the distance)`` of the arc (125 segments
per quarter from 50 km up, 10 m at 500 km; 18 at 1 km).

**Why a line is buffered in runs.** GEOS buffers a line by drawing one offset curve around all
of it and noding that curve against itself. When the distance is long against the line's
wiggles (a traced river or road at 500 km), every segment's curve crosses most of the others,
and the time grew ~7x per doubling of the vertices (a 2,000-vertex line at 500 km: 44 s and
1.6 GB in the walk of 2026-11-28; at 20,000 the server used 19.9 GB; docs/benchmarks.md, "Geo:
buffer and vertex limits"). So the line is cut into runs of :data:`RUN` segments that share
their end vertices, each run is buffered on its own (a bounded cost), and the runs' areas are
united (GEOS's cascaded union). The buffer of a union is the union of the buffers (a Minkowski
sum with a disc), so the area is the same one, round joins included (each run ends in a round
cap on the shared vertex), and the time grows about linearly with the vertices.
"""

from __future__ import annotations

import math

import duckdb
import numpy as np
import shapely

from ecohub.geo.spatial import load_spatial

#: The circles' chords may fall this far inside the arc: a share of the distance, but never
#: less than a metre (positions are not known better; at 128 segments per quarter a 20,000-vertex
#: line at 1 km came out as 268,000 vertices, and cost 4x as much as at 18).
CHORD_SHARE = 2e-5
CHORD_MIN_M = 1.0
MAX_QUAD_SEGS = 128
MIN_QUAD_SEGS = 8
#: Segments per run. Measured at 500 km on the walk's zig-zag line (bench/geo_limits.py): runs
#: of 4 to 16 segments cost about the same, 64 twice as much at 8,000 vertices, 256 eight times
#: (a long run is a small whole-line buffer again).
RUN = 16


def quad_segs(distance_m: float) -> int:
    """Segments per quarter circle for a buffer of ``distance_m``: the fewest whose chord
    stays within ``max(CHORD_MIN_M, CHORD_SHARE * distance_m)`` of the arc (a chord spanning
    the angle a sags ``r (1 - cos(a / 2))``), from 8 to 128."""
    sag = max(CHORD_MIN_M, CHORD_SHARE * distance_m) / distance_m
    if sag >= 1:
        return MIN_QUAD_SEGS
    half_angle = math.acos(1 - sag)  # the widest a / 2 allowed
    return max(MIN_QUAD_SEGS, min(MAX_QUAD_SEGS, math.ceil(math.pi / 4 / half_angle)))


def _project(con: duckdb.DuckDBPyConnection, geom: shapely.Geometry, src: str, dst: str) -> bytes:
    row = con.execute(
        "SELECT ST_AsWKB(ST_Transform(ST_GeomFromWKB(?), ?, ?, true))",
        [shapely.to_wkb(geom), src, dst],
    ).fetchone()
    assert row is not None
    return bytes(row[0])


def buffer_in_metres(geom: shapely.Geometry, distance_m: float) -> shapely.Geometry:
    """``geom`` (a point or a line in metres) grown by ``distance_m``: a line in runs of
    :data:`RUN` segments united (see the module doc), so the cost is linear in its vertices."""
    segs = quad_segs(distance_m)
    if not isinstance(geom, shapely.LineString):
        return shapely.buffer(geom, distance_m, quad_segs=segs)
    xy = shapely.get_coordinates(geom)
    last = len(xy) - 1
    runs = np.array(
        [shapely.LineString(xy[i : min(i + RUN, last) + 1]) for i in range(0, last, RUN)],
        dtype=object,
    )
    parts = shapely.buffer(runs, distance_m, quad_segs=segs)
    return parts[0] if len(parts) == 1 else shapely.union_all(parts)


def buffer_area(
    con: duckdb.DuckDBPyConnection, xy: np.ndarray, distance_m: float
) -> shapely.Geometry:
    """Everything within ``distance_m`` of the point (one position) or the line (several) given
    as WGS84 lon/lat in ``xy``: a polygon in WGS84 lon/lat with counter-clockwise exteriors
    (RFC 7946 3.1.6). The caller has checked the positions and the distance."""
    geom = shapely.Point(xy[0]) if len(xy) == 1 else shapely.LineString(xy)
    centre = geom.centroid
    aeqd = f"+proj=aeqd +lat_0={centre.y} +lon_0={centre.x} +datum=WGS84 +units=m +no_defs"
    load_spatial(con)
    local = shapely.from_wkb(_project(con, geom, "EPSG:4326", aeqd))
    grown = buffer_in_metres(local, distance_m)
    area = shapely.from_wkb(_project(con, grown, aeqd, "EPSG:4326"))
    return shapely.orient_polygons(area, exterior_cw=False)
