"""Points → the county (finest division) that contains them, for millions of points at once.

The finest layer of the boundary set (``region.leaf``) tiles the country. Candidates come from
an STRtree of the counties' bounding boxes, then each county tests its candidates with its
prepared geometry (GEOS), one vectorised call per county. A point on the border of two counties
intersects both: the smallest code wins (counties are visited from the largest code down, so
the smallest writes last). A point in no county (the sea, abroad) gets ``None``.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import numpy.typing as npt
import shapely

from ecohub.geo.resolve import ensure_regions


@dataclass(frozen=True)
class CountyIndex:
    codes: npt.NDArray[np.str_]  # ascending
    geoms: npt.NDArray[np.object_]
    tree: shapely.STRtree

    @classmethod
    def from_store(cls, con: duckdb.DuckDBPyConnection) -> CountyIndex:
        ensure_regions(con)
        rows = con.execute(
            "SELECT code, geom_wkb FROM region WHERE kind = 'division' AND leaf ORDER BY code"
        ).fetchall()
        codes = np.array([code for code, _ in rows])
        geoms = shapely.from_wkb([bytes(wkb) for _, wkb in rows])
        shapely.prepare(geoms)
        return cls(codes, geoms, shapely.STRtree(geoms))

    def assign(self, lon: npt.ArrayLike, lat: npt.ArrayLike) -> npt.NDArray[np.object_]:
        """The county code of each point (``None`` outside every county)."""
        x = np.asarray(lon, dtype=float)
        y = np.asarray(lat, dtype=float)
        result = np.full(len(x), -1, dtype=np.int64)
        ok = np.isfinite(x) & np.isfinite(y)
        idx = np.flatnonzero(ok)
        if len(idx):
            points, counties = self.tree.query(shapely.points(x[idx], y[idx]))
            order = np.argsort(counties, kind="stable")
            points, counties = idx[points[order]], counties[order]
            cuts = np.searchsorted(counties, np.arange(len(self.codes) + 1))
            for k in np.flatnonzero(np.diff(cuts))[::-1]:  # counties with candidates only
                a, b = cuts[k], cuts[k + 1]
                cand = points[a:b]
                hit = shapely.intersects_xy(self.geoms[k], x[cand], y[cand])
                result[cand[hit]] = k
        out = np.full(len(x), None, dtype=object)
        found = result >= 0
        out[found] = self.codes[result[found]]
        return out


def assign_counties(
    con: duckdb.DuckDBPyConnection, lon: npt.ArrayLike, lat: npt.ArrayLike
) -> npt.NDArray[np.object_]:
    """County code per point (WGS84), ``None`` where no county contains it."""
    return CountyIndex.from_store(con).assign(lon, lat)
