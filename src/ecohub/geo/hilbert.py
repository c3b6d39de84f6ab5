"""The Hilbert curve ``source.hkey`` is keyed on, computed in Python: a point's cell, the
smallest and largest cell of any point inside a box, and the cell by which the curve has
covered a given share of a box.

DuckDB spatial's ``ST_Hilbert(x, y, box)`` scales each coordinate to a 16-bit grid over the box
(``int((x - xmin) * (65535 / (xmax - xmin)))``) and numbers the grid's cells along the curve
(the textbook ``xy2d`` order: the lower-left quadrant first, then upper-left, upper-right,
lower-right, each turned so the curve runs on). :func:`cell` gives the same numbers, which a
test holds against DuckDB's; :func:`cell_range` needs only the order of the quadrants, so a page
can ask for the rows of one stretch of the curve without asking DuckDB first.
"""

from __future__ import annotations

from functools import lru_cache

ORDER = 16  # bits a side
SIDE = 1 << ORDER
#: China's box (lon 73..136, lat 3..54), the curve's extent (ecohub.geo.storage).
BOX = (73.0, 3.0, 136.0, 54.0)


def _grid(v: float, lo: float, hi: float) -> int:
    """``v``'s grid column (or row) as DuckDB spatial scales it, clamped to the box first."""
    v = min(max(v, lo), hi)
    return int((v - lo) * ((SIDE - 1) / (hi - lo)))


def xy2d(x: int, y: int) -> int:
    """The curve's number of grid cell ``(x, y)`` (each ``0 <= x, y < SIDE``)."""
    d, s = 0, SIDE >> 1
    while s:
        rx = 1 if x & s else 0
        ry = 1 if y & s else 0
        d += s * s * ((3 * rx) ^ ry)
        if not ry:  # the quadrant is turned: so is the rest of the path through it
            if rx:
                x, y = s - 1 - x, s - 1 - y
            x, y = y, x
        s >>= 1
    return d


def cell(lon: float, lat: float) -> int:
    """The cell of a point, as ``ST_Hilbert(lon, lat, <China's box>)`` numbers it (points
    outside the box are clamped to its edge, as ``source.hkey`` is)."""
    x0, y0, x1, y1 = BOX
    return xy2d(_grid(lon, x0, x1), _grid(lat, y0, y1))


def _parts(x0: int, x1: int, y0: int, y1: int, s: int) -> list[tuple[int, int, int, int, int, int]]:
    """The parts of grid rectangle ``[x0, x1] x [y0, y1]`` in the quadrants of side ``s`` it
    reaches, in the curve's order (quadrant ``(rx, ry)`` is digit ``(3 * rx) ^ ry``):
    ``(rx, ry, px0, px1, py0, py1)`` each, in the square's coordinates."""
    out = []
    for rx, ry in ((0, 0), (0, 1), (1, 1), (1, 0)):
        px0, px1 = (max(x0, s), x1) if rx else (x0, min(x1, s - 1))
        py0, py1 = (max(y0, s), y1) if ry else (y0, min(y1, s - 1))
        if px0 <= px1 and py0 <= py1:
            out.append((rx, ry, px0, px1, py0, py1))
    return out


def _into(
    rx: int, ry: int, s: int, x0: int, x1: int, y0: int, y1: int
) -> tuple[int, int, int, int]:
    """A rectangle inside quadrant ``(rx, ry)`` of side ``s`` in that quadrant's own
    coordinates, turned as the curve turns through it: ``(x0, x1, y0, y1)``."""
    x0, x1, y0, y1 = x0 - rx * s, x1 - rx * s, y0 - ry * s, y1 - ry * s
    if not ry:
        if rx:
            x0, x1, y0, y1 = s - 1 - x1, s - 1 - x0, s - 1 - y1, s - 1 - y0
        x0, x1, y0, y1 = y0, y1, x0, x1
    return x0, x1, y0, y1


def _end(x0: int, y0: int, x1: int, y1: int, last: bool) -> int:
    """The smallest (``last`` False) or largest cell number of grid rectangle
    ``[x0, x1] x [y0, y1]`` (inclusive, inside the grid): down the quadrants in curve order,
    into the first (or last) one the rectangle reaches, turning the rectangle with the curve."""
    d, s = 0, SIDE >> 1
    while s:
        rx, ry, px0, px1, py0, py1 = _parts(x0, x1, y0, y1, s)[-1 if last else 0]
        d += s * s * ((3 * rx) ^ ry)
        if px1 - px0 + 1 == s and py1 - py0 + 1 == s:
            return d + (s * s - 1 if last else 0)  # the whole quadrant: its first or last cell
        x0, x1, y0, y1 = _into(rx, ry, s, px0, px1, py0, py1)
        s >>= 1
    return d


@lru_cache(maxsize=1024)
def cell_range(minlon: float, minlat: float, maxlon: float, maxlat: float) -> tuple[int, int]:
    """The smallest and the largest cell of any point inside the box (edges included; boxes
    reaching past China's box are clamped as the points are). One grid step of margin on each
    side, so a point that the float arithmetic puts in the next cell is still inside."""
    bx0, by0, bx1, by1 = BOX
    x0 = max(_grid(minlon, bx0, bx1) - 1, 0)
    x1 = min(_grid(maxlon, bx0, bx1) + 1, SIDE - 1)
    y0 = max(_grid(minlat, by0, by1) - 1, 0)
    y1 = min(_grid(maxlat, by0, by1) + 1, SIDE - 1)
    return _end(x0, y0, x1, y1, last=False), _end(x0, y0, x1, y1, last=True)


#: Where :func:`share_cell` stops descending: at quadrants this many times smaller (a side) than
#: the box's longer side; the share it reaches is then exact to about one such quadrant's area.
_SHARE_STEPS = 16


@lru_cache(maxsize=1024)
def share_cell(minlon: float, minlat: float, maxlon: float, maxlat: float, share: float) -> int:
    """A cell ``T`` such that the curve's cells up to ``T`` cover about ``share`` (0..1) of the
    box's area, never less: down the quadrants in curve order, as :func:`_end`, into the one
    in which the covered area reaches the share, until the quadrants are a sixteenth of the
    box's side; then that quadrant's last cell. An estimate of where a box page's first rows
    lie (the rows themselves are never judged by it)."""
    bx0, by0, bx1, by1 = BOX
    x0, x1 = _grid(minlon, bx0, bx1), _grid(maxlon, bx0, bx1)
    y0, y1 = _grid(minlat, by0, by1), _grid(maxlat, by0, by1)
    stop = max(x1 - x0 + 1, y1 - y0 + 1) // _SHARE_STEPS
    target = share * (x1 - x0 + 1) * (y1 - y0 + 1)
    d, s = 0, SIDE >> 1
    while s:
        parts = _parts(x0, x1, y0, y1, s)
        pick = len(parts) - 1  # the last one if rounding left the target beyond them all
        for i, (_, _, px0, px1, py0, py1) in enumerate(parts):
            area = (px1 - px0 + 1) * (py1 - py0 + 1)
            if area >= target:
                pick = i
                break
            target -= area
        rx, ry, px0, px1, py0, py1 = parts[pick]
        d += s * s * ((3 * rx) ^ ry)
        if s <= stop:
            return d + s * s - 1  # the whole quadrant: its last cell
        x0, x1, y0, y1 = _into(rx, ry, s, px0, px1, py0, py1)
        s >>= 1
    return d
