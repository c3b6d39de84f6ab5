"""Service functions of online-monitoring anomaly detection: batch detection and the findings.

Both return plain data. ``anomalies`` reads under the caller's scope (``ecohub.access``):
enterprise users see their own sources, regional users their region's sources.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import duckdb
import pyarrow as pa

from ecohub.access import Principal, region_sql, source_sql
from ecohub.cst import CST
from ecohub.store.lake_where import months_sql, partition_where
from ecohub.supervision.exceedance import judge_exceedance
from ecohub.supervision.hours import aggregate_hours, judge_hours
from ecohub.supervision.minute_sql import CN_MINUTE
from ecohub.supervision.rules import Rule, RuleError, load_rules, marked_sql, rule
from ecohub.supervision.runs import RunState

__all__ = [
    "check_period",
    "detect",
    "detect_request",
    "judged_until",
    "select_rules",
]

_MARKED = marked_sql()
# How far before `frm` batch detection looks for the last value of each series (for rules
# comparing a value with the one before) and the device's last packet (for silence).
SEED_LOOKBACK = timedelta(days=1)
_CHUNK = timedelta(days=1)

_CHUNK_SQL = f"""
SELECT mn, cn, data_time, pollutant, rtd, avg, min, max, cou, zs_rtd, zs_avg, flag,
       below_detection
FROM emission_all WHERE cn = '{CN_MINUTE}' AND data_time >= ? AND data_time < ?
  AND {months_sql()}
"""


def _window(start: datetime, end: datetime) -> list[Any]:
    """Parameters of ``data_time >= ? AND data_time < ?`` and of the lake months it spans
    (the same rows; the other months' files are not opened: store.lake_where.partition_where)."""
    _, months = partition_where("emission", start=start, end=end)
    return [start, end, *months]


def select_rules(names: list[str] | None = None) -> list[Rule]:
    """The rules named (all when ``None``); an unknown name raises ``RuleError``."""
    if not names:
        return list(load_rules().values())
    return [rule(n) for n in names]


def detect_request(
    frm: str, to: str, rules: list[str] | None = None
) -> tuple[datetime, datetime, list[Rule]]:
    """The period and rules of a detection request (API body, job parameters), checked before
    any work is queued: :class:`QueryError` naming ``from``, ``to`` or ``rules``."""
    from ecohub.queries import QueryError
    from ecohub.supervision.period import bound

    start, end = bound("from", frm), bound("to", to, end=True)
    if start is None or end is None:
        raise QueryError("from" if start is None else "to", "is required")
    if start >= end:
        raise QueryError("from", f"{start.isoformat()} is not before to: {end.isoformat()}")
    try:
        chosen = select_rules(rules)
    except RuleError as exc:
        raise QueryError("rules", str(exc).removeprefix("rule: ")) from None
    return start, end, chosen


def judged_until(now: datetime | None = None) -> datetime:
    """The start of the current hour (CST): batch detection judges nothing at or after it, so
    the unfinished hour is not read as an hour with missing minutes (the stream judges it when
    it completes)."""
    t = (now or datetime.now(CST)).astimezone(CST)
    return t.replace(minute=0, second=0, microsecond=0)


def check_period(frm: datetime, to: datetime) -> None:
    """``ValueError`` naming from/to unless both carry a time zone and ``frm`` is before ``to``."""
    if frm.tzinfo is None or to.tzinfo is None:
        raise ValueError("from/to: give times with a time zone (data are in CST, UTC+8)")
    if frm >= to:
        raise ValueError(f"from: {frm.isoformat()} is not before to: {to.isoformat()}")


def device_scope(principal: Principal | None, column: str = "mn") -> tuple[str, list[Any]]:
    """A predicate on ``column`` (a device MN) limiting detection to the devices ``principal``
    may see: those of a source in its region (``region_sql`` on the source's region) and, for
    an enterprise, of its own sources (``source_sql``). Devices not linked to a source are
    nationwide only, as in the listings. ``("TRUE", [])`` for no principal or a nationwide one."""
    if principal is None:
        return "TRUE", []
    src_pred, src_args = source_sql(principal, "dmp.source_code")
    reg_pred, reg_args = region_sql(principal, "dsrc.region_code")
    if src_pred == "TRUE" and reg_pred == "TRUE":
        return "TRUE", []
    return (
        f"{column} IN (SELECT dmp.mn FROM monitor_point dmp JOIN source dsrc "
        f"ON dsrc.source_code = dmp.source_code WHERE {src_pred} AND {reg_pred})",
        [*src_args, *reg_args],
    )


def detect(
    con: duckdb.DuckDBPyConnection,
    frm: datetime,
    to: datetime,
    rules: list[Rule] | None = None,
    principal: Principal | None = None,
) -> dict[str, Any]:
    """Run every rule over the minute data of [frm, to) and store the findings.

    Idempotent: a second run over the same period finds the same runs and adds nothing; a run
    that continues past an earlier finding widens it. Only complete hours are judged: ``to`` is
    cut at the start of the current hour (CST; :func:`judged_until`). With ``principal``, only
    the devices it may see are judged (:func:`device_scope`, a predicate in every query), and
    only the findings, events and alerts of those devices are written.

    A batch run gives the settled answer for its period: the undecided findings (``status``
    new) of the rules it ran, on its devices, lying wholly inside the judged period, that it no
    longer finds (late data, 补发, completed an hour; a corrected value) are withdrawn, and their
    alerts closed when still open and unacknowledged (:func:`ecohub.supervision.withdraw.withdraw`).

    Returns the values judged, per rule the findings that now overlap the period, the findings
    withdrawn and the alerts opened / updated / closed.
    """
    check_period(frm, to)
    chosen = rules if rules is not None else select_rules()
    asked_to = to
    to = min(to, judged_until())
    zero = {"opened": 0, "updated": 0, "queued": 0}
    if frm >= to:  # all of the period is in the current hour or later: nothing complete yet
        return {"from": frm.isoformat(), "to": asked_to.isoformat(), "judged_until":
                to.isoformat(), "values_judged": 0, "findings": {}, "over_limit_periods": 0,
                "withdrawn": 0, "alerts": zero, "alerts_closed": 0}  # fmt: skip
    scoped = device_scope(principal)
    pred, pargs = scoped
    state = RunState(chosen)
    judged = 0
    found: list[pa.Table] = []
    touched: list[int] = []
    try:
        state.load_facts(con)
        seed = con.execute(
            _seed_sql(pred),
            [*_window(frm - SEED_LOOKBACK, frm), *pargs, *_window(frm - SEED_LOOKBACK, frm),
             *pargs],
        ).fetch_arrow_table()  # fmt: skip
        state.seed_last(seed)
        start = frm
        while start < to:
            end = min(start + _CHUNK, to)
            chunk = con.execute(
                f"{_CHUNK_SQL} AND {pred}", [*_window(start, end), *pargs]
            ).fetch_arrow_table()
            judged += chunk.num_rows
            got = state.process(chunk)
            found.append(got)
            touched += _store(con, got)
            start = end
    finally:
        state.close()
    window = max((r.duration_s for r in chosen if r.level == "window"), default=0)
    aggregate_hours(con, frm - timedelta(seconds=window), to, scope=scoped)
    hours = con.execute(
        "SELECT DISTINCT mn, hour FROM anomaly_hour "
        f"WHERE hour >= ? AND hour + INTERVAL 1 HOUR <= ? AND {pred}",
        [frm, to, *pargs],
    ).fetch_arrow_table()
    got = judge_hours(con, chosen, hours)
    found.append(got)
    touched += _store(con, got)
    events: list[int] = []
    over = judge_exceedance(con, hours, events)
    from ecohub.supervision.withdraw import withdraw

    withdrawn, closed = withdraw(con, found, chosen, frm, to, principal)
    counts = con.execute(
        'SELECT rule, count(*) FROM anomaly WHERE "end" >= ? AND start < ? '
        f"AND {pred} GROUP BY rule ORDER BY rule",
        [frm, to, *pargs],
    ).fetchall()
    from ecohub.supervision.alerts.raising import raise_alerts

    # The same alerts as the stream raises (docs/supervision.md): a nationwide run takes every
    # new or changed row; a scoped one only the rows it wrote, so it touches no other alert.
    only = None if pred == "TRUE" else {"finding": touched, "exceedance": events}
    raised = raise_alerts(con, only=only)
    return {
        "from": frm.isoformat(),
        "to": asked_to.isoformat(),
        "judged_until": to.isoformat(),
        "values_judged": judged,
        "findings": {name: n for name, n in counts},
        "over_limit_periods": over,
        "withdrawn": withdrawn,
        "alerts": raised,
        "alerts_closed": closed,
    }


def _seed_sql(pred: str) -> str:
    return f"""
SELECT mn, pollutant, max(data_time) AS t, arg_max(coalesce(avg, rtd), data_time) AS v,
       arg_max(coalesce(below_detection, false), data_time) AS bdl
FROM emission_all
WHERE cn = '{CN_MINUTE}' AND data_time >= ? AND data_time < ?
  AND {months_sql()}
  AND NOT {_MARKED} AND {pred}
GROUP BY mn, pollutant
UNION ALL
SELECT mn, '*', max(data_time), NULL, NULL FROM emission_all
WHERE cn = '{CN_MINUTE}' AND data_time >= ? AND data_time < ?
  AND {months_sql()} AND {pred} GROUP BY mn
"""


def _store(con: duckdb.DuckDBPyConnection, found: pa.Table) -> list[int]:
    from ecohub.supervision.findings import store_findings

    return store_findings(con, found)
