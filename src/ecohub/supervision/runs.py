"""Runs of minute-level hits, carried from one chunk of data to the next.

:class:`RunState` is the whole memory of the minute detectors: the last unmarked value of every
series and the run each rule has open on it. It lives in a private in-memory DuckDB, so a chunk
is judged by set-based SQL (no Python per value) whether the chunk is a day of history
(`supervise detect`) or one committed batch of the HJ 212 writer (the stream detector). A run
is a finding once it has lasted the rule's ``duration_s``; an open run is reported again, with
a later end, after every chunk that extends it.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from ecohub.supervision.minute_sql import RAW_SQL, hit_rows_sql
from ecohub.supervision.rules import Rule

__all__ = ["FINDING_SCHEMA", "RunState"]

_TS = pa.timestamp("us", tz="Asia/Shanghai")
#: What every detector returns: one row per finding, before it is matched with stored ones.
FINDING_SCHEMA = pa.schema(
    [("mn", pa.string()), ("pollutant", pa.string()), ("rule", pa.string()),
     ("start", _TS), ("end", _TS), ("evidence", pa.string()), ("severity", pa.string())]
)  # fmt: skip

_STATE_DDL = """
CREATE TABLE last (mn VARCHAR, pollutant VARCHAR, t TIMESTAMPTZ, v DOUBLE, te DOUBLE,
                   bdl BOOLEAN);
CREATE TABLE clock (mn VARCHAR, pollutant VARCHAR, off DOUBLE);
CREATE TABLE open_run (mn VARCHAR, pollutant VARCHAR, rule VARCHAR, start TIMESTAMPTZ,
                       last_t TIMESTAMPTZ, last_te DOUBLE, n BIGINT, vmin DOUBLE, vmax DOUBLE,
                       vsum DOUBLE);
CREATE TABLE dev (mn VARCHAR, interval_s INTEGER);
CREATE TABLE ref_o2 (mn VARCHAR, pollutant VARCHAR, reference_o2 DOUBLE);
CREATE TABLE sd (mn VARCHAR, start TIMESTAMPTZ, "end" TIMESTAMPTZ);
CREATE TABLE rp (rule VARCHAR, duration_s BIGINT, gap_s BIGINT, severity VARCHAR,
                 threshold DOUBLE, threshold_2 DOUBLE, what VARCHAR);
"""

# What the evidence's min/max/mean are of, per rule (the `v` of minute_sql).
_WHAT = {
    "zero_negative": "value",
    "constant": "value",
    "o2_air": "o2_percent",
    "zs_mismatch": "relative_deviation",
    "rate_mismatch": "relative_deviation",
    "shutdown_data": "value",
    "silent": "gap_seconds",
}

# Facts the minute rules need from the store, read when the state is made and on refresh().
_FACTS = {
    "dev": "SELECT mn, interval_s FROM monitor_point",
    "ref_o2": """SELECT mp.mn, pl.pollutant, max(pl.reference_o2) AS reference_o2
        FROM permit_limit pl JOIN permit p USING (permit_no)
        JOIN monitor_point mp ON mp.source_code = p.source_code AND mp.outlet_code = pl.outlet_code
        WHERE pl.reference_o2 IS NOT NULL GROUP BY ALL""",
    "sd": 'SELECT mn, start, "end" FROM shutdown',
}


class RunState:
    """Per-series memory of the minute rules, and the SQL that advances it by one chunk."""

    def __init__(self, rules: list[Rule]) -> None:
        self.rules = [r for r in rules if r.level == "minute"]
        self._db = duckdb.connect(":memory:")
        self._db.execute("SET TimeZone = 'Asia/Shanghai'")
        # One thread: chunks are small, and splitting a window over a few thousand rows across
        # threads cost twice the time of doing it on one (measured; docs/benchmarks.md).
        self._db.execute("SET threads = 1")
        self._db.execute(_STATE_DDL)
        for r in self.rules:
            self._db.execute(
                "INSERT INTO rp VALUES (?, ?, ?, ?, ?, ?, ?)",
                [r.rule, r.duration_s, r.gap_s, r.severity, r.threshold, r.threshold_2,
                 _WHAT.get(r.rule, "value")],
            )  # fmt: skip
        self._sql = hit_rows_sql(self.rules) if self.rules else ""

    def close(self) -> None:
        self._db.close()

    def load_facts(self, store: duckdb.DuckDBPyConnection) -> None:
        """Device intervals, reference O2 and declared shutdowns, copied from the store."""
        for table, query in _FACTS.items():
            data = store.execute(query).fetch_arrow_table()
            self._db.execute(f"DELETE FROM {table}")
            self._db.register("_facts", data)
            try:
                self._db.execute(f"INSERT INTO {table} SELECT * FROM _facts")
            finally:
                self._db.unregister("_facts")

    def seed_last(self, rows: pa.Table) -> None:
        """Start from known last values ``(mn, pollutant, t, v, bdl)`` (pollutant '*' = the
        device's last packet; ``bdl``: stored below the detection limit, optional), e.g. the
        values just before a batch period. Their run clock starts at their own time."""
        bdl = "bdl" if "bdl" in rows.column_names else "false"
        self._db.register("_seed", rows)
        try:
            self._db.execute("DELETE FROM last")
            self._db.execute("DELETE FROM clock")
            self._db.execute(
                f"INSERT INTO last SELECT mn, pollutant, t, v, epoch(t), {bdl} FROM _seed"
            )
        finally:
            self._db.unregister("_seed")

    def process(self, chunk: pa.Table) -> pa.Table:
        """Judge one chunk (`emission` rows, oldest first or not), advance the state, and return
        the findings (FINDING_SCHEMA) of every run that has reached its rule's duration."""
        if not self.rules or chunk.num_rows == 0:
            return FINDING_SCHEMA.empty_table()
        if "below_detection" not in chunk.column_names:  # replays, benchmarks: all measured
            chunk = chunk.append_column(
                "below_detection", pa.array([False] * chunk.num_rows, pa.bool_())
            )
        db = self._db
        db.register("chunk", chunk)
        try:
            db.execute("BEGIN")
            db.execute(f"CREATE OR REPLACE TEMP TABLE raw_t AS {RAW_SQL}")
            db.execute(f"CREATE OR REPLACE TEMP TABLE u_t AS {self._sql} SELECT * FROM u")
            db.execute(f"CREATE OR REPLACE TEMP TABLE merged AS {_ISLANDS}")
            found = db.execute(_FINDINGS).fetch_arrow_table()
            db.execute(_ADVANCE)
            db.execute("COMMIT")
        except Exception:
            db.execute("ROLLBACK")
            raise
        finally:
            db.unregister("chunk")
        return found.cast(FINDING_SCHEMA)


# Islands of consecutive hits per series and rule, joined with the run left open by the chunk
# before when the island starts at the chunk's first judged row of that series.
_ISLANDS = """
WITH h AS (
    SELECT u.*, rp.gap_s,
           row_number() OVER s AS rn,
           count(*) OVER (PARTITION BY u.mn, u.pollutant, u.rule) AS cnt,
           coalesce(lag(u.te) OVER s, o.last_te) AS prev_te,
           o.start IS NOT NULL AS has_open
    FROM u_t u JOIN rp USING (rule)
    LEFT JOIN open_run o ON o.mn = u.mn AND o.pollutant = u.pollutant AND o.rule = u.rule
    WINDOW s AS (PARTITION BY u.mn, u.pollutant, u.rule ORDER BY u.t)
),
b AS (
    SELECT *,
           gap_s > 0 AND te - prev_te > gap_s AS gap_break,
           sum(CASE WHEN NOT coalesce(hit, false)
                      OR (gap_s > 0 AND te - prev_te > gap_s)
                    THEN 1 ELSE 0 END)
               OVER (PARTITION BY mn, pollutant, rule ORDER BY t
                     ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS grp
    FROM h
),
isl AS (
    SELECT mn, pollutant, rule, grp, min(from_t) AS start, max(t) AS last_t,
           max(te) AS last_te, count(*) AS n,
           min(v) AS vmin, max(v) AS vmax, sum(v) AS vsum,
           bool_or(rn = 1 AND has_open AND NOT gap_break) AS joins_open,
           bool_or(rn = cnt) AS at_tail
    FROM b WHERE coalesce(hit, false) GROUP BY mn, pollutant, rule, grp
)
SELECT i.mn, i.pollutant, i.rule,
       CASE WHEN i.joins_open THEN least(o.start, i.start) ELSE i.start END AS start,
       i.last_t, i.last_te,
       i.n + CASE WHEN i.joins_open THEN o.n ELSE 0 END AS n,
       CASE WHEN i.joins_open THEN least(o.vmin, i.vmin) ELSE i.vmin END AS vmin,
       CASE WHEN i.joins_open THEN greatest(o.vmax, i.vmax) ELSE i.vmax END AS vmax,
       i.vsum + CASE WHEN i.joins_open THEN o.vsum ELSE 0 END AS vsum,
       i.at_tail
FROM isl i LEFT JOIN open_run o ON o.mn = i.mn AND o.pollutant = i.pollutant AND o.rule = i.rule
"""

_FINDINGS = """
SELECT m.mn, m.pollutant, m.rule, m.start, m.last_t AS "end",
       json_object('n', m.n, 'of', rp.what, 'min', m.vmin, 'max', m.vmax,
                   'mean', m.vsum / m.n, 'threshold', rp.threshold,
                   'threshold_2', rp.threshold_2, 'open', m.at_tail)::VARCHAR AS evidence,
       rp.severity
FROM merged m JOIN rp USING (rule)
WHERE epoch(m.last_t) - epoch(m.start) >= rp.duration_s
ORDER BY m.mn, m.pollutant, m.rule, m.start
"""

# Open runs: those of series the chunk did not judge stay; otherwise the island that reached
# the chunk's last judged row is the new open run. Last values: the newest unmarked value of
# each series (with its run clock and whether it was below the detection limit), and the
# device's newest packet under pollutant '*'. Clock: the time the marked values of each series
# have covered so far (te = epoch - off at the series' newest row), carried into the next chunk
# so a marked stretch across chunks is bridged as one inside a chunk is.
_ADVANCE = """
CREATE OR REPLACE TEMP TABLE judged AS SELECT DISTINCT mn, pollutant, rule FROM u_t;
DELETE FROM open_run o WHERE EXISTS (
    SELECT 1 FROM judged j WHERE j.mn = o.mn AND j.pollutant = o.pollutant AND j.rule = o.rule);
INSERT INTO open_run
    SELECT mn, pollutant, rule, start, last_t, last_te, n, vmin, vmax, vsum
    FROM merged WHERE at_tail;
CREATE OR REPLACE TEMP TABLE newest AS
    SELECT mn, pollutant, max(t) AS t, arg_max(v, t) AS v, arg_max(te, t) AS te,
           arg_max(bdl, t) AS bdl
    FROM raw_t WHERE NOT marked GROUP BY mn, pollutant
    UNION ALL
    SELECT mn, '*', max(t), NULL, NULL, NULL FROM raw_t GROUP BY mn;
CREATE OR REPLACE TEMP TABLE clock_new AS
    SELECT mn, pollutant, max(epoch(t) - te) AS off FROM raw_t GROUP BY mn, pollutant;
DELETE FROM clock c WHERE EXISTS (
    SELECT 1 FROM clock_new n WHERE n.mn = c.mn AND n.pollutant = c.pollutant);
INSERT INTO clock SELECT * FROM clock_new;
DELETE FROM last l WHERE EXISTS (
    SELECT 1 FROM newest n WHERE n.mn = l.mn AND n.pollutant = l.pollutant AND n.t >= l.t);
INSERT INTO last SELECT n.* FROM newest n WHERE NOT EXISTS (
    SELECT 1 FROM last l WHERE l.mn = n.mn AND l.pollutant = n.pollutant);
"""
