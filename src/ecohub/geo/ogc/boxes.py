"""Boundaries in a ``bbox``: stored bounding boxes first, the exact test only where a page needs it.

A region is in the box when its boundary intersects it (edges included). Its stored bounding
box answers for most rows: a region whose box misses the query box is out, one whose box lies
inside it is in. Only a region whose box crosses the query box's edge needs the exact test on
its boundary. Testing it in the same scan made DuckDB read the boundary column (WKB, 11 MB for
China's divisions) for every vector holding a candidate; so the candidates are listed first
without their boundaries, in page order, and the crossing ones are tested in a second
statement, batch by batch, only until the page is full.
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


def ids_in_box(
    con: duckdb.DuckDBPyConnection,
    candidates: list[tuple[Any, bool]],
    boxes: Sequence[Box],
    *,
    source: str,
    key: str,
    skip: int,
    want: int,
) -> list[Any]:
    """Of ``candidates`` (id, box inside the query box; in page order), the ids whose boundary
    meets ``boxes``, after the first ``skip`` of them, at most ``want``. Boundaries that cross
    the box's edge are tested in batches of the size still missing, so no more are read than
    the page can use. DuckDB spatial must be loaded."""
    need = skip + want
    found: list[Any] = []
    i = 0
    while len(found) < need and i < len(candidates):
        batch = candidates[i : i + need - len(found)]
        i += len(batch)
        crossing = [rid for rid, inside in batch if not inside]
        met: set[Any] = set()
        if crossing:
            marks = ", ".join("?" for _ in crossing)
            sql = f"SELECT {key} FROM {source} WHERE {key} IN ({marks}) AND ({_exact_sql(boxes)})"
            met = {r[0] for r in con.execute(sql, crossing).fetchall()}
        found += [rid for rid, inside in batch if inside or rid in met]
    return found[skip:need]
