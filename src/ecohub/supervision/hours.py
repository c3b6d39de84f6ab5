"""Hour, day and window rules, judged on hourly aggregates of the minute data.

`anomaly_hour` holds one row per device, pollutant and hour (counts, mean, min, max of the
unmarked minute values). :func:`aggregate_hours` fills it for a period or for the device-hours
that have just completed; :func:`judge_hours` runs every hour-level rule for a set of completed
device-hours (relation ``_evalh(mn, hour)``): a day rule is judged when the day's last hour is
in the set, a window rule at each day end over the window before it, an hour rule on the hour.
Batch and stream call the same two functions; only the set differs.

The rules that judge a flat signal (drop_flat, flat_halfmonth, narrow_range) take an hour only
when it has the valid number of *measured* minute values: ``n - n_bdl``, the unmarked values
less those stored below the detection limit (an upper bound, not a measurement: a clean stack
reads "below the limit" for hours; docs/supervision.md).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import duckdb
import pyarrow as pa

from ecohub.supervision.minute_sql import CN_MINUTE
from ecohub.supervision.rules import Rule, marked_sql
from ecohub.supervision.runs import FINDING_SCHEMA

__all__ = ["aggregate_hours", "judge_hours"]

_MARKED = marked_sql()

_AGGREGATE = f"""
INSERT OR REPLACE INTO anomaly_hour
SELECT mn, pollutant, date_trunc('hour', data_time) AS hour,
       count(*) FILTER (WHERE NOT marked)::INTEGER AS n,
       count(*)::INTEGER AS n_all,
       avg(v) FILTER (WHERE NOT marked) AS mean,
       min(v) FILTER (WHERE NOT marked) AS vmin,
       max(v) FILTER (WHERE NOT marked) AS vmax,
       avg(zs) FILTER (WHERE NOT marked) AS zs_mean,
       count(*) FILTER (WHERE NOT marked AND bdl)::INTEGER AS n_bdl
FROM (
    SELECT mn, pollutant, data_time, coalesce(avg, rtd) AS v, coalesce(zs_avg, zs_rtd) AS zs,
           {_MARKED} AS marked, coalesce(below_detection, false) AS bdl
    FROM {{table}} e
    WHERE cn = '{CN_MINUTE}' AND data_time >= ? AND data_time < ? {{only}}
) GROUP BY ALL
"""


def aggregate_hours(
    con: duckdb.DuckDBPyConnection,
    frm: datetime,
    to: datetime,
    device_hours: pa.Table | None = None,
    scope: tuple[str, list[Any]] = ("TRUE", []),
) -> None:
    """(Re)build `anomaly_hour` from minute data in [frm, to), for every device or only for the
    ``(mn, hour)`` pairs of ``device_hours``; ``scope``: a predicate (and its parameters) on
    ``mn`` limiting a whole period's devices (``service.device_scope``).

    A whole period reads `emission_all` (hot store and lake: batch detection over history); the
    stream's just-committed hours read the hot table only (they cannot have settled yet)."""
    if device_hours is None:
        pred, args = scope
        con.execute(_AGGREGATE.format(only=f"AND {pred}", table="emission_all"), [frm, to, *args])
        return
    con.register("_agg_hours", device_hours)
    try:
        con.execute(
            _AGGREGATE.format(
                only="AND EXISTS (SELECT 1 FROM _agg_hours a WHERE a.mn = e.mn "
                "AND a.hour = date_trunc('hour', e.data_time))",
                table="emission",
            ),
            [frm, to],
        )
    finally:
        con.unregister("_agg_hours")


def _in(codes: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"'{c}'" for c in codes) + ")"


def _f(x: float | None) -> str:
    return "NULL" if x is None else repr(float(x))


def _missing_minutes(r: Rule, valid: float) -> str:
    return f"""
    SELECT mn, '*' AS pollutant, '{r.rule}' AS rule, hour AS start,
           hour + INTERVAL 1 HOUR AS "end",
           json_object('minutes', m, 'threshold', {_f(r.threshold)})::VARCHAR AS evidence
    FROM (SELECT h.mn, h.hour, max(h.n_all) AS m FROM anomaly_hour h
          JOIN _evalh e ON e.mn = h.mn AND e.hour = h.hour GROUP BY h.mn, h.hour)
    WHERE m < {_f(r.threshold)}"""


# Days whose last hour is among the completed ones.
_DAYS = """(SELECT DISTINCT mn, date_trunc('day', hour) AS d FROM _evalh
            WHERE hour = date_trunc('day', hour) + INTERVAL 23 HOUR)"""


def _flat_halfmonth(r: Rule, valid: float) -> str:
    return f"""
    SELECT w.mn, h.pollutant, '{r.rule}' AS rule, min(h.hour) AS start,
           max(h.hour) + INTERVAL 1 HOUR AS "end",
           json_object('hours', count(*), 'min', min(h.mean), 'max', max(h.mean),
                       'mean', avg(h.mean),
                       'range_ratio', (max(h.mean) - min(h.mean)) / avg(h.mean),
                       'threshold', {_f(r.threshold)})::VARCHAR AS evidence
    FROM {_DAYS} w JOIN anomaly_hour h ON h.mn = w.mn
         AND h.hour >= w.d + INTERVAL 1 DAY - INTERVAL {r.duration_s} SECOND
         AND h.hour < w.d + INTERVAL 1 DAY
    WHERE h.pollutant IN {_in(r.pollutants)} AND h.n - h.n_bdl >= {_f(valid)}
    GROUP BY w.mn, h.pollutant, w.d
    HAVING count(*) >= {_f(r.threshold_2)} AND avg(h.mean) > 0
       AND max(h.mean) - min(h.mean) < {_f(r.threshold)} * avg(h.mean)"""


def _narrow_range(r: Rule, valid: float) -> str:
    defaults = ", ".join(f"('{k}', {float(v)!r})" for k, v in r.params.items()) or "(NULL, NULL)"
    return f"""
    SELECT w.mn, h.pollutant, '{r.rule}' AS rule, min(h.hour) AS start,
           max(h.hour) + INTERVAL 1 HOUR AS "end",
           json_object('hours', count(*), 'min', min(h.mean), 'max', max(h.mean),
                       'instrument_range', any_value(coalesce(s.instrument_range, dr.rng)),
                       'threshold', {_f(r.threshold)})::VARCHAR AS evidence
    FROM {_DAYS} w JOIN anomaly_hour h ON h.mn = w.mn
         AND h.hour >= w.d + INTERVAL 1 DAY - INTERVAL {r.duration_s} SECOND
         AND h.hour < w.d + INTERVAL 1 DAY
    LEFT JOIN anomaly_setting s ON s.mn = h.mn AND s.pollutant = h.pollutant
    LEFT JOIN (VALUES {defaults}) dr(pollutant, rng) ON dr.pollutant = h.pollutant
    WHERE h.pollutant IN {_in(r.pollutants)} AND h.n - h.n_bdl >= {_f(valid)}
      AND coalesce(s.instrument_range, dr.rng) > 0
    GROUP BY w.mn, h.pollutant, w.d
    HAVING count(*) >= {_f(r.threshold_2)}
       AND max(h.mean) - min(h.mean)
           < {_f(r.threshold)} * any_value(coalesce(s.instrument_range, dr.rng))"""


def _held_under_limit(r: Rule, valid: float) -> str:
    # The limit in force on the day; a device without one is not judged (no invented limits).
    # Judged on the converted hourly means as the exceedances are (exceedance.converted_sql:
    # ZsAvg, else the mean converted with the hour's O2 and the permit's reference O2).
    from ecohub.supervision.exceedance import converted_sql, o2_join

    cx = f"({converted_sql()})"
    return f"""
    SELECT mn, pollutant, '{r.rule}' AS rule, d AS start, d + INTERVAL 1 DAY AS "end",
           json_object('hours', count(*), 'hours_near_limit', count(*) FILTER (WHERE near),
                       'limit', any_value(lim), 'mean', avg(x),
                       'threshold', {_f(r.threshold)},
                       'threshold_2', {_f(r.threshold_2)})::VARCHAR AS evidence
    FROM (
        SELECT w.mn, h.pollutant, w.d, {cx} AS x, l.lim,
               {cx} >= {_f(r.threshold)} * l.lim AND {cx} < l.lim AS near
        FROM {_DAYS} w JOIN anomaly_hour h ON h.mn = w.mn
             AND h.hour >= w.d AND h.hour < w.d + INTERVAL 1 DAY
        JOIN (SELECT mp.mn, pl.pollutant, pl."limit" AS lim, pl.valid_from, pl.valid_to,
                     pl.reference_o2, p.valid_from AS p_from, p.valid_to AS p_to
              FROM permit_limit pl JOIN permit p USING (permit_no)
              JOIN monitor_point mp ON mp.source_code = p.source_code
                   AND mp.outlet_code = pl.outlet_code
              WHERE pl."limit" > 0) l ON l.mn = h.mn AND l.pollutant = h.pollutant
             AND (l.valid_from IS NULL OR l.valid_from <= w.d::DATE)
             AND (l.valid_to IS NULL OR l.valid_to >= w.d::DATE)
             AND (l.p_from IS NULL OR l.p_from <= w.d::DATE)
             AND (l.p_to IS NULL OR l.p_to >= w.d::DATE)
        {o2_join()}
        WHERE h.pollutant IN {_in(r.pollutants)} AND h.n >= {_f(valid)} AND {cx} IS NOT NULL
    )
    GROUP BY mn, pollutant, d
    HAVING count(*) >= 20
       AND count(*) FILTER (WHERE near) >= {_f(r.threshold_2)} * count(*)"""


def _drop_flat(r: Rule, valid: float) -> str:
    # Candidate hour h: its mean is at most threshold x the mean of the 3 hours before, and
    # h .. h+2 stay within threshold_2 of their mean. Judged when h+2 has completed.
    k = max(1, r.duration_s // 3600)
    before = " + ".join(f"lag(mean, {i}) OVER w" for i in (1, 2, 3))
    after_max = ", ".join(["vmax"] + [f"lead(vmax, {i}) OVER w" for i in range(1, k)])
    after_min = ", ".join(["vmin"] + [f"lead(vmin, {i}) OVER w" for i in range(1, k)])
    after_mean = " + ".join(["mean"] + [f"lead(mean, {i}) OVER w" for i in range(1, k)])
    return f"""
    SELECT mn, pollutant, '{r.rule}' AS rule, hour AS start,
           hour + INTERVAL {k} HOUR AS "end",
           json_object('before', before, 'after', after, 'spread', spread,
                       'threshold', {_f(r.threshold)}, 'threshold_2', {_f(r.threshold_2)}
                       )::VARCHAR AS evidence
    FROM (
        SELECT mn, pollutant, hour,
               lag(hour, 3) OVER w = hour - INTERVAL 3 HOUR
               AND lead(hour, {k - 1}) OVER w = hour + INTERVAL {k - 1} HOUR AS complete,
               ({before}) / 3 AS before,
               ({after_mean}) / {k} AS after,
               greatest({after_max}) - least({after_min}) AS spread,
               mean
        FROM anomaly_hour h
        WHERE pollutant IN {_in(r.pollutants)} AND n - n_bdl >= {_f(valid)}
          AND mn IN (SELECT mn FROM _evalh)
          AND hour >= (SELECT min(hour) FROM _evalh) - INTERVAL {k + 3} HOUR
          AND hour <= (SELECT max(hour) FROM _evalh)
        WINDOW w AS (PARTITION BY mn, pollutant ORDER BY hour)
    ) c
    WHERE complete AND mean <= {_f(r.threshold)} * before AND before > 0
      AND spread <= {_f(r.threshold_2)} * after
      AND EXISTS (SELECT 1 FROM _evalh e WHERE e.mn = c.mn
                  AND e.hour = c.hour + INTERVAL {k - 1} HOUR)"""


HOUR_RULES = {
    "missing_minutes": _missing_minutes,
    "flat_halfmonth": _flat_halfmonth,
    "narrow_range": _narrow_range,
    "held_under_limit": _held_under_limit,
    "drop_flat": _drop_flat,
}


def judge_hours(
    con: duckdb.DuckDBPyConnection, rules: list[Rule], device_hours: pa.Table
) -> pa.Table:
    """Findings (FINDING_SCHEMA) of the hour, day and window rules for the completed
    ``(mn, hour)`` pairs of ``device_hours``."""
    chosen = [r for r in rules if r.level != "minute"]
    if not chosen or device_hours.num_rows == 0:
        return FINDING_SCHEMA.empty_table()
    valid = next((r.threshold for r in rules if r.rule == "missing_minutes"), 45.0)
    parts = []
    for r in chosen:
        build = HOUR_RULES.get(r.rule)
        if build is None:
            raise ValueError(f"{r.rule}: {r.level}-level rule without a detector")
        parts.append(f"SELECT *, '{r.severity}' AS severity FROM ({build(r, valid)})")
    con.register("_evalh_src", device_hours)
    try:
        con.execute("CREATE OR REPLACE TEMP TABLE _evalh AS SELECT mn, hour FROM _evalh_src")
        found = con.execute("\nUNION ALL\n".join(parts)).fetch_arrow_table()
    finally:
        con.unregister("_evalh_src")
        con.execute("DROP TABLE IF EXISTS _evalh")
    return found.cast(FINDING_SCHEMA)
