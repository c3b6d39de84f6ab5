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

# The stored rows the incoming findings meet (overlap or touch) and the incoming findings
# themselves, grouped into islands as above: each island is ONE row afterwards (earliest start,
# latest end, the evidence of the latest end or, for onset rules, of the earliest start; a tie
# goes to the incoming finding, resp. the stored one, as before). The row kept is the island's
# stored row linked to an alert that is not closed (a key has at most one), else one linked to
# any alert, else the oldest; the island's other stored rows are deleted with their links
# (``alert_source``). Ids come from a sequence and are never used again, so no key is deleted
# and re-inserted (DuckDB refuses that while an older transaction is open: catalog/_db.py).
_ISLANDS = f"""
CREATE OR REPLACE TEMP TABLE _anomaly_isl AS
WITH cand AS (
    SELECT a.id, a.mn, a.pollutant, a.rule, a.start, a."end", a.evidence::VARCHAR AS evidence,
           a.severity, 0 AS is_in,
           CASE WHEN EXISTS (SELECT 1 FROM alert_source s JOIN alert al ON al.id = s.alert_id
                             WHERE s.kind = 'finding' AND s.ref_id = a.id
                               AND al.state <> 'closed') THEN 0
                WHEN EXISTS (SELECT 1 FROM alert_source s
                             WHERE s.kind = 'finding' AND s.ref_id = a.id) THEN 1
                ELSE 2 END AS pref
    FROM anomaly a
    WHERE EXISTS (SELECT 1 FROM _anomaly_in f
                  WHERE a.mn = f.mn AND a.pollutant = f.pollutant AND a.rule = f.rule
                    AND a.start <= f."end" AND a."end" >= f.start)
), r AS (
    SELECT * FROM cand
    UNION ALL
    SELECT NULL, mn, pollutant, rule, start, "end", evidence, severity, 1, NULL FROM _anomaly_in
), f AS (
    SELECT *, CASE WHEN start <= max("end") OVER (
                  PARTITION BY mn, pollutant, rule ORDER BY start, "end", is_in
                  ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
              THEN 0 ELSE 1 END AS new_group
    FROM r
), g AS (
    SELECT *, sum(new_group) OVER (PARTITION BY mn, pollutant, rule ORDER BY start, "end", is_in
                                  ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS grp
    FROM f
), isl AS (
    SELECT mn, pollutant, rule, grp, min(start) AS start, max("end") AS "end",
           CASE WHEN rule IN {_ONSET} THEN first(evidence ORDER BY start, is_in)
                ELSE first(evidence ORDER BY "end" DESC, is_in DESC) END AS evidence,
           first(severity ORDER BY is_in) AS severity,
           first(id ORDER BY pref, id) FILTER (WHERE id IS NOT NULL) AS keep,
           count(id) AS n_stored
    FROM g GROUP BY mn, pollutant, rule, grp
)
SELECT isl.*, g.id AS member FROM isl JOIN g USING (mn, pollutant, rule, grp)
WHERE g.is_in = 1 OR g.id IS NOT NULL
"""

# Islands whose kept row changes: other rows fold into it, or its span or evidence moves.
_CHANGED = """
SELECT DISTINCT i.keep FROM _anomaly_isl i JOIN anomaly a ON a.id = i.keep
WHERE i.n_stored > 1 OR i.start <> a.start OR i."end" <> a."end"
   OR i.evidence::JSON <> a.evidence
ORDER BY i.keep
"""

_DROPPED = "SELECT member FROM _anomaly_isl WHERE member <> keep"

_UNLINK = f"DELETE FROM alert_source WHERE kind = 'finding' AND ref_id IN ({_DROPPED})"

_DROP = f"DELETE FROM anomaly WHERE id IN ({_DROPPED})"

_WIDEN = """
UPDATE anomaly AS a SET start = i.start, "end" = i."end", evidence = i.evidence::JSON,
       updated_at = now()
FROM (SELECT DISTINCT keep, start, "end", evidence FROM _anomaly_isl) i
WHERE a.id = i.keep AND a.id IN (SELECT keep FROM _anomaly_chg)
"""

_INSERT = """
INSERT INTO anomaly (mn, source_code, outlet_code, pollutant, rule, start, "end", evidence,
                     severity, found_at, updated_at)
SELECT f.mn, mp.source_code, mp.outlet_code, f.pollutant, f.rule, f.start, f."end",
       f.evidence::JSON, f.severity, now(), now()
FROM (SELECT DISTINCT mn, pollutant, rule, start, "end", evidence, severity
      FROM _anomaly_isl WHERE keep IS NULL) f
LEFT JOIN monitor_point mp ON mp.mn = f.mn
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
        for t in ("_anomaly_in", "_anomaly_isl", "_anomaly_chg"):
            con.execute(f"DROP TABLE IF EXISTS {t}")


def _merge(con: duckdb.DuckDBPyConnection) -> list[int]:
    con.execute(_COALESCE)
    con.execute(_ISLANDS)
    con.execute(f"CREATE OR REPLACE TEMP TABLE _anomaly_chg AS {_CHANGED}")
    widened = con.execute("SELECT keep FROM _anomaly_chg ORDER BY keep").fetchall()
    con.execute(_UNLINK)
    con.execute(_DROP)
    con.execute(_WIDEN)
    inserted = con.execute(_INSERT).fetchall()
    return [int(i) for (i,) in widened + inserted]
