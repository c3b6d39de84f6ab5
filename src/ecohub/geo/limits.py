"""How much geometry one query may bring: the caps on a region given in a request (a drawn or
uploaded polygon, a line or a point with a distance), the same for every route and the CLI.

Our own choices, from measurement (``bench/geo_limits.py``; docs/benchmarks.md, "Geo: buffer and
vertex limits"). Regions stored with ``ecohub geo load`` (an administrator's file) have no
vertex cap: they are loaded once and then named, which is the way for a larger outline. Above a
cap the request is refused with a 422 naming the field and the limit rather than simplified
here: a silently simplified region would answer a different question than the one asked, and
the caller knows which tolerance their data can take.
"""

from __future__ import annotations

#: The longest distance around a point or a line: beyond it the local azimuthal projection the
#: buffer is drawn in distorts too much (docs/geo.md).
MAX_DISTANCE_M = 500_000.0
#: Vertices of a polygon given in a request (every ring, part and feature; a ring's closing
#: position is not one more). The cost grows about linearly (~2-2.5x per doubling: the checks,
#: the validity test, the prepared point test): 100,000 took 1.1-1.75 s through the API in the
#: walk of 2026-11-28, the body's JSON parse included, which the assessors accepted; 0.5-0.6 s
#: of it is the work after the parse (bench).
MAX_AREA_VERTICES = 100_000
#: Vertices of a line to buffer. One costs more than a polygon's (its run's circles, united with
#: the neighbours'): at 10,000 the dearest line measured, the walk's zig-zag at 500 km, takes
#: ~1 s, about twice a polygon at its cap. The whole-line buffer used before took ~50 s at 2,000
#: vertices and grew 4-8x per doubling; the runs grow ~2x.
MAX_LINE_VERTICES = 10_000


def as_dict() -> dict[str, float | int]:
    """The caps as the API's ``GET /api/v1/geo/limits`` answers them (the console's circle
    tool stops at ``distance_m``)."""
    return {
        "distance_m": MAX_DISTANCE_M,
        "area_vertices": MAX_AREA_VERTICES,
        "line_vertices": MAX_LINE_VERTICES,
    }
