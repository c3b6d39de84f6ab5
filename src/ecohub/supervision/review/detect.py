"""The review rules as SQL: one statement per rule over the hourly observations, thresholds
joined in from the rules table (:mod:`ecohub.supervision.review.rules`), no per-row Python.

:func:`detect` expects two temporary relations prepared by the service:

- ``_rv_obs``: the *valid* hourly values of the six pollutants (``station_id, parameter,
  period, time, value, unit, city, h``; ``h`` = whole hours since the epoch) for every
  station in the time window widened by :func:`margin_hours` on each side, so runs and
  neighbours at the edges are whole and the city median sees every station of the city.
  Valid is the assessment's test (``air_input.valid_flag_sql``: HJ 212 flag N or none): a
  value flagged C, M, D, ... is invalid already, is not judged and judges nothing; to every
  rule it is a missing hour;
- ``_rv_rules``: ``rule, parameter, threshold, threshold2``.

It returns the flags (``station_id, parameter, period, time, value, rule, reason``) of values
inside ``[lo, hi]``; which stations are kept is the caller's filter.
"""

from __future__ import annotations

from datetime import datetime

from ecohub.analytics.air_input import valid_flag_sql
from ecohub.supervision.review.rules import load_review_rules

__all__ = ["FLAG_COLUMNS", "RULE_SQL", "detect", "margin_hours"]

FLAG_COLUMNS = ["station_id", "parameter", "period", "time", "value", "rule", "reason"]

_OUT = "o.station_id, o.parameter, o.period, o.time, o.value"


def _join(rule: str) -> str:
    return f"JOIN _rv_rules r ON r.rule = '{rule}' AND r.parameter = o.parameter"


# Each statement selects FLAG_COLUMNS; reasons say what was seen, with the threshold.
RULE_SQL: dict[str, str] = {
    "negative": f"""
        SELECT {_OUT}, 'negative' AS rule,
               format('negative value {{}} {{}}', o.value, o.unit) AS reason
        FROM _rv_obs o {_join("negative")} WHERE o.value < r.threshold""",
    "range": f"""
        SELECT {_OUT}, 'range',
               format('{{}} {{}} is above the instrument range (top {{}} {{}})',
                      o.value, o.unit, r.threshold, o.unit)
        FROM _rv_obs o {_join("range")} WHERE o.value > r.threshold""",
    # The station's highest valid value over its whole stored record, reached again and
    # again, at a level that can be an analyser's full scale (threshold: the lowest such
    # level, see the CSV): the instrument's ceiling, not the air.
    "ceiling": f"""
        WITH mx AS (
            SELECT station_id, parameter, max(value) AS m FROM observation_all
            WHERE period = '1h' AND station_id IN (SELECT DISTINCT station_id FROM _rv_obs)
              AND parameter IN (SELECT DISTINCT parameter FROM _rv_rules WHERE rule = 'ceiling')
              AND {valid_flag_sql("flag")}
            GROUP BY ALL),
        hits AS (
            SELECT x.station_id, x.parameter, any_value(mx.m) AS m, count(*) AS n
            FROM observation_all x JOIN mx USING (station_id, parameter)
            WHERE x.period = '1h' AND x.value = mx.m AND {valid_flag_sql("x.flag")}
            GROUP BY ALL)
        SELECT {_OUT}, 'ceiling',
               format('{{}} {{}} is the station''s highest value and occurs {{}} times: '
                      'readings clipped at the instrument ceiling', o.value, o.unit, hits.n)
        FROM _rv_obs o {_join("ceiling")}
        JOIN hits ON hits.station_id = o.station_id AND hits.parameter = o.parameter
        WHERE o.value = hits.m AND hits.m >= r.threshold AND hits.n >= r.threshold2""",
    # Gaps and islands: consecutive hours (h) with one value share h - row_number().
    "constant": f"""
        WITH g AS (
            SELECT *, h - row_number() OVER (
                PARTITION BY station_id, parameter, value ORDER BY h) AS grp
            FROM _rv_obs WHERE value IS NOT NULL),
        runs AS (
            SELECT *, count(*) OVER w AS run, min(time) OVER w AS t0, max(time) OVER w AS t1
            FROM g WINDOW w AS (PARTITION BY station_id, parameter, value, grp))
        SELECT {_OUT}, 'constant',
               format('same value {{}} {{}} for {{}} consecutive hours ({{}} to {{}})',
                      o.value, o.unit, o.run, strftime(o.t0 AT TIME ZONE 'Asia/Shanghai',
                      '%Y-%m-%d %H:00'), strftime(o.t1 AT TIME ZONE 'Asia/Shanghai',
                      '%Y-%m-%d %H:00'))
        FROM runs o {_join("constant")}
        WHERE o.run >= r.threshold AND (r.threshold2 IS NULL OR o.value > r.threshold2)""",
    "spike": f"""
        WITH n AS (
            SELECT *, lag(value) OVER w AS pv, lag(h) OVER w AS ph,
                      lead(value) OVER w AS nv, lead(h) OVER w AS nh
            FROM _rv_obs WHERE value IS NOT NULL
            WINDOW w AS (PARTITION BY station_id, parameter ORDER BY h))
        SELECT {_OUT}, 'spike',
               format('{{}} {{}} against {{}} the hour before and {{}} the hour after',
                      o.value, o.unit, o.pv, o.nv)
        FROM n o {_join("spike")}
        WHERE o.ph = o.h - 1 AND o.nh = o.h + 1
          AND o.value >= r.threshold * greatest(o.pv, o.nv)
          AND o.value - greatest(o.pv, o.nv) >= r.threshold2""",
    # The median of the city's stations that hour (the value itself included: with at least
    # four stations the median is still the city's level, not the spike). Only a single hour
    # out of line counts: a plume or haze front passing one station lasts several hours.
    "city_spike": f"""
        WITH c AS (
            SELECT o.*, median(o.value) OVER w AS med, count(o.value) OVER w AS n,
                   r.threshold, r.threshold2
            FROM _rv_obs o {_join("city_spike")}
            WHERE o.city IS NOT NULL AND o.value IS NOT NULL
            WINDOW w AS (PARTITION BY o.city, o.parameter, o.h)),
        hi AS (
            SELECT *, n >= 4 AND value >= threshold * med AND value - med >= threshold2 AS out
            FROM c),
        iso AS (
            SELECT *, lag(h) OVER s AS ph, lag(out) OVER s AS pout,
                      lead(h) OVER s AS nh, lead(out) OVER s AS nout
            FROM hi WINDOW s AS (PARTITION BY station_id, parameter ORDER BY h))
        SELECT {_OUT}, 'city_spike',
               format('{{}} {{}} against a median of {{}} over the {{}} stations of city {{}} '
                      'that hour', o.value, o.unit, o.med, o.n, o.city)
        FROM iso o
        WHERE o.out AND NOT coalesce(o.ph = o.h - 1 AND o.pout, FALSE)
          AND NOT coalesce(o.nh = o.h + 1 AND o.nout, FALSE)""",
    # Both values are flagged: which monitor is wrong is the operator's call.
    "pm_inversion": """
        WITH pair AS (
            SELECT a.station_id, a.period, a.time, a.value AS pm25, b.value AS pm10
            FROM _rv_obs a
            JOIN _rv_obs b ON b.station_id = a.station_id AND b.period = a.period
                 AND b.time = a.time AND b.parameter = 'a34002'
            JOIN _rv_rules r ON r.rule = 'pm_inversion' AND r.parameter = 'a34004'
            WHERE a.parameter = 'a34004'
              AND a.value * (1 - r.threshold) - r.threshold2
                  > b.value * (1 + r.threshold) + r.threshold2),
        why AS (
            SELECT *, format('PM2.5 {} above PM10 {} µg/m³ beyond the monitors'' tolerance',
                             pm25, pm10) AS reason FROM pair)
        SELECT station_id, 'a34004', period, time, pm25, 'pm_inversion', reason FROM why
        UNION ALL
        SELECT station_id, 'a34002', period, time, pm10, 'pm_inversion', reason FROM why""",
    "co_unit": f"""
        SELECT {_OUT}, 'co_unit',
               format('CO {{}} {{}} is not a plausible mg/m³ value: probably {{}} mg/m³ '
                      'sent as µg/m³', o.value, o.unit, o.value / 1000)
        FROM _rv_obs o {_join("co_unit")} WHERE o.value > r.threshold""",
}


def margin_hours() -> int:
    """Hours read on each side of a window: the longest constant run a rule asks for, plus
    one hour for the spike neighbours."""
    runs = [r.threshold for r in load_review_rules() if r.rule == "constant"]
    return int(max(runs, default=0)) + 1


def detect(lo: datetime, hi: datetime, rules: list[str] | None = None) -> str:
    """SQL (a query text with ``lo``/``hi`` bound as literals) of every flag in ``[lo, hi]``
    from ``rules`` (default: all)."""
    chosen = [r for r in RULE_SQL if rules is None or r in rules]
    body = "\nUNION ALL\n".join(f"SELECT * FROM ({RULE_SQL[r]})" for r in chosen)
    return (
        f"SELECT * FROM ({body}) f(station_id, parameter, period, time, value, rule, reason) "
        f"WHERE f.time >= TIMESTAMPTZ '{lo.isoformat()}' "
        f"AND f.time <= TIMESTAMPTZ '{hi.isoformat()}'"
    )
