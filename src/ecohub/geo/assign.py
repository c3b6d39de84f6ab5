"""Points → the county (finest division) that contains them, for millions of points at once.

The finest layer of the boundary set (``region.leaf``) tiles the country. Two paths give the same
answer:

- *exact*: candidates from an STRtree of the counties' bounding boxes, then each county tests its
  candidates with its prepared geometry (GEOS), one vectorised call per county;
- *grid* (used first): a 0.02° raster in which every cell touched by a county boundary is marked
  (boundaries sampled every ``CELL / 4`` and the marks widened by one cell, so no boundary can
  cross an unmarked cell). Unmarked cells that touch each other lie in the same county, so each
  connected group of them takes the county of one of its cell centres. A point in an unmarked
  cell gets its county by look-up; a point in a marked cell is tested against the counties whose
  bounding box covers its cell (listed per cell at build time, so no point objects are made).

A point on the border of two counties intersects both: the smallest code wins (counties are
visited from the largest code down, so the smallest writes last). A point in no county (the sea,
abroad) gets ``None``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import duckdb
import numpy as np
import numpy.typing as npt
import shapely
from scipy import ndimage

from ecohub.geo.resolve import ensure_regions

CELL = 0.02  # degrees; ~2 km. Finer: fewer points near boundaries, more memory (int32 per cell)
_OUTSIDE = -1
_NEAR_BOUNDARY = -2


@dataclass(frozen=True)
class _Grid:
    x0: float
    y0: float
    labels: npt.NDArray[np.int32]  # [row, col] -> county index, _OUTSIDE or _NEAR_BOUNDARY
    # For cells near a boundary: the counties whose bounding box covers the cell, sorted by cell;
    # the pairs of cell c are pair_county[offsets[c] : offsets[c + 1]].
    offsets: npt.NDArray[np.int32]
    pair_county: npt.NDArray[np.int64]

    def cells(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        fx, fy = np.floor((x - self.x0) / CELL), np.floor((y - self.y0) / CELL)
        good = np.isfinite(fx) & np.isfinite(fy)  # NaN / inf: off the raster
        h, w = self.labels.shape
        col = np.where(good, np.clip(fx, -1, w), -1).astype(np.int64)
        row = np.where(good, np.clip(fy, -1, h), -1).astype(np.int64)
        ok = (col >= 0) & (row >= 0) & (col < self.labels.shape[1]) & (row < self.labels.shape[0])
        return row, col, ok


@dataclass(frozen=True)
class CountyIndex:
    codes: npt.NDArray[np.str_]  # ascending
    geoms: npt.NDArray[np.object_]
    tree: shapely.STRtree
    grid: _Grid | None = field(default=None)

    @classmethod
    def from_store(cls, con: duckdb.DuckDBPyConnection, *, grid: bool = True) -> CountyIndex:
        ensure_regions(con)
        rows = con.execute(
            "SELECT code, geom_wkb FROM region WHERE kind = 'division' AND leaf ORDER BY code"
        ).fetchall()
        codes = np.array([code for code, _ in rows])
        geoms = shapely.from_wkb([bytes(wkb) for _, wkb in rows])
        shapely.prepare(geoms)
        index = cls(codes, geoms, shapely.STRtree(geoms))
        return index.with_grid() if grid else index

    def with_grid(self) -> CountyIndex:
        """This index with the look-up raster built (about a second for the whole country)."""
        x0, y0, x1, y1 = shapely.total_bounds(self.geoms)
        x0, y0 = np.floor(x0 / CELL) * CELL - CELL, np.floor(y0 / CELL) * CELL - CELL
        shape = (int((y1 - y0) / CELL) + 3, int((x1 - x0) / CELL) + 3)
        marked = np.zeros(shape, dtype=bool)
        coords, ring_of = shapely.get_coordinates(shapely.boundary(self.geoms), return_index=True)
        # Consecutive positions of one boundary are a segment; sample each every CELL / 4.
        same = ring_of[1:] == ring_of[:-1]
        a, b = coords[:-1][same], coords[1:][same]
        steps = np.maximum(np.ceil(np.abs(b - a).max(axis=1) / (CELL / 4)), 1).astype(np.int64)
        seg = np.repeat(np.arange(len(a)), steps)
        frac = (np.arange(len(seg)) - np.repeat(np.cumsum(steps) - steps, steps)) / steps[seg]
        pts = a[seg] + (b[seg] - a[seg]) * frac[:, None]
        pts = np.vstack([pts, coords])
        empty = np.empty(0, dtype=np.int64)
        grid = _Grid(float(x0), float(y0), np.empty(shape, dtype=np.int32),
                     np.empty(0, dtype=np.int32), empty)  # fmt: skip
        row, col, _ = grid.cells(pts[:, 0], pts[:, 1])
        marked[row, col] = True
        marked = ndimage.binary_dilation(marked, structure=np.ones((3, 3), dtype=bool))
        groups, n = ndimage.label(~marked)
        # Any cell of a group represents it (writes to one slot: whichever lands, it is a cell of
        # that group); its centre's county is the group's county.
        flat = groups.ravel()
        rep = np.zeros(n + 1, dtype=np.int64)
        rep[flat] = np.arange(len(flat))
        rr, cc = np.divmod(rep[1:], shape[1])
        county = self._exact(x0 + (cc + 0.5) * CELL, y0 + (rr + 0.5) * CELL)
        lookup = np.concatenate([[_NEAR_BOUNDARY], county]).astype(np.int32)
        labels = lookup[groups]
        # Candidate counties of every near-boundary cell, from the counties' bounding boxes.
        near = (labels == _NEAR_BOUNDARY).ravel()
        box = shapely.bounds(self.geoms)
        r0, c0, _ = grid.cells(box[:, 0], box[:, 1])
        r1, c1, _ = grid.cells(box[:, 2], box[:, 3])
        cells, owners = [], []
        for k in range(len(self.codes)):
            ids = (np.arange(r0[k], r1[k] + 1)[:, None] * shape[1]
                   + np.arange(c0[k], c1[k] + 1)[None, :]).ravel()  # fmt: skip
            ids = ids[near[ids]]
            cells.append(ids)
            owners.append(np.full(len(ids), k, dtype=np.int64))
        pair_cell, pair_county = np.concatenate(cells), np.concatenate(owners)
        order = np.argsort(pair_cell, kind="stable")
        per_cell = np.bincount(pair_cell, minlength=labels.size)
        offsets = np.concatenate([[0], np.cumsum(per_cell)]).astype(np.int32)
        final = _Grid(grid.x0, grid.y0, labels, offsets, pair_county[order])
        return CountyIndex(self.codes, self.geoms, self.tree, final)

    def _exact(self, x: np.ndarray, y: np.ndarray) -> npt.NDArray[np.int64]:
        result = np.full(len(x), _OUTSIDE, dtype=np.int64)
        idx = np.flatnonzero(np.isfinite(x) & np.isfinite(y))
        if len(idx):
            points, counties = self.tree.query(shapely.points(x[idx], y[idx]))
            self._test(x, y, idx[points], counties, result)
        return result

    def _test(self, x: np.ndarray, y: np.ndarray, points: np.ndarray, counties: np.ndarray,
              result: np.ndarray) -> None:  # fmt: skip
        """Test candidate (point, county) pairs; smallest hitting code wins (written last)."""
        # County indices fit in 16 bits: numpy's stable sort is then a radix sort.
        keys = counties.astype(np.int16) if len(self.codes) < 2**15 else counties
        order = np.argsort(keys, kind="stable")
        points, counties = points[order], counties[order]
        cuts = np.searchsorted(counties, np.arange(len(self.codes) + 1))
        for k in np.flatnonzero(np.diff(cuts))[::-1]:  # counties with candidates only
            cand = points[cuts[k] : cuts[k + 1]]
            hit = shapely.intersects_xy(self.geoms[k], x[cand], y[cand])
            result[cand[hit]] = k

    def assign(self, lon: npt.ArrayLike, lat: npt.ArrayLike) -> npt.NDArray[np.object_]:
        """The county code of each point (``None`` outside every county)."""
        x = np.asarray(lon, dtype=float)
        y = np.asarray(lat, dtype=float)
        if self.grid is None:
            result = self._exact(x, y)
        else:
            g = self.grid
            row, col, ok = g.cells(x, y)  # NaN and points off the raster: in no county
            result = np.full(len(x), _OUTSIDE, dtype=np.int64)
            result[ok] = g.labels[row[ok], col[ok]]
            rest = np.flatnonzero(result == _NEAR_BOUNDARY)
            result[rest] = _OUTSIDE
            cell = row[rest] * g.labels.shape[1] + col[rest]
            lo = g.offsets[cell].astype(np.int64)
            n = g.offsets[cell + 1] - lo
            points = np.repeat(rest, n)
            start = np.repeat(lo - (np.cumsum(n) - n), n)
            counties = g.pair_county[start + np.arange(len(points))]
            self._test(x, y, points, counties, result)
        return self._names[np.where(result >= 0, result, len(self.codes))]

    @cached_property
    def _names(self) -> npt.NDArray[np.object_]:
        # The codes as Python objects with None last: an index of -1 (outside) maps to None,
        # and no string object is made per point.
        return np.array([*self.codes.tolist(), None], dtype=object)


def assign_counties(
    con: duckdb.DuckDBPyConnection, lon: npt.ArrayLike, lat: npt.ArrayLike
) -> npt.NDArray[np.object_]:
    """County code per point (WGS84), ``None`` where no county contains it."""
    index = CountyIndex.from_store(con, grid=len(np.atleast_1d(np.asarray(lon))) > 100_000)
    return index.assign(lon, lat)
