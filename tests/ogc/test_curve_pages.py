"""Box pages of ``sources`` read only the stretch of the storage curve the box lies on
(ecohub.geo.storage.stretch_sql): a ``bbox`` and a CQL2 ``S_INTERSECTS`` that the filter
requires. The rows are keyed as the registry keys them (``reorder_sources``), a few are added
later without a key (a bulk load by SQL), some lie outside China's box or have no point, and
boxes cross the curve's quadrant lines (lon 104.5, lat 28.5). Expected ids: the rows' own
coordinates compared with the box by plain arithmetic (or Shapely for a polygon), never the
service."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import duckdb
import pytest
import shapely

from ecohub.access.principal import Principal
from ecohub.geo.ogc import items
from ecohub.geo.storage import reorder_sources

ADMIN = Principal("u_admin", "admin", None, via="apikey")
INDUSTRIES = ("4411", "3011", "2511")


def _rows() -> list[tuple[str, float | None, float | None, str]]:
    rng = random.Random(11)
    rows: list[tuple[str, float | None, float | None, str]] = []
    for i in range(1500):
        x, y = rng.uniform(95, 125), rng.uniform(20, 45)
        rows.append((f"K{i:05d}", round(x, 6), round(y, 6), INDUSTRIES[i % 3]))
    # On the quadrant lines and the box's edges, outside China's box (clamped), and pointless.
    extra = [(104.5, 28.5), (104.5, 30.0), (100.0, 28.5), (73.0, 3.0), (136.0, 54.0)]
    extra += [(140.0, 30.0), (70.0, 30.0), (104.0, 2.0), (104.0, 58.0), (None, None)]
    rows += [(f"E{i:05d}", x, y, "4411") for i, (x, y) in enumerate(extra)]
    return rows


#: Grid cells of the curve (16 bits a side over lon 73..136, lat 3..54).
DX, DY = 63 / 65535, 51 / 65535


def _dense() -> list[tuple[str, float | None, float | None, str]]:
    """A point at the centre of every cell of two 8 x 8 patches: one on the curve's middle
    lines, one elsewhere; so a small box holds the cells with its smallest and largest number."""
    out: list[tuple[str, float | None, float | None, str]] = []
    for n, (gx, gy) in enumerate(((32764, 32764), (45000, 38000))):
        for i in range(8):
            for j in range(8):
                x, y = 73 + (gx + i + 0.5) * DX, 3 + (gy + j + 0.5) * DY
                out.append((f"D{n}{i}{j}", x, y, "2511"))
    return out


KEYED = _rows() + _dense()
#: Inserted after the re-keying, without a key (hkey = the sequence alone).
UNKEYED = [(f"U{i:05d}", 104.0 + i / 10, 28.0 + i / 10, "3011") for i in range(10)]
ALL = KEYED + UNKEYED


@pytest.fixture(scope="module")
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    from ecohub.store.db import connect

    c = connect(":memory:")
    c.executemany(
        "INSERT INTO source (source_code, name, industry, lon, lat) VALUES (?, ?, ?, ?, ?)",
        [(code, code, ind, x, y) for code, x, y, ind in KEYED],
    )
    reorder_sources(c)
    c.executemany(
        "INSERT INTO source (source_code, name, industry, lon, lat) VALUES (?, ?, ?, ?, ?)",
        [(code, code, ind, x, y) for code, x, y, ind in UNKEYED],
    )
    yield c
    c.close()


def _walk(con: duckdb.DuckDBPyConnection, **params: Any) -> list[str]:
    """Every id of the result, following next links from the first page."""
    got: list[str] = []
    q = {k: str(v) for k, v in params.items()}
    while True:
        cur = con.cursor()
        try:
            body = items(cur, ADMIN, "http://x/ogc", "sources", q)
        finally:
            cur.close()
        got += [f["id"] for f in body["features"]]
        if not any(link["rel"] == "next" for link in body["links"]):
            return got
        q = {**q, "after": got[-1], "offset": str(len(got))}


def _in_box(box: tuple[float, float, float, float]) -> set[str]:
    x0, y0, x1, y1 = box
    return {c for c, x, y, _ in ALL if x is not None and y is not None and x0 <= x <= x1
            and y0 <= y <= y1}  # fmt: skip


def _keys(con: duckdb.DuckDBPyConnection, ids: list[str]) -> list[int]:
    rows = dict(con.execute("SELECT source_code, hkey FROM source").fetchall())
    return [rows[i] for i in ids]


BOXES = [
    (115.4, 38.5, 118.0, 41.0),  # Beijing-Tianjin
    (100.0, 25.0, 110.0, 32.0),  # across both quadrant lines
    (104.5, 28.5, 104.5, 30.0),  # a line on the curve's middle column
    (130.0, 25.0, 150.0, 60.0),  # reaching past China's box (clamped points)
    (60.0, 0.0, 75.0, 10.0),  # the box's corner and beyond
    (96.0, 21.0, 124.0, 44.0),  # nearly everything
    (120.0, 40.0, 120.1, 40.1),  # maybe nothing
    # Small boxes over the dense patches: every cell inside has a source.
    (73 + 32765 * DX, 3 + 32765 * DY, 73 + 32770 * DX, 3 + 32770 * DY),
    (73 + 45001 * DX, 3 + 38002 * DY, 73 + 45006 * DX, 3 + 38005 * DY),
]


@pytest.mark.parametrize("box", BOXES)
@pytest.mark.parametrize("limit", [7, 100])
def test_bbox_pages_give_every_source_in_the_box_once_in_key_order(
    con: duckdb.DuckDBPyConnection, box: tuple[float, float, float, float], limit: int
) -> None:
    got = _walk(con, limit=limit, bbox=",".join(map(str, box)))
    assert len(got) == len(set(got))
    assert set(got) == _in_box(box)
    keys = _keys(con, got)
    assert keys == sorted(keys)


POLYGON = "POLYGON((100 25,112 26,110 34,101 31,100 25))"


@pytest.mark.parametrize(
    ("cql", "expected"),
    [
        (
            f"S_INTERSECTS(geometry, {POLYGON}) AND industry = '4411'",
            lambda c, x, y, ind: (
                ind == "4411" and shapely.intersects(shapely.from_wkt(POLYGON), shapely.Point(x, y))
            ),
        ),
        (
            "industry IN ('3011', '4411') AND S_INTERSECTS(geometry, BBOX(103, 27, 106, 30))",
            lambda c, x, y, ind: ind in ("3011", "4411") and 103 <= x <= 106 and 27 <= y <= 30,
        ),
        (  # under OR: no box is implied, every row is read
            f"S_INTERSECTS(geometry, {POLYGON}) OR industry = '2511'",
            lambda c, x, y, ind: (
                ind == "2511" or shapely.intersects(shapely.from_wkt(POLYGON), shapely.Point(x, y))
            ),
        ),
    ],
)
def test_filter_pages_with_s_intersects_give_exactly_the_matching_sources(
    con: duckdb.DuckDBPyConnection, cql: str, expected: Any
) -> None:
    got = _walk(con, limit=50, filter=cql)
    want = {c for c, x, y, ind in ALL if x is not None and y is not None and expected(c, x, y, ind)}
    # The OR filter also matches the pointless 2511 rows (none here: every 2511 has a point).
    assert len(got) == len(set(got)) and set(got) == want


def test_a_bbox_and_a_filter_box_together_read_their_overlap(
    con: duckdb.DuckDBPyConnection,
) -> None:
    got = _walk(
        con, limit=30, bbox="100,25,106,30", filter="S_INTERSECTS(geometry, BBOX(104,27,110,33))"
    )
    assert set(got) == _in_box((104, 27, 106, 30))
    disjoint = _walk(
        con, limit=30, bbox="100,25,101,26", filter="S_INTERSECTS(geometry, BBOX(120,40,121,41))"
    )
    assert disjoint == []


def test_the_stretch_holds_every_key_of_the_boxs_cells_and_no_other() -> None:
    """Keys written by hand as the store lays them out: a cell in the high 32 bits, a sequence
    number in the low 32; a box's stretch holds each sequence number of its first and last
    cell, none of the cells beside them, and every unkeyed row (high half 0)."""
    from ecohub.geo.hilbert import cell_range
    from ecohub.geo.storage import stretch_sql
    from ecohub.store.db import connect

    box = (110.0, 30.0, 111.0, 31.0)
    first, last = cell_range(*box)
    c = connect(":memory:")
    try:
        rows = [(f"u{s}", s) for s in (1, 2**32 - 1)]  # unkeyed: the sequence alone
        for cell in (first - 1, first, last, last + 1):
            rows += [(f"c{cell}s{s}", (cell << 32) | s) for s in (0, 1, 2**32 - 1)]
        c.executemany("INSERT INTO source (source_code, hkey) VALUES (?, ?)", rows)
        sql, params = stretch_sql(box)
        got = {r[0] for r in c.execute(f"SELECT source_code FROM {sql} AS t", params).fetchall()}
    finally:
        c.close()
    want = {"u1", f"u{2**32 - 1}"}
    want |= {f"c{cell}s{s}" for cell in (first, last) for s in (0, 1, 2**32 - 1)}
    assert got == want


def test_the_two_parts_of_a_stretch_hold_its_keys_first_part_first() -> None:
    """``stretch_parts``: every key of the stretch in exactly one part, every key of the first
    (the unkeyed rows too) below every key of the second; keys written by hand."""
    from ecohub.geo.hilbert import cell_range, share_cell
    from ecohub.geo.storage import stretch_parts, stretch_sql
    from ecohub.store.db import connect

    box = (100.0, 25.0, 110.0, 32.0)
    first, last = cell_range(*box)
    cut = share_cell(*box, 0.125)
    assert first <= cut < last
    c = connect(":memory:")
    try:
        rows = [(f"u{s}", s) for s in (1, 2**32 - 1)]
        for cell in (first - 1, first, cut, cut + 1, last, last + 1):
            rows += [(f"c{cell}s{s}", (cell << 32) | s) for s in (0, 2**32 - 1)]
        c.executemany("INSERT INTO source (source_code, hkey) VALUES (?, ?)", rows)
        halves = stretch_parts(box, 0.125)
        assert halves is not None
        (a, a_ps), (b, b_ps) = halves
        one = c.execute(f"SELECT source_code, hkey FROM {a} AS t", a_ps).fetchall()
        two = c.execute(f"SELECT source_code, hkey FROM {b} AS t", b_ps).fetchall()
        sql, ps = stretch_sql(box)
        whole = {r[0] for r in c.execute(f"SELECT source_code FROM {sql} AS t", ps).fetchall()}
    finally:
        c.close()
    assert {r[0] for r in one} == {"u1", f"u{2**32 - 1}"} | {
        f"c{cell}s{s}" for cell in (first, cut) for s in (0, 2**32 - 1)
    }
    assert {r[0] for r in two} == {
        f"c{cell}s{s}" for cell in (cut + 1, last) for s in (0, 2**32 - 1)
    }
    assert max(k for _, k in one) < min(k for _, k in two)
    assert {r[0] for r in one} | {r[0] for r in two} == whole


@pytest.mark.parametrize("box", BOXES)
@pytest.mark.parametrize("limit", [1, 7, 100])
def test_a_first_box_page_is_the_first_sources_in_key_order(
    con: duckdb.DuckDBPyConnection, box: tuple[float, float, float, float], limit: int
) -> None:
    """A first page (read in two parts of its stretch when the first holds too few rows) holds
    the box's first ``limit`` sources in key order, and says so by its next link."""
    cur = con.cursor()
    try:
        body = items(cur, ADMIN, "http://x/ogc", "sources",
                     {"limit": str(limit), "bbox": ",".join(map(str, box))})  # fmt: skip
    finally:
        cur.close()
    inside = sorted(_in_box(box))
    want = [code for _, code in sorted(zip(_keys(con, inside), inside, strict=True))][:limit]
    assert [f["id"] for f in body["features"]] == want
    assert any(link["rel"] == "next" for link in body["links"]) == (len(_in_box(box)) > limit)
