"""ecohub.geo.hilbert: the same cells as DuckDB spatial's ST_Hilbert over China's box, and the
smallest and largest cell of a box. Expected values: DuckDB's own function, a brute force over
every cell of small grid rectangles (``xy2d`` cell by cell), and the curve's first-level
quadrant order worked out by hand."""

from __future__ import annotations

import random
from collections.abc import Iterator

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecohub.geo import hilbert
from ecohub.geo.spatial import load_spatial
from ecohub.geo.storage import hkey_sql

Q = 1 << 30  # cells in a first-level quadrant (2^15 x 2^15)


@pytest.fixture(scope="module")
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    c = duckdb.connect()
    load_spatial(c)
    yield c
    c.close()


def _duckdb_cells(con: duckdb.DuckDBPyConnection, pts: list[tuple[float, float]]) -> list[int]:
    con.execute("CREATE OR REPLACE TEMP TABLE p (i INTEGER, lon DOUBLE, lat DOUBLE)")
    con.executemany("INSERT INTO p VALUES (?, ?, ?)", [(i, x, y) for i, (x, y) in enumerate(pts)])
    # The high half of the key the store writes (ecohub.geo.storage.hkey_sql).
    con.execute("CREATE SEQUENCE IF NOT EXISTS source_hkey_seq")
    rows = con.execute(f"SELECT {hkey_sql('p')} >> 32 FROM p ORDER BY i").fetchall()
    return [int(r[0]) for r in rows]


def test_cells_are_duckdbs_for_random_edge_and_outside_points(
    con: duckdb.DuckDBPyConnection,
) -> None:
    rng = random.Random(20261126)
    pts = [(rng.uniform(73, 136), rng.uniform(3, 54)) for _ in range(3000)]
    # The box's corners and edges, grid lines, points outside the box (clamped) and Beijing.
    pts += [(73, 3), (136, 54), (73, 54), (136, 3), (104.5, 28.5), (73.0000001, 53.9999999)]
    pts += [(60.0, 20.0), (150.0, 60.0), (-179.9, -89.9), (180.0, 2.0), (116.397, 39.909)]
    pts += [(73 + 63 * k / 65535, 3 + 51 * k / 65535) for k in range(0, 65536, 4093)]
    assert [hilbert.cell(x, y) for x, y in pts] == _duckdb_cells(con, pts)


def test_the_first_level_quadrants_come_in_the_curves_order() -> None:
    # Worked by hand from the curve: lower left, upper left, upper right, lower right.
    assert hilbert.cell_range(73, 3, 136, 54) == (0, 4 * Q - 1)
    # A box inside one quadrant: its range lies inside that quadrant's quarter of the curve.
    for box, k in (
        ((74, 4, 100, 27), 0),
        ((74, 30, 100, 53), 1),
        ((106, 30, 135, 53), 2),
        ((106, 4, 135, 27), 3),
    ):
        first, last = hilbert.cell_range(*box)
        assert k * Q <= first < last < (k + 1) * Q, box
    # Across the vertical middle line at the bottom: the lower-left and lower-right quadrants,
    # which the curve visits first and last.
    first, last = hilbert.cell_range(100, 4, 110, 10)
    assert first < Q and last >= 3 * Q


@pytest.mark.parametrize("seed", range(4))
def test_rectangle_ends_are_the_smallest_and_largest_cell_inside(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(60):
        w, h = rng.randint(1, 40), rng.randint(1, 40)
        if rng.random() < 0.5:  # across the grid lines of some level
            x0 = rng.choice([32768, 16384, 49152, 8192, 1024]) - rng.randint(1, w)
            y0 = rng.choice([32768, 16384, 49152, 24576, 512]) - rng.randint(1, h)
        else:
            x0, y0 = rng.randint(0, 65535 - w), rng.randint(0, 65535 - h)
        x1, y1 = x0 + w - 1, y0 + h - 1
        cells = [hilbert.xy2d(x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]
        assert hilbert._end(x0, y0, x1, y1, last=False) == min(cells)
        assert hilbert._end(x0, y0, x1, y1, last=True) == max(cells)


@settings(max_examples=300, deadline=None)
@given(
    st.floats(60, 150),
    st.floats(-10, 60),
    st.floats(0, 8),
    st.floats(0, 8),
    st.floats(0, 1),
    st.floats(0, 1),
)
def test_a_point_inside_a_box_has_a_cell_inside_its_range(
    x: float, y: float, w: float, h: float, fx: float, fy: float
) -> None:
    first, last = hilbert.cell_range(x, y, x + w, y + h)
    px, py = x + fx * w, y + fy * h
    assert first <= hilbert.cell(px, py) <= last
    # The box's own edges, where the float arithmetic may round into the next cell.
    for cx, cy in ((x, y), (x + w, y + h), (x, y + h), (x + w, y)):
        assert first <= hilbert.cell(cx, cy) <= last


def test_share_cell_of_the_whole_box_ends_its_quadrants() -> None:
    """China's whole box: a quarter of its area is the first quadrant, a half the first two,
    so the cut is each one's last cell (worked out from the quadrant order by hand)."""
    assert hilbert.share_cell(73, 3, 136, 54, 0.25) == Q - 1
    assert hilbert.share_cell(73, 3, 136, 54, 0.5) == 2 * Q - 1
    assert hilbert.share_cell(73, 3, 136, 54, 1.0) == 4 * Q - 1


@settings(max_examples=60, deadline=None)
@given(
    x=st.floats(73, 130),
    y=st.floats(3, 50),
    w=st.floats(0.05, 6),
    h=st.floats(0.05, 4),
    share=st.sampled_from([0.05, 0.125, 0.5]),
)
def test_share_cell_covers_about_the_share_of_the_box(
    x: float, y: float, w: float, h: float, share: float
) -> None:
    """The cells up to the cut hold at least about ``share`` of the box's points, and not much
    more (one quadrant a sixteenth of the box's side, crossing it, at most): counted over a
    16 x 16 lattice of points in the box, each point's cell from :func:`hilbert.cell`."""
    box = (x, y, min(x + w, 136.0), min(y + h, 54.0))
    cut = hilbert.share_cell(*box, share)
    assert hilbert.cell_range(*box)[0] <= cut
    n = 16
    cells = [
        hilbert.cell(box[0] + (box[2] - box[0]) * (i + 0.5) / n,
                     box[1] + (box[3] - box[1]) * (j + 0.5) / n)
        for i in range(n)
        for j in range(n)
    ]  # fmt: skip
    covered = sum(c <= cut for c in cells) / len(cells)
    assert share - 2 / n <= covered <= share + 0.15
