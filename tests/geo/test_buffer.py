"""Distances around a line buffered in runs of segments (``ecohub.geo.buffer``): the joins of
the runs, the line's round ends and turns, and the circles' chords, against hand-worked
distances.

Metres per degree at 40° N on the WGS84 ellipsoid, worked here: a degree of latitude is
111 132.954 − 559.822 cos 80° + 1.175 cos 160° = 111 034.6 m; a degree of longitude is
(π/180) · 6 378 137 · cos 40° / √(1 − 0.006 694 38 · sin² 40°) = 85 395.1 m. Over the ~20 km
of these lines the local projection's scale error is ~1e-6, far below the 10 m margins.
"""

from __future__ import annotations

import math

import duckdb
import numpy as np
import pytest
import shapely

from ecohub.geo.buffer import RUN, buffer_area, quad_segs

LAT_M, LON_M = 111_034.6, 85_395.1  # metres per degree at 40° N
R = 1_000.0


def _offset(lon: float, lat: float, east_m: float, north_m: float) -> tuple[float, float]:
    return lon + east_m / LON_M, lat + north_m / LAT_M


def _inside(area: shapely.Geometry, points: list[tuple[float, float]]) -> list[bool]:
    xy = np.array(points)
    return list(shapely.intersects_xy(area, xy[:, 0], xy[:, 1]))


def test_quad_segs_keep_the_chord_within_a_metre_or_the_share() -> None:
    # A chord spanning a quarter circle's 1/q sags r (1 - cos(pi / 4q)) inside the arc.
    def sag(r: float, q: int) -> float:
        return r * (1 - math.cos(math.pi / (4 * q)))

    # 1 km: 17 segments sag 1.067 m > 1 m, 18 sag 0.951 m.
    assert quad_segs(1_000) == 18
    assert sag(1_000, 17) > 1 >= sag(1_000, 18)
    # 500 km: the share, 0.002 % = 10 m: 124 segments sag 10.03 m, 125 sag 9.87 m.
    assert quad_segs(500_000) == 125
    assert sag(500_000, 124) > 10 >= sag(500_000, 125)
    assert quad_segs(10) == 8  # never fewer than 8 (a metre is most of a 10 m circle)


def test_a_straight_line_across_run_joins(con: duckdb.DuckDBPyConnection) -> None:
    # 40 vertices 0.01° apart along 40° N: 39 segments, runs of 16 joined at vertices 16 and 32.
    xy = np.array([[116.0 + 0.01 * i, 40.0] for i in range(40)])
    assert len(xy) - 1 > 2 * RUN
    area = buffer_area(con, xy, R)
    joins = [(116.16, 40.0), (116.32, 40.0)]
    end = (116.39, 40.0)
    inside = [
        *(_offset(*j, 0, 988.2) for j in joins),  # 0.0089° north of a join
        *(_offset(*j, 0, -988.2) for j in joins),
        _offset(*end, 982.0, 0),  # past the east end along the line
        _offset(*end, 700, 700),  # the round end: 989.9 m from the last vertex
        _offset(116.0, 40.0, -700, -700),  # the west end
    ]
    outside = [
        *(_offset(*j, 0, 1010.4) for j in joins),
        _offset(*end, 1016.2, 0),
        _offset(*end, 725, 725),  # 1 025.3 m
        _offset(116.0, 40.0, -725, -725),
    ]
    assert _inside(area, inside) == [True] * len(inside)
    assert _inside(area, outside) == [False] * len(outside)
    assert area.geom_type == "Polygon" and shapely.is_ccw(area.exterior)  # RFC 7946 3.1.6


def test_a_turn_on_a_run_join_is_round(con: duckdb.DuckDBPyConnection) -> None:
    # East along 40° N to vertex 16 (116.16, 40.0), the end of the first run, then north-west.
    # South-east of the turn the nearest point of the line is the turning vertex itself.
    east = [[116.0 + 0.01 * i, 40.0] for i in range(17)]
    north_west = [[116.16 - 0.01 * k, 40.0 + 0.01 * k] for k in range(1, 17)]
    area = buffer_area(con, np.array(east + north_west), R)
    turn = (116.16, 40.0)
    assert _inside(area, [_offset(*turn, 700, -700), _offset(*turn, 0, -988.2)]) == [True, True]
    assert _inside(area, [_offset(*turn, 725, -725), _offset(*turn, 0, -1010.4)]) == [
        False,
        False,
    ]


# Metres per degree of latitude due north of 40° N over the distance: at 40° for 100 m; for
# 500 km (~4.5°) at the middle latitude 42.25°: 111 132.954 − 559.822 cos 84.5° + 1.175 cos 169°.
@pytest.mark.parametrize(("distance", "lat_m"), [(100.0, LAT_M), (500_000.0, 111_078.1)])
def test_a_point_is_a_circle(con: duckdb.DuckDBPyConnection, distance: float, lat_m: float) -> None:
    area = buffer_area(con, np.array([[116.4, 40.0]]), distance)
    assert shapely.get_num_coordinates(area) == 4 * quad_segs(distance) + 1  # closed ring
    # Due north, 0.99 r and 1.01 r: distances from the projection's centre are true ones.
    north = [(116.4, 40.0 + f * distance / lat_m) for f in (0.99, 1.01)]
    assert _inside(area, north) == [True, False]
