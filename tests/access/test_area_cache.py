"""The drawn-area cache behind ``ecohub_in_area`` stays bounded and fails closed."""

from __future__ import annotations

import duckdb
import shapely

from ecohub.access import region_scope
from ecohub.access.region_scope import RegionScope


def _square(x: float) -> RegionScope:
    geom = shapely.box(x, 30.0, x + 0.5, 30.5)
    return RegionScope(f"user:t{x}", (), shapely.to_wkb(geom), geom.bounds)


def test_cache_is_bounded_and_an_evicted_area_matches_nothing() -> None:
    first = _square(100.0)
    key = region_scope.remember(first)
    con = duckdb.connect()
    region_scope.register(con)
    inside = "SELECT ecohub_in_area(?, 100.25, 30.25)"
    assert con.execute(inside, [key]).fetchone() == (True,)
    for i in range(region_scope._MAX_AREAS + 10):
        region_scope.remember(_square(101.0 + i * 0.001))
    assert len(region_scope._AREAS) == region_scope._MAX_AREAS
    # Evicted: the point inside is no longer matched (narrower, never wider).
    assert con.execute(inside, [key]).fetchone() == (False,)
    # Remembered again, it works again.
    assert region_scope.remember(first) == key
    assert con.execute(inside, [key]).fetchone() == (True,)


def test_recent_use_keeps_an_area() -> None:
    kept = _square(90.0)
    key = region_scope.remember(kept)
    for i in range(region_scope._MAX_AREAS * 2):
        region_scope.remember(_square(80.0 + i * 0.001))
        region_scope.remember(kept)  # used on every request: never the oldest
    assert key in region_scope._AREAS
