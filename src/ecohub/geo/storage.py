"""The physical order of ``source``: along a Hilbert curve over China's box.

DuckDB keeps a min/max per column and row group (zone maps) and skips the row groups a
predicate cannot match. Stored in code order, registry sources of one area are spread over the
whole table, so a box, a polygon or a county page reads every row group of ``lon``/``lat``;
stored along a Hilbert curve, neighbours in space share row groups and such a page reads only
its own (docs/ogc.md, "Storage order"). Sources without a point go last, in code order.

The registry's link run inserts new sources in this order (:mod:`ecohub.registry.coding`), so a
first run over the national registry stores it so at no extra cost, and later runs append each
batch of new sources clustered; ``ecohub geo reorder`` rewrites the whole table in this order
(a maintenance step after many runs or a bulk load by SQL: it rewrites every row, 338 s for
1 M sources on the loaded shared machine, so it is not done on every run). The rows, their values
and every query's answer are unchanged; only where they sit in the file changes.
"""

from __future__ import annotations

import duckdb

from ecohub.geo.spatial import load_spatial
from ecohub.store.db import own_transaction

# China's box (lon 73..136, lat 3..54): the curve's extent; points outside it clamp to its edge.
_ORDER = (
    "ORDER BY {p}lon IS NULL OR {p}lat IS NULL, ST_Hilbert(least(greatest({p}lon, 73), 136), "
    "least(greatest({p}lat, 3), 54), ST_Extent(ST_MakeEnvelope(73, 3, 136, 54))), "
    "{p}source_code"
)


def hilbert_order(alias: str = "") -> str:
    """The ``ORDER BY`` clause of the storage order (DuckDB spatial must be loaded)."""
    return _ORDER.format(p=f"{alias}." if alias else "")


def reorder_sources(con: duckdb.DuckDBPyConnection) -> int:
    """Rewrite ``source`` in Hilbert-curve order, inside the caller's transaction if one is
    open (else in its own). Returns the number of rows rewritten."""
    load_spatial(con)
    with own_transaction(con):
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE _ecohub_src AS SELECT * FROM source {hilbert_order()}"
        )
        con.execute("DELETE FROM source")
        con.execute("INSERT INTO source SELECT * FROM _ecohub_src")
        row = con.execute("SELECT count(*) FROM _ecohub_src").fetchone()
        con.execute("DROP TABLE _ecohub_src")
    return int(row[0]) if row else 0
