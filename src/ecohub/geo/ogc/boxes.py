"""Boundaries in a ``bbox``: stored bounding boxes first, the exact test only where a page needs it.

A region is in the box when its boundary intersects it (edges included). Its stored bounding
box answers for most rows: a region whose box misses the query box is out, one whose box lies
inside it is in. Only a region whose box crosses the query box's edge needs the exact test on
its boundary. Testing it in the same scan made DuckDB read the boundary column (WKB, 11 MB for
China's divisions) for every vector holding a candidate; so the candidates are listed first
without their boundaries, in page order; then the page's rows are read batch by batch, only
until the page is full, each batch testing its crossing boundaries in the statement that reads
it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb

Box = tuple[float, float, float, float]


def parts(box: Box) -> tuple[Box, ...]:
    """The box as one or two boxes (``minlon > maxlon`` crosses the antimeridian, Part 1)."""
    x0, y0, x1, y1 = box
    return (box,) if x0 <= x1 else ((x0, y0, 180.0, y1), (-180.0, y0, x1, y1))


def _n(v: float) -> str:
    return repr(float(v))  # a checked, finite float written into the SQL


def overlap_sql(boxes: Sequence[Box]) -> str:
    """Rows whose stored bounding box meets one of ``boxes`` (edges included)."""
    terms = (
        f"(xmax >= {_n(x0)} AND xmin <= {_n(x1)} AND ymax >= {_n(y0)} AND ymin <= {_n(y1)})"
        for x0, y0, x1, y1 in boxes
    )
    return "(" + " OR ".join(terms) + ")"


def inside_sql(boxes: Sequence[Box]) -> str:
    """Rows whose stored bounding box lies inside one of ``boxes`` (so their boundary does)."""
    terms = (
        f"(xmin >= {_n(x0)} AND xmax <= {_n(x1)} AND ymin >= {_n(y0)} AND ymax <= {_n(y1)})"
        for x0, y0, x1, y1 in boxes
    )
    return "(" + " OR ".join(terms) + ")"


def _exact_sql(boxes: Sequence[Box]) -> str:
    return " OR ".join(
        f"ST_Intersects(ST_GeomFromWKB(geom_wkb), "
        f"ST_MakeEnvelope({_n(x0)}, {_n(y0)}, {_n(x1)}, {_n(y1)}))"
        for x0, y0, x1, y1 in boxes
    )


def id_list_sql(key: str, ids: Sequence[Any]) -> tuple[str, list[Any]]:
    """Rows whose ``key`` is one of ``ids`` (strings), as SQL and parameters. Written as the
    ids' range and a list lookup rather than ``IN (?, ...)``: DuckDB plans an ``IN`` list as a
    join, and the range lets it skip the row groups outside it (an 11-id page of regions:
    0.70 -> 0.42 ms)."""
    return (
        f"({key} BETWEEN ? AND ? AND list_contains(CAST(? AS VARCHAR[]), {key}))",
        [min(ids), max(ids), list(ids)],
    )


def rows_in_box(
    con: duckdb.DuckDBPyConnection,
    candidates: list[tuple[Any, bool]],
    boxes: Sequence[Box],
    *,
    select: str,
    key: str,
    scope: tuple[str, list[Any]],
    order: str,
    skip: int,
    want: int,
) -> list[tuple[Any, ...]]:
    """Of ``candidates`` (id, box inside the query box; in page order), the rows (``select``,
    in ``order``, within ``scope``) whose boundary meets ``boxes``, after the first ``skip`` of
    them, at most ``want``. Read in batches of the size still missing, each one statement that
    tests the boundaries crossing the box's edge and reads the rows at once (a row whose stored
    box lies inside needs no test), so no more boundaries are read than the page can use.
    DuckDB spatial must be loaded."""
    need = skip + want
    found: list[tuple[Any, ...]] = []
    scope_sql, scope_args = scope
    keep = f"CASE WHEN {inside_sql(boxes)} THEN TRUE ELSE ({_exact_sql(boxes)}) END"
    i = 0
    while len(found) < need and i < len(candidates):
        batch = candidates[i : i + need - len(found)]
        i += len(batch)
        ids_sql, ids_args = id_list_sql(key, [rid for rid, _ in batch])
        rows = con.execute(
            f"{select} WHERE {ids_sql} AND ({scope_sql}) AND ({keep}) ORDER BY {order}",
            [*ids_args, *scope_args],
        ).fetchall()
        found += rows
    return found[skip:need]
