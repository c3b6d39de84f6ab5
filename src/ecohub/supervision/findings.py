"""Storing findings without duplicates: a finding that meets a stored one widens it.

Findings of one rule on one series that overlap or touch (one ends where the next starts) are
one finding. That single rule makes every path idempotent: re-running batch detection over a
period finds the same runs and widens nothing; the stream reports an open run after every batch
with a later end, and the stored row's end follows; a run first seen by the stream and later
by a batch run over a longer period becomes one row with the earliest start.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from ecohub.store.db import retried_write

__all__ = ["store_findings"]

#: Rules whose evidence describes how the run began (drop_flat: the level before the drop):
#: a merged finding keeps its earliest run's evidence. The others keep the latest (a stuck
#: value's run length grows with each hour). A re-fire one hour later measured "before" over
#: hours that include the first flat hour, and its evidence replaced the real level.
ONSET_RULES = ("drop_flat",)
_ONSET = "(" + ", ".join(f"'{r}'" for r in ONSET_RULES) + ")"

# Coalesce the incoming findings among themselves first (adjacent hours, overlapping windows),
# then widen the stored rows they meet and insert the rest. The widened ids are selected first
# and the UPDATE has no RETURNING: DuckDB makes an ``UPDATE ... RETURNING`` of a row that an
# open reader transaction still sees in an older version fail with a write-write conflict
# (found under HJ 212 load: the second widening of one finding while the alert dispatcher read).
_COALESCE = """
CREATE OR REPLACE TEMP TABLE _anomaly_in AS
WITH f AS (
    SELECT *, CASE WHEN start <= max("end") OVER (
                  PARTITION BY mn, pollutant, rule ORDER BY start, "end"
                  ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
              THEN 0 ELSE 1 END AS new_group
    FROM _anomaly_src
), g AS (
    SELECT *, sum(new_group) OVER (PARTITION BY mn, pollutant, rule ORDER BY start, "end"
                                  ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS grp
    FROM f
)
SELECT mn, pollutant, rule, min(start) AS start, max("end") AS "end",
       CASE WHEN rule IN {onset} THEN arg_min(evidence, start) ELSE arg_max(evidence, "end") END
           AS evidence,
       any_value(severity) AS severity
FROM g GROUP BY mn, pollutant, rule, grp
""".replace("{onset}", _ONSET)

_MEETS = """
a.mn = f.mn AND a.pollutant = f.pollutant AND a.rule = f.rule
  AND a.start <= f."end" AND a."end" >= f.start
  AND (f.start < a.start OR f."end" > a."end" OR f.evidence::JSON <> a.evidence)
"""

_WIDENED = f"SELECT DISTINCT a.id FROM anomaly a JOIN _anomaly_in f ON {_MEETS} ORDER BY a.id"

_WIDEN = f"""
UPDATE anomaly AS a SET start = least(a.start, f.start), "end" = greatest(a."end", f."end"),
       evidence = CASE WHEN a.rule IN {_ONSET} THEN
                           CASE WHEN f.start < a.start THEN f.evidence::JSON ELSE a.evidence END
                       WHEN f."end" >= a."end" THEN f.evidence::JSON ELSE a.evidence END,
       updated_at = now()
FROM _anomaly_in f
WHERE {_MEETS}
"""

_INSERT = """
INSERT INTO anomaly (mn, source_code, outlet_code, pollutant, rule, start, "end", evidence,
                     severity, found_at, updated_at)
SELECT f.mn, mp.source_code, mp.outlet_code, f.pollutant, f.rule, f.start, f."end",
       f.evidence::JSON, f.severity, now(), now()
FROM _anomaly_in f LEFT JOIN monitor_point mp ON mp.mn = f.mn
WHERE NOT EXISTS (
    SELECT 1 FROM anomaly a
    WHERE a.mn = f.mn AND a.pollutant = f.pollutant AND a.rule = f.rule
      AND a.start <= f."end" AND a."end" >= f.start)
RETURNING id
"""


def store_findings(con: duckdb.DuckDBPyConnection, findings: pa.Table) -> list[int]:
    """Merge ``findings`` (FINDING_SCHEMA) into `anomaly`; returns the ids of the rows it
    inserted or changed (what alerts are raised from: ``raise_alerts(only=...)``).

    Runs in the caller's transaction when there is one, else in its own, which is tried again
    when a concurrent write conflicts with it (:func:`ecohub.store.db.retried_write`).
    """
    if findings.num_rows == 0:
        return []
    con.register("_anomaly_src", findings)
    try:
        return retried_write(con, lambda: _merge(con))
    finally:
        con.unregister("_anomaly_src")
        con.execute("DROP TABLE IF EXISTS _anomaly_in")


def _merge(con: duckdb.DuckDBPyConnection) -> list[int]:
    con.execute(_COALESCE)
    widened = con.execute(_WIDENED).fetchall()
    con.execute(_WIDEN)
    inserted = con.execute(_INSERT).fetchall()
    return [int(i) for (i,) in widened + inserted]
