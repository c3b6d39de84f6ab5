"""Exceedance events against permit limits.

A limit applies to the converted concentration (HJ 75-2017, GB 13223: C x (21 - O2_ref) /
(21 - O2), O2_ref the permit's ``reference_o2``), averaged over its period. The hour's value
(:func:`converted_sql`) is the device's ``ZsAvg`` when it sent one; else, with a permit
reference O2, the measured mean converted with the hour's mean O2; an hour whose O2 is missing or
not below 21 % cannot be converted and is not judged; a limit without a reference O2 is judged
on the measured mean. Hour = the hourly mean of valid, unmarked minute values (`anomaly_hour`,
>= 45 values, as the missing-minutes rule reads HJ 75); day = the mean of the day's valid
converted hourly means when there are >= 20 of them (our choice, as HJ 663 asks of ambient
daily values). The limit in force on the period's day is used (permit and limit validity
dates). Consecutive periods over the limit are one event (start, end, peak, multiple = peak /
limit); an event stays ``open`` until a later judged period of the same series is under the
limit. Marked values never count, so a marked hour is no exceedance - and no evidence of
compliance either: it closes nothing.

Batch (`detect`) and the stream call :func:`judge_exceedance` with the device-hours that have
completed, exactly as for the hour rules.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from ecohub.store.db import retried_write

__all__ = ["judge_exceedance"]

VALID_MINUTES = 45
VALID_HOURS_A_DAY = 20

_LIMITS = """
SELECT mp.mn, pl.pollutant, pl.period, pl."limit" AS lim, pl.permit_no, pl.reference_o2,
       pl.valid_from, pl.valid_to, p.valid_from AS p_from, p.valid_to AS p_to
FROM permit_limit pl JOIN permit p USING (permit_no)
JOIN monitor_point mp ON mp.source_code = p.source_code AND mp.outlet_code = pl.outlet_code
WHERE pl."limit" > 0 AND pl.period IN ('hour', 'day')
"""

_IN_FORCE = """(l.valid_from IS NULL OR l.valid_from <= {d}) AND (l.valid_to IS NULL OR
    l.valid_to >= {d}) AND (l.p_from IS NULL OR l.p_from <= {d}) AND (l.p_to IS NULL OR
    l.p_to >= {d})"""

O2 = "a19001"


def converted_sql(h: str = "h", o2: str = "o2", ref: str = "l.reference_o2") -> str:
    """The hour's concentration a limit is judged on (NULL: cannot be judged), HJ 75-2017:
    the device's converted value (``ZsAvg``) when it sent one; else, when the permit gives a
    reference O2, the measured mean converted with the hour's mean O2,
    C x (21 - O2_ref) / (21 - O2_measured); else (no reference O2: a limit on the measured
    concentration) the measured mean. An hour whose O2 is missing, not valid (< 45 unmarked
    minutes) or not in [0, 21) % cannot be converted and is not judged (our choice: the limit
    applies to the converted value, and the measured one, diluted by air, would understate it)."""
    return f"""CASE WHEN {h}.zs_mean IS NOT NULL THEN {h}.zs_mean
        WHEN {ref} IS NULL THEN {h}.mean
        WHEN {o2}.mean >= 0 AND {o2}.mean < 21
            THEN {h}.mean * (21 - {ref}) / (21 - {o2}.mean)
        END"""


def o2_join(h: str = "h", o2: str = "o2") -> str:
    """The hour's valid O2 mean (``anomaly_hour`` of a19001 with >= 45 unmarked minutes)."""
    return (
        f"LEFT JOIN anomaly_hour {o2} ON {o2}.mn = {h}.mn AND {o2}.hour = {h}.hour "
        f"AND {o2}.pollutant = '{O2}' AND {o2}.n >= {VALID_MINUTES}"
    )


_PERIODS = f"""
CREATE OR REPLACE TEMP TABLE _xperiods AS
WITH l AS ({_LIMITS})
SELECT h.mn, h.pollutant, 'hour' AS period, h.hour AS start, h.hour + INTERVAL 1 HOUR AS "end",
       {converted_sql()} AS x, l.lim, l.permit_no
FROM anomaly_hour h JOIN _xevalh e ON e.mn = h.mn AND e.hour = h.hour
JOIN l ON l.mn = h.mn AND l.pollutant = h.pollutant AND l.period = 'hour'
     AND {_IN_FORCE.format(d="h.hour::DATE")}
{o2_join()}
WHERE h.n >= {VALID_MINUTES} AND ({converted_sql()}) IS NOT NULL
UNION ALL
SELECT w.mn, h.pollutant, 'day', w.d, w.d + INTERVAL 1 DAY, avg({converted_sql()}),
       any_value(l.lim), any_value(l.permit_no)
FROM (SELECT DISTINCT mn, date_trunc('day', hour) AS d FROM _xevalh
      WHERE hour = date_trunc('day', hour) + INTERVAL 23 HOUR) w
JOIN anomaly_hour h ON h.mn = w.mn AND h.hour >= w.d AND h.hour < w.d + INTERVAL 1 DAY
JOIN l ON l.mn = h.mn AND l.pollutant = h.pollutant AND l.period = 'day'
     AND {_IN_FORCE.format(d="w.d::DATE")}
{o2_join()}
WHERE h.n >= {VALID_MINUTES} AND ({converted_sql()}) IS NOT NULL
GROUP BY w.mn, h.pollutant, w.d
HAVING count(*) >= {VALID_HOURS_A_DAY}
"""

# Over-limit periods grouped into runs of touching periods, then merged into stored events.
_EVENTS = """
CREATE OR REPLACE TEMP TABLE _xevents AS
WITH o AS (SELECT * FROM _xperiods WHERE x > lim),
f AS (
    SELECT *, CASE WHEN start <= max("end") OVER (
                  PARTITION BY mn, pollutant, period ORDER BY start
                  ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) THEN 0 ELSE 1 END AS ng
    FROM o
), g AS (
    SELECT *, sum(ng) OVER (PARTITION BY mn, pollutant, period ORDER BY start
                            ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS grp
    FROM f
)
SELECT mn, pollutant, period, min(start) AS start, max("end") AS "end", max(x) AS peak,
       arg_max(lim, x / lim) AS lim, max(x / lim) AS multiple, arg_max(permit_no, x) AS permit_no
FROM g GROUP BY mn, pollutant, period, grp
"""

# The ids an UPDATE changes are selected before it, and the UPDATE has no RETURNING: DuckDB
# fails an ``UPDATE ... RETURNING`` of a row an open reader still sees in an older version
# (a write-write conflict; supervision/findings.py).
_MEETS = """a.mn = f.mn AND a.pollutant = f.pollutant AND a.period = f.period
  AND a.start <= f."end" AND a."end" >= f.start"""

_WIDENED = f"SELECT DISTINCT a.id FROM exceedance a JOIN _xevents f ON {_MEETS}"

_WIDEN = f"""
UPDATE exceedance AS a SET start = least(a.start, f.start), "end" = greatest(a."end", f."end"),
       peak = greatest(a.peak, f.peak),
       "limit" = CASE WHEN f.multiple > a.multiple THEN f.lim ELSE a."limit" END,
       multiple = greatest(a.multiple, f.multiple),
       open = CASE WHEN f."end" >= a."end" THEN true ELSE a.open END, updated_at = now()
FROM _xevents f
WHERE {_MEETS}
"""

_INSERT = """
INSERT INTO exceedance (mn, source_code, outlet_code, pollutant, period, start, "end", peak,
                        "limit", multiple, permit_no, open, found_at, updated_at)
SELECT f.mn, mp.source_code, mp.outlet_code, f.pollutant, f.period, f.start, f."end", f.peak,
       f.lim, f.multiple, f.permit_no, true, now(), now()
FROM _xevents f LEFT JOIN monitor_point mp ON mp.mn = f.mn
WHERE NOT EXISTS (SELECT 1 FROM exceedance a WHERE a.mn = f.mn AND a.pollutant = f.pollutant
                  AND a.period = f.period AND a.start <= f."end" AND a."end" >= f.start)
RETURNING id
"""

# A judged period under the limit closes every open event of its series that ended before it.
_CLOSING = """
CREATE OR REPLACE TEMP TABLE _xclose AS
SELECT DISTINCT a.id FROM exceedance a
JOIN (SELECT mn, pollutant, period, max(start) AS start FROM _xperiods WHERE x <= lim
      GROUP BY mn, pollutant, period) u
  ON a.open AND a.mn = u.mn AND a.pollutant = u.pollutant AND a.period = u.period
 AND a."end" <= u.start
"""

_CLOSE = """
UPDATE exceedance SET open = false, updated_at = now() WHERE id IN (SELECT id FROM _xclose)
"""


def judge_exceedance(
    con: duckdb.DuckDBPyConnection, device_hours: pa.Table, touched: list[int] | None = None
) -> int:
    """Judge the completed ``(mn, hour)`` pairs (and the days they complete) against the
    permit limits; store the events. Returns the number of over-limit periods found;
    ``touched``, when given, is extended with the ids of the events inserted or changed."""
    if device_hours.num_rows == 0:
        return 0
    con.register("_xevalh_src", device_hours)
    try:
        con.execute("CREATE OR REPLACE TEMP TABLE _xevalh AS SELECT mn, hour FROM _xevalh_src")
        con.execute(_PERIODS)
        over = con.execute("SELECT count(*) FROM _xperiods WHERE x > lim").fetchall()[0][0]
        con.execute(_EVENTS)
        ids = retried_write(con, lambda: _store(con))
        if touched is not None:
            touched.extend(ids)
    finally:
        con.unregister("_xevalh_src")
        for t in ("_xevalh", "_xperiods", "_xevents", "_xclose"):
            con.execute(f"DROP TABLE IF EXISTS {t}")
    return int(over)


def _store(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Widen, insert and close the events of ``_xevents`` / ``_xperiods``; the ids touched."""
    ids = con.execute(_WIDENED).fetchall()
    con.execute(_WIDEN)
    ids += con.execute(_INSERT).fetchall()
    con.execute(_CLOSING)
    ids += con.execute("SELECT id FROM _xclose").fetchall()
    con.execute(_CLOSE)
    return [int(i) for (i,) in ids]
