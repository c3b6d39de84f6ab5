"""Evidence of a conflicting resend: stored values that a device sent again, changed.

The first stored copy of a key stays (HJ 212 devices resend what they think was not answered,
and a resend must never double or move a row). A resend whose values differ is not a resend
but a rewrite of the past, which is what a supervisor looks for (the MEE's rules on faked
automatic-monitoring data name tampering with stored data); so each packet that tried to
change a stored value is kept verbatim in `packet_log` with status ``conflict``, error
``ConflictingResend`` and the values it would have changed, in the same transaction that
ignores its rows, and counted (``ecohub_hj212_conflicting_resends``) once that has committed.
The device is still answered: its packet was received and its key is stored.
"""

from __future__ import annotations

from typing import Any

import duckdb
import pyarrow as pa

from ecohub.ingest.work import Work
from ecohub.ingest.writer_tables import REJECTED_INSERT, REJECTED_SCHEMA, arrow_table
from ecohub.store.emission_diff import differ_sql, values_text

#: Rows of a batch (``_ecohub_resent``) whose key is stored with other values: the key, and the
#: stored and the resent values as text.
CONFLICTS = f"""
SELECT s.mn, s.cn, s.data_time, s.pollutant, {values_text("e")}, {values_text("s")}
FROM _ecohub_resent s
JOIN emission e ON e.mn = s.mn AND e.cn = s.cn AND e.data_time = s.data_time
                AND e.pollutant = s.pollutant
WHERE {differ_sql("e", "s")}
ORDER BY s.mn, s.cn, s.data_time, s.pollutant
"""

#: Changed values a reason lists before "n more".
SHOWN = 5


def log_conflicts(cur: duckdb.DuckDBPyConnection, rows: pa.Table, works: list[Work]) -> int:
    """Keep the packets of ``works`` whose ``rows`` (about to be inserted, duplicates ignored)
    would change stored values; how many. Runs inside the caller's transaction, which counts
    them once it has committed (a rolled-back try that is retried must not count twice)."""
    cur.register("_ecohub_resent", rows)
    try:
        found = cur.execute(CONFLICTS).fetchall()
    finally:
        cur.unregister("_ecohub_resent")
    logged = entries(found, works)
    if logged:
        cur.register("_ecohub_conflicts", arrow_table(REJECTED_SCHEMA, logged))
        try:
            cur.execute(REJECTED_INSERT.format(src="_ecohub_conflicts"))
        finally:
            cur.unregister("_ecohub_conflicts")
    return len(logged)


def entries(found: list[tuple[Any, ...]], works: list[Work]) -> list[tuple[Any, ...]]:
    """`packet_log` rows (REJECTED_SCHEMA) for the packets of ``works`` that ``found`` (key,
    stored values, resent values) says would change stored values."""
    if not found:
        return []
    changes: dict[tuple[Any, ...], list[str]] = {}
    for mn, cn, data_time, pollutant, stored, sent in found:
        changes.setdefault((mn, cn, data_time), []).append(
            f"{pollutant} {stored or '-'} -> {sent or '-'}"
        )
    out = []
    for w in works:
        changed = changes.get((w.mn, w.cn, w.data_time))
        if not changed:
            continue
        listed = "; ".join(changed[:SHOWN])
        if len(changed) > SHOWN:
            listed += f"; {len(changed) - SHOWN} more"
        reason = f"resent with other values than stored (the stored ones kept): {listed}"
        out.append((w.received_at, w.peer, w.mn, w.raw, "conflict", "ConflictingResend",
                    reason, None, len(w.raw)))  # fmt: skip
    return out
