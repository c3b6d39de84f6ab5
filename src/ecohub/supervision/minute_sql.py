"""The minute-level rules as SQL: one row per judged minute value, saying whether it hits.

Each rule turns the minute values of a chunk (relation ``chunk``: `emission` columns, CN 2051)
into rows ``(mn, pollutant, rule, t, from_t, hit, v)``: ``t`` the value's time, ``from_t``
where a run starting at this row begins (the previous value's time for rules that compare two
values), ``v`` the number kept as evidence. Rows a rule does not judge (marked by the device,
or lacking what the rule needs) are absent: they neither extend nor break a run.

The same text runs on a day of history and on one committed batch of the HJ 212 writer; what
ties a chunk to the one before are the relations ``last`` (the previous unmarked value of every
series, with its time on the run clock ``te``) and ``clock`` (per series, the time its marked
values have covered so far), kept by :class:`ecohub.supervision.runs.RunState`. So a marked
stretch that spans chunks (an all-D hour, 4 h of D, in 47-minute writer batches) is bridged
exactly as it is inside one chunk: the stream and a batch run find the same runs.

A value stored below the detection limit (``…L``, ``below_detection``) is an upper bound, not a
measurement (docs/standards.md): ``constant`` takes no pair with such a value as "unchanged".
"""

from __future__ import annotations

from ecohub.supervision.rules import Rule, marked_sql

__all__ = ["CN_MINUTE", "FLOW", "O2", "RAW_SQL", "hit_rows_sql"]

CN_MINUTE = "2051"  # HJ 212-2017 minute data
O2 = "a19001"
FLOW = "a00000"


def _in(codes: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"'{c}'" for c in codes) + ")"


def _num(x: float | None) -> str:
    return "NULL" if x is None else repr(float(x))


_MARKED = marked_sql()

#: A marked value covers the time since the value before it (marks neither start nor break a
#: run: the time is taken out of the gap between the unmarked values around it), unless that
#: time is longer than this: a silence before a mark is a real gap.
MARK_COVER_S = 120

# `RAW_SQL`: every minute value of the chunk with `te`, its time on the run clock: its epoch
# less the time covered by marked values of its series so far (`clock.off` from the chunks
# before, plus this chunk's), the clock the runs' gaps are measured on. RunState materialises it
# as `raw_t` (the rules read it, and it advances `last` and `clock`). Shared relations of the
# rules: `ctx` the O2 and flow of each device-minute; `ok` the unmarked values with the previous
# unmarked value of their series.
RAW_SQL = f"""
WITH raw0 AS (
    SELECT mn, pollutant, data_time AS t, coalesce(avg, rtd) AS v,
           coalesce(zs_avg, zs_rtd) AS zs, cou, coalesce(flag, 'N') AS flag,
           {_MARKED} AS marked, coalesce(below_detection, false) AS bdl
    FROM chunk WHERE cn = '{CN_MINUTE}'
),
raw1 AS (
    SELECT raw0.*, coalesce(clock.off, 0) AS off0,
           epoch(raw0.t) - epoch(coalesce(lag(raw0.t) OVER (PARTITION BY raw0.mn, raw0.pollutant
                                                           ORDER BY raw0.t), dl.t)) AS since
    FROM raw0 LEFT JOIN last dl ON dl.mn = raw0.mn AND dl.pollutant = '*'
    LEFT JOIN clock ON clock.mn = raw0.mn AND clock.pollutant = raw0.pollutant
)
SELECT * EXCLUDE (since, off0),
       epoch(t) - off0
           - sum(CASE WHEN marked AND since <= {MARK_COVER_S} THEN since ELSE 0 END)
               OVER (PARTITION BY mn, pollutant ORDER BY t
                     ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS te
FROM raw1
"""

_BASE = f"""
raw AS (SELECT * FROM raw_t),
ctx AS (
    SELECT mn, t,
           max(v) FILTER (WHERE pollutant = '{O2}' AND NOT marked) AS o2,
           max(v) FILTER (WHERE pollutant = '{O2}') AS o2_any,
           max(v) FILTER (WHERE pollutant = '{FLOW}' AND NOT marked) AS flow,
           max(cou) FILTER (WHERE pollutant = '{FLOW}' AND NOT marked) AS flow_cou,
           bool_or(flag = 'F') AS stopped
    FROM raw GROUP BY mn, t
),
ok AS (
    SELECT raw.mn, raw.pollutant, raw.t, raw.v, raw.zs, raw.cou, ctx.o2, ctx.flow, ctx.flow_cou,
           coalesce(lag(raw.v) OVER w, last.v) AS prev_v,
           coalesce(lag(raw.t) OVER w, last.t) AS prev_t,
           raw.te, coalesce(lag(raw.te) OVER w, last.te) AS prev_te,
           raw.bdl, coalesce(lag(raw.bdl) OVER w, last.bdl) AS prev_bdl
    FROM raw JOIN ctx USING (mn, t)
    LEFT JOIN last ON last.mn = raw.mn AND last.pollutant = raw.pollutant
    WHERE NOT raw.marked
    WINDOW w AS (PARTITION BY raw.mn, raw.pollutant ORDER BY raw.t)
),
dev_t AS (
    SELECT mn, t FROM raw GROUP BY mn, t
)"""


def _zero_negative(r: Rule) -> str:
    return f"""SELECT mn, pollutant, '{r.rule}' AS rule, t, t AS from_t,
        v <= {_num(r.threshold)} AS hit, v, te
    FROM ok WHERE pollutant IN {_in(r.pollutants)}"""


def _constant(r: Rule) -> str:
    # Two consecutive values equal, close enough in time, while the plant runs (flow above 0,
    # or no flow reported). The run starts at the first of the equal values. A value below the
    # detection limit is no measured value: a pair with one is not "unchanged" (a clean stack
    # reads "below the limit" for hours; docs/supervision.md "Below the detection limit").
    return f"""SELECT mn, pollutant, '{r.rule}' AS rule, t, prev_t AS from_t,
        (abs(v - prev_v) <= {_num(r.threshold)} AND te - prev_te <= {r.gap_s}
         AND coalesce(flow, 1) > 0 AND NOT bdl AND NOT coalesce(prev_bdl, false)) AS hit, v, te
    FROM ok WHERE pollutant IN {_in(r.pollutants)} AND prev_t IS NOT NULL"""


def _o2_air(r: Rule) -> str:
    return f"""SELECT mn, pollutant, '{r.rule}' AS rule, t, t AS from_t,
        (o2 >= {_num(r.threshold)} AND v > {_num(r.threshold_2 or 0)}) AS hit, o2 AS v, te
    FROM ok WHERE pollutant IN {_in(r.pollutants)} AND o2 IS NOT NULL"""


def _zs_mismatch(r: Rule) -> str:
    # Deviation of the reported converted value from C' x (21 - ref) / (21 - O2): against the
    # permit's reference O2 when known, else the smallest over the candidate references.
    refs = "[" + ", ".join(repr(x) for x in r.param_floats("refs")) + "]"
    dev = "abs(zs * (21 - o2) / (v * (21 - {ref})) - 1)"
    return f"""SELECT ok.mn, ok.pollutant, '{r.rule}' AS rule, t, t AS from_t,
        dev > {_num(r.threshold)} AS hit, dev AS v, te
    FROM (SELECT ok.*, CASE WHEN ref.reference_o2 IS NOT NULL
                 THEN {dev.format(ref="ref.reference_o2")}
                 ELSE list_min(list_transform({refs}, x -> {dev.format(ref="x")})) END AS dev
          FROM ok LEFT JOIN ref_o2 ref ON ref.mn = ok.mn AND ref.pollutant = ok.pollutant
          WHERE ok.pollutant IN {_in(r.pollutants)} AND zs IS NOT NULL AND o2 IS NOT NULL
            AND o2 < 21 AND v >= {_num(r.threshold_2 or 0)}) ok"""


def _rate_mismatch(r: Rule) -> str:
    # HJ 75: amount (kg) = C (mg/m3) x volume (m3) x 1e-6, both from the same minute.
    expected = "(v * flow_cou * 1e-6)"
    return f"""SELECT mn, pollutant, '{r.rule}' AS rule, t, t AS from_t,
        abs(cou - {expected}) > {_num(r.threshold)} * {expected} AS hit,
        abs(cou - {expected}) / {expected} AS v, te
    FROM ok WHERE pollutant IN {_in(r.pollutants)} AND cou IS NOT NULL AND flow_cou IS NOT NULL
      AND {expected} >= {_num(r.threshold_2 or 0)}"""


def _shutdown_data(r: Rule) -> str:
    # Marked rows count here: a stop mark (F) or a declared shutdown is what is being checked.
    return f"""SELECT raw.mn, raw.pollutant, '{r.rule}' AS rule, raw.t, raw.t AS from_t,
        (raw.v > {_num(r.threshold_2 or 0)} AND coalesce(ctx.o2_any, 21) < {_num(r.threshold)})
            AS hit, raw.v, epoch(raw.t) AS te
    FROM raw JOIN ctx USING (mn, t)
    WHERE raw.pollutant IN {_in(r.pollutants)} AND raw.v IS NOT NULL
      AND (ctx.stopped OR EXISTS (SELECT 1 FROM sd WHERE sd.mn = raw.mn
                                  AND raw.t >= sd.start AND raw.t < sd."end"))"""


def _silent(r: Rule) -> str:
    # A device-minute whose previous packet is further back than the allowed silence.
    return f"""SELECT mn, '*' AS pollutant, '{r.rule}' AS rule, t, prev_t AS from_t,
        epoch(t) - epoch(prev_t) > greatest({_num(r.threshold)} * coalesce(dev.interval_s, 60),
                                            {_num(r.threshold_2 or 0)}) AS hit,
        epoch(t) - epoch(prev_t) AS v, epoch(t) AS te
    FROM (SELECT d.mn, d.t,
                 coalesce(lag(d.t) OVER (PARTITION BY d.mn ORDER BY d.t), last.t) AS prev_t
          FROM dev_t d LEFT JOIN last ON last.mn = d.mn AND last.pollutant = '*') s
    LEFT JOIN dev USING (mn)
    WHERE prev_t IS NOT NULL"""


#: Rule id -> its SQL. A minute-level rule in the CSV without an entry here is an error.
MINUTE_RULES = {
    "zero_negative": _zero_negative,
    "constant": _constant,
    "o2_air": _o2_air,
    "zs_mismatch": _zs_mismatch,
    "rate_mismatch": _rate_mismatch,
    "shutdown_data": _shutdown_data,
    "silent": _silent,
}


def hit_rows_sql(rules: list[Rule]) -> str:
    """``WITH`` clauses ending in ``u``: the judged rows of every rule in ``rules``, read from
    ``raw_t`` (the chunk's rows as :data:`RAW_SQL` gives them)."""
    parts = []
    for r in rules:
        build = MINUTE_RULES.get(r.rule)
        if build is None:
            raise ValueError(f"{r.rule}: minute-level rule without a detector")
        parts.append(build(r))
    union = "\nUNION ALL\n".join(parts)
    return f"WITH {_BASE},\nu AS (\n{union}\n)"
