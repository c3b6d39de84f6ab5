"""The complaints linked to one registry source (``complaint_source``), as the source profile
shows them.

Who sees what follows the complaint routes (:mod:`.service`): admin, analyst and inspector get
the linked complaints inside their region — the same scope predicate on the complaint's county
and point, in the query — and the count of those. Every other role (an enterprise looking at
its own source) gets the count alone: a ticket number, the minute a call came in and its
distance from the plant are enough to identify a complainant, and 12369 handling keeps the
complainant confidential.
"""

from __future__ import annotations

from typing import Any

import duckdb

from ecohub.access import Principal, region_sql
from ecohub.jobs.plain import jsonable

__all__ = ["READERS", "linked_to_source"]

#: The roles that read complaints (the complaint routes' ``require_role``).
READERS = ("admin", "analyst", "inspector")


def linked_to_source(
    con: duckdb.DuckDBPyConnection, p: Principal, source_code: str, *, limit: int
) -> dict[str, Any]:
    """``{"count": n, "items": [...] | None}``: the newest ``limit`` linked complaints
    (``complaint_id, received_at, topic, distance_m, score``) for a reader, ``None`` for
    anyone else; ``count`` is of the rows the caller may know about."""
    if p.role not in READERS:
        # The count is what reaches the source's risk score, which counts every linked
        # complaint wherever it lies; nothing about any one complaint is read.
        row = con.execute(
            "SELECT count(*) FROM complaint_source WHERE source_code = ?", [source_code]
        ).fetchone()
        return {"count": int(row[0]) if row else 0, "items": None}
    # LEFT JOIN: a nationwide caller still sees a link whose complaint row is gone; a regional
    # scope never admits it (a NULL county is outside every region).
    scope, sp = region_sql(p, "c.region_code", lon="c.lon", lat="c.lat")
    where = f"k.source_code = ? AND {scope}"
    frm = "FROM complaint_source k LEFT JOIN complaint c USING (complaint_id)"
    row = con.execute(f"SELECT count(*) {frm} WHERE {where}", [source_code, *sp]).fetchone()
    items = (
        con.execute(
            f"SELECT k.complaint_id, k.received_at, k.topic, k.distance_m, k.score {frm} "
            f"WHERE {where} ORDER BY k.received_at DESC, k.complaint_id LIMIT ?",
            [source_code, *sp, limit],
        )
        .fetch_arrow_table()
        .to_pylist()
    )
    return {"count": int(row[0]) if row else 0, "items": list(jsonable(items))}
