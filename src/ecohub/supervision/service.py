"""Service functions of online-monitoring anomaly detection: batch detection and the findings.

Both return plain data. ``anomalies`` reads under the caller's scope (``ecohub.access``):
enterprise users see their own sources, regional users their region's sources.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import duckdb
import pyarrow as pa

from ecohub.access import Principal, region_sql, source_sql
from ecohub.queries.listing import Keyset, Window
from ecohub.store.lake_where import months_sql, partition_where
from ecohub.supervision.exceedance import judge_exceedance
from ecohub.supervision.hours import aggregate_hours, judge_hours
from ecohub.supervision.minute_sql import CN_MINUTE
from ecohub.supervision.rules import FLAGS_MARKED, Rule, load_rules, rule
from ecohub.supervision.runs import RunState

__all__ = ["COLUMNS", "EXCEEDANCE_COLUMNS", "anomalies", "detect", "exceedances", "select_rules"]

#: The columns of one finding as ``anomalies`` returns it.
COLUMNS = (
    "mn", "source_code", "outlet", "pollutant", "rule", "start", "end", "evidence", "severity",
    "status",
)  # fmt: skip

_MARKED = "(" + ", ".join(f"'{f}'" for f in FLAGS_MARKED) + ")"
# How far before `frm` batch detection looks for the last value of each series (for rules
# comparing a value with the one before) and the device's last packet (for silence).
SEED_LOOKBACK = timedelta(days=1)
_CHUNK = timedelta(days=1)

_CHUNK_SQL = f"""
SELECT mn, cn, data_time, pollutant, rtd, avg, min, max, cou, zs_rtd, zs_avg, flag
FROM emission_all WHERE cn = '{CN_MINUTE}' AND data_time >= ? AND data_time < ?
  AND {months_sql()}
"""
_SEED_SQL = f"""
SELECT mn, pollutant, max(data_time) AS t, arg_max(coalesce(avg, rtd), data_time) AS v
FROM emission_all
WHERE cn = '{CN_MINUTE}' AND data_time >= ? AND data_time < ?
  AND {months_sql()}
  AND coalesce(flag, 'N') NOT IN {_MARKED}
GROUP BY mn, pollutant
UNION ALL
SELECT mn, '*', max(data_time), NULL FROM emission_all
WHERE cn = '{CN_MINUTE}' AND data_time >= ? AND data_time < ?
  AND {months_sql()} GROUP BY mn
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


def _check_period(frm: datetime, to: datetime) -> None:
    if frm.tzinfo is None or to.tzinfo is None:
        raise ValueError("from/to: give times with a time zone (data are in CST, UTC+8)")
    if frm >= to:
        raise ValueError(f"from: {frm.isoformat()} is not before to: {to.isoformat()}")


def detect(
    con: duckdb.DuckDBPyConnection,
    frm: datetime,
    to: datetime,
    rules: list[Rule] | None = None,
) -> dict[str, Any]:
    """Run every rule over the minute data of [frm, to) and store the findings.

    Idempotent: a second run over the same period finds the same runs and adds nothing; a run
    that continues past an earlier finding widens it. Returns the values judged, per rule the
    findings that now overlap the period, and the alerts opened / updated from them.
    """
    _check_period(frm, to)
    chosen = rules if rules is not None else select_rules()
    state = RunState(chosen)
    judged = 0
    try:
        state.load_facts(con)
        seed = con.execute(
            _SEED_SQL, [*_window(frm - SEED_LOOKBACK, frm), *_window(frm - SEED_LOOKBACK, frm)]
        ).fetch_arrow_table()
        state.seed_last(seed)
        start = frm
        while start < to:
            end = min(start + _CHUNK, to)
            chunk = con.execute(_CHUNK_SQL, _window(start, end)).fetch_arrow_table()
            judged += chunk.num_rows
            _store(con, state.process(chunk))
            start = end
    finally:
        state.close()
    window = max((r.duration_s for r in chosen if r.level == "window"), default=0)
    aggregate_hours(con, frm - timedelta(seconds=window), to)
    hours = con.execute(
        "SELECT DISTINCT mn, hour FROM anomaly_hour "
        "WHERE hour >= ? AND hour + INTERVAL 1 HOUR <= ?",
        [frm, to],
    ).fetch_arrow_table()
    _store(con, judge_hours(con, chosen, hours))
    over = judge_exceedance(con, hours)
    counts = con.execute(
        'SELECT rule, count(*) FROM anomaly WHERE "end" >= ? AND start < ? '
        "GROUP BY rule ORDER BY rule",
        [frm, to],
    ).fetchall()
    from ecohub.supervision.alerts.raising import raise_alerts

    raised = raise_alerts(con)  # the same alerts as the stream raises (docs/supervision.md)
    return {
        "from": frm.isoformat(),
        "to": to.isoformat(),
        "values_judged": judged,
        "findings": {name: n for name, n in counts},
        "over_limit_periods": over,
        "alerts": raised,
    }


def _store(con: duckdb.DuckDBPyConnection, found: pa.Table) -> None:
    from ecohub.supervision.findings import store_findings

    store_findings(con, found)


def anomalies(
    con: duckdb.DuckDBPyConnection,
    principal: Principal,
    frm: datetime | None = None,
    to: datetime | None = None,
    mn: str | None = None,
    rule_name: str | None = None,
    pollutant: str | None = None,
    limit: int | None = None,
    page: Window | None = None,
) -> list[dict[str, Any]]:
    """Findings overlapping [frm, to) that ``principal`` may see, oldest first.

    With ``page`` (a :class:`ecohub.queries.listing.Window` keyed on :data:`ANOMALY_KEY`):
    only that page's rows, plus one when there is a next page (``page.cut_rows`` cuts it).

    One dict per finding with :data:`COLUMNS`; times are ISO 8601 with offset, ``evidence`` a
    dict. ``rule_name`` must be a known rule (``RuleError`` otherwise).
    """
    if rule_name is not None:
        rule(rule_name)
    if frm is not None and to is not None:
        _check_period(frm, to)
    if limit is not None and limit < 1:
        raise ValueError(f"limit: expected a positive number, got {limit}")
    src_pred, src_args = source_sql(principal, "a.source_code")
    reg_pred, reg_args = region_sql(principal, "s.region_code")
    where = [src_pred, reg_pred]
    args: list[Any] = [*src_args, *reg_args]
    for cond, value in (
        ('a."end" >= ?', frm),
        ("a.start < ?", to),
        ("a.mn = ?", mn),
        ("a.rule = ?", rule_name),
        ("a.pollutant = ?", pollutant),
    ):
        if value is not None:
            where.append(cond)
            args.append(value)
    sql = f"""
        SELECT a.mn, a.source_code, a.outlet_code, a.pollutant, a.rule, a.start, a."end",
               a.evidence, a.severity, a.status
        FROM anomaly a LEFT JOIN source s ON s.source_code = a.source_code
        WHERE {" AND ".join(where)}
    """
    if page is not None:
        sql, args = page.wrap(sql, args)
    else:
        sql += " ORDER BY a.start, a.mn, a.pollutant, a.rule"
        sql += f" LIMIT {int(limit)}" if limit else ""
    out = []
    for row in con.execute(sql, args).fetchall():
        item = dict(zip(COLUMNS, row, strict=True))
        item["start"] = item["start"].isoformat()
        item["end"] = item["end"].isoformat()
        item["evidence"] = json.loads(item["evidence"]) if item["evidence"] else {}
        out.append(item)
    return out


#: The order (and paging key) of the listings.
ANOMALY_KEY = Keyset(("start", "mn", "pollutant", "rule"),
                     ("TIMESTAMPTZ", "VARCHAR", "VARCHAR", "VARCHAR"))  # fmt: skip
EXCEEDANCE_KEY = Keyset(("start", "mn", "pollutant", "period"),
                        ("TIMESTAMPTZ", "VARCHAR", "VARCHAR", "VARCHAR"))  # fmt: skip

#: The columns of one exceedance event as ``exceedances`` returns it.
EXCEEDANCE_COLUMNS = (
    "mn", "source_code", "outlet", "pollutant", "period", "start", "end", "peak", "limit",
    "multiple", "permit_no", "open",
)  # fmt: skip


def exceedances(
    con: duckdb.DuckDBPyConnection,
    principal: Principal,
    frm: datetime | None = None,
    to: datetime | None = None,
    mn: str | None = None,
    pollutant: str | None = None,
    page: Window | None = None,
) -> list[dict[str, Any]]:
    """Exceedance events overlapping [frm, to) that ``principal`` may see, oldest first
    (``page``: one page keyed on :data:`EXCEEDANCE_KEY`, as :func:`anomalies`)."""
    if frm is not None and to is not None:
        _check_period(frm, to)
    src_pred, src_args = source_sql(principal, "a.source_code")
    reg_pred, reg_args = region_sql(principal, "s.region_code")
    where = [src_pred, reg_pred]
    args: list[Any] = [*src_args, *reg_args]
    for cond, value in (('a."end" >= ?', frm), ("a.start < ?", to), ("a.mn = ?", mn),
                        ("a.pollutant = ?", pollutant)):  # fmt: skip
        if value is not None:
            where.append(cond)
            args.append(value)
    sql = f"""
        SELECT a.mn, a.source_code, a.outlet_code, a.pollutant, a.period, a.start, a."end",
               a.peak, a."limit", a.multiple, a.permit_no, a.open
        FROM exceedance a LEFT JOIN source s ON s.source_code = a.source_code
        WHERE {" AND ".join(where)}
    """
    if page is not None:
        sql, args = page.wrap(sql, args)
    else:
        sql += " ORDER BY a.start, a.mn, a.pollutant, a.period"
    out = []
    for row in con.execute(sql, args).fetchall():
        item = dict(zip(EXCEEDANCE_COLUMNS, row, strict=True))
        item["start"] = item["start"].isoformat()
        item["end"] = item["end"].isoformat()
        out.append(item)
    return out
