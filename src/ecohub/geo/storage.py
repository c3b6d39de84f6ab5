"""The physical order of ``source`` and the order its OGC pages walk: along a Hilbert curve.

DuckDB keeps a min/max per column and row group (zone maps) and skips the row groups a
predicate cannot match. Stored in code order, registry sources of one area are spread over the
whole table, so a box, a polygon or a county page reads every row group of ``lon``/``lat``;
stored along a Hilbert curve, neighbours in space share row groups and such a page reads only
its own (docs/ogc.md, "Storage order"). Sources without a point go last.

``source.hkey`` holds each row's place on that curve: the point's cell (16 bits a side over
China's box) in the high 32 bits and a number from ``source_hkey_seq`` in the low 32, so no two
rows share a key. The table is stored in ``hkey`` order and OGC pages of sources are ordered by
it too: a page is then a stretch of the file, its next link (``hkey`` above the last one's)
and a deep ``offset`` read one row group, and a filtered page stops at the first row groups that
fill it (the top-N's dynamic filter skips the rest by their ``hkey`` min/max), where the item
id's order had to read every row group's codes. A row inserted without a key (a bulk load by
SQL) gets the next number alone: it pages first, in insertion order, until it is re-keyed.

The registry's link run inserts new sources with their keys, in key order
(:mod:`ecohub.registry.coding`), so a first run over the national registry stores them so at no
extra cost and later runs append each batch clustered; ``ecohub geo reorder`` re-keys and
rewrites the whole table in key order (a maintenance step after many runs or a bulk load by SQL:
it rewrites every row). The rows and their values are unchanged; only ``hkey`` and where the rows
sit in the file change, and with them the order of the OGC pages.
"""

from __future__ import annotations

import re

import duckdb

from ecohub.geo.hilbert import cell_range, share_cell
from ecohub.geo.spatial import load_spatial
from ecohub.store.db import own_transaction

# China's box (lon 73..136, lat 3..54): the curve's extent; points outside it clamp to its edge.
# No point: the last cell, so such rows go last.
_CELL = (
    "CASE WHEN {p}lon IS NULL OR {p}lat IS NULL THEN 4294967295 ELSE "
    "ST_Hilbert(least(greatest({p}lon, 73), 136), least(greatest({p}lat, 3), 54), "
    "ST_Extent(ST_MakeEnvelope(73, 3, 136, 54))) END"
)


def hkey_sql(alias: str = "") -> str:
    """SQL for a new ``hkey`` of the row's ``lon``/``lat`` (draws a number from
    ``source_hkey_seq``; DuckDB spatial must be loaded)."""
    cell = _CELL.format(p=f"{alias}." if alias else "")
    number = "(nextval('source_hkey_seq') % 4294967296)::UBIGINT"
    return f"((({cell})::UBIGINT << 32) | {number})"


#: ``hkey`` below this: rows inserted without a key (cell 0 in the high bits, never re-keyed).
UNKEYED_KEYS = 1 << 32


def stretch_sql(box: tuple[float, float, float, float]) -> tuple[str, list[int]]:
    """``source`` narrowed to the rows whose point can lie inside ``box`` (minlon, minlat,
    maxlon, maxlat; not across the antimeridian), as a table expression with its parameters.

    A keyed row carries its point's cell (:func:`hkey_sql`; the registry re-keys a source
    whose point moves, ``ecohub geo reorder`` re-keys all), so the box's points lie in one
    stretch of keys, from the box's smallest cell to its largest
    (:func:`ecohub.geo.hilbert.cell_range`); rows inserted without a key (a bulk load by SQL)
    are kept as well. Two ``UNION ALL`` branches, each a plain key range: DuckDB skips the row
    groups and segments outside it by their ``hkey`` min/max (an ``OR`` of ranges is not
    pushed down), and drops the unkeyed branch while planning when the table's statistics
    rule it out. A superset still: the caller tests the box itself. A point changed by SQL
    outside the registry keeps its old key until ``ecohub geo reorder`` (docs/ogc.md)."""
    first, last = cell_range(*box)
    return _with_unkeyed(first, last)


_KEY = "CAST(? AS UBIGINT)"  # typed as the column, so its zone maps serve (see keyset)


def _with_unkeyed(first: int, last: int) -> tuple[str, list[int]]:
    """The rows keyed in cells ``first..last`` and the unkeyed rows, as two ``UNION ALL``
    branches (a table expression) and their parameters."""
    sql = (
        f"(SELECT * FROM source WHERE hkey < {_KEY} UNION ALL "
        f"SELECT * FROM source WHERE hkey BETWEEN {_KEY} AND {_KEY})"
    )
    return sql, [UNKEYED_KEYS, max(first << 32, UNKEYED_KEYS), ((last + 1) << 32) - 1]


def stretch_parts(
    box: tuple[float, float, float, float], share: float
) -> tuple[tuple[str, list[int]], tuple[str, list[int]]] | None:
    """:func:`stretch_sql` cut in two where the curve has covered about ``share`` of the box
    (:func:`ecohub.geo.hilbert.share_cell`): the first part (with the unkeyed rows) holds every
    key up to that cell, the second the rest. In key order, every row of the first comes before
    every row of the second, so a page can read the first and stop there when it holds enough
    rows. None when the cut leaves nothing after it."""
    first, last = cell_range(*box)
    cut = min(max(share_cell(*box, share), first), last)
    if cut >= last:
        return None
    tail = f"(SELECT * FROM source WHERE hkey BETWEEN {_KEY} AND {_KEY})"
    return _with_unkeyed(first, cut), (tail, [(cut + 1) << 32, ((last + 1) << 32) - 1])


def reorder_sources(con: duckdb.DuckDBPyConnection) -> int:
    """Give every row of ``source`` a new ``hkey`` and rewrite the table in that order, inside
    the caller's transaction if one is open (else in its own). Returns the number of rows
    rewritten."""
    load_spatial(con)
    row = con.execute(
        "SELECT sql FROM duckdb_tables() WHERE schema_name = 'main' AND table_name = 'source'"
    ).fetchone()
    ddl = str(row[0]) if row else ""
    head = re.match(r'CREATE TABLE "?source"?\s*\(', ddl)
    if head is None:
        raise RuntimeError("table source is not where ecohub's schema puts it")
    # A new table with the same definition, filled in key order, takes the old one's place:
    # deleting every row and inserting them again left the deleted row groups in the file, and
    # every later scan walked both (1 M sources: 18 row groups instead of 9).
    create = "CREATE TABLE _ecohub_source_sorted (" + ddl[head.end() :]
    with own_transaction(con):
        con.execute(create)
        con.execute(
            "INSERT INTO _ecohub_source_sorted SELECT * FROM "
            f"(SELECT * REPLACE ({hkey_sql()} AS hkey) FROM source) ORDER BY hkey"
        )
        con.execute("DROP TABLE source")
        con.execute("ALTER TABLE _ecohub_source_sorted RENAME TO source")
        count = con.execute("SELECT count(*) FROM source").fetchone()
    return int(count[0]) if count else 0
