"""Review services: run the rules, list and summarise flags, and record operators' decisions.

- :func:`run` flags the valid hourly values of a time window (all of history by default); a
  re-run keeps every decided flag and drops undecided ones the rules no longer raise. A flag
  whose value is no longer the stored one lapses first, decided or not
  (:mod:`ecohub.supervision.review.lapse`): the stored value is judged afresh.
- :func:`run_after_load` is what a loader calls after its commit.
- :func:`decide` records an operator's ``confirmed`` / ``overruled`` (inspector or admin;
  audited through :func:`ecohub.access.audit.record`).
- :func:`ecohub.supervision.review.reading.flags` and ``summary`` read the flags under the
  caller's region scope.

Observations are never changed: a flag only says whether assessments use the value
(``ecohub.analytics.air_input.exclude_flagged``). After flags change, the station-days they
touch are marked stale for the stored air results.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

import duckdb
import pandas as pd

from ecohub.access import Principal, region_sql, require_role
from ecohub.analytics.air_input import valid_flag_sql
from ecohub.cst import CST
from ecohub.store.lake_where import partition_where
from ecohub.supervision.review.detect import FLAG_COLUMNS, detect, margin_hours
from ecohub.supervision.review.inputs import (
    STATUSES,
    ReviewError,
    check_rule,
    parameter_code,
)
from ecohub.supervision.review.lapse import decided_value, lapse
from ecohub.supervision.review.rules import PARAMETERS, load_review_rules

__all__ = ["decide", "run", "run_after_load"]

# ---------------------------------------------------------------- running


def _prepare(con: duckdb.DuckDBPyConnection, lo: datetime, hi: datetime) -> None:
    from ecohub.analytics.regions import city_table

    st = con.execute(
        "SELECT station_id, region_code FROM station WHERE region_code IS NOT NULL"
    ).df()
    cities = city_table(st)[["station_id", "city_code"]] if len(st) else pd.DataFrame(
        {"station_id": pd.Series(dtype=str), "city_code": pd.Series(dtype=str)})  # fmt: skip
    rules = pd.DataFrame(
        [(r.rule, r.parameter, r.threshold, r.threshold2) for r in load_review_rules()],
        columns=["rule", "parameter", "threshold", "threshold2"],
    )
    con.register("_rv_city_df", cities)
    con.register("_rv_rules_df", rules)
    margin = timedelta(hours=margin_hours())
    con.execute("CREATE OR REPLACE TEMP TABLE _rv_rules AS SELECT * FROM _rv_rules_df")
    # The same rows; the lake's files of other months are not opened. _rv_all holds every
    # stored value (a flag lapses against it); the rules read only the valid ones (_rv_obs).
    parts, months = partition_where(
        "observation", "o", start=lo - margin, end=hi + margin + timedelta(microseconds=1)
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _rv_all AS "
        "SELECT o.station_id, o.parameter, o.period, o.time, o.value, o.unit, c.city_code AS city, "
        f"CAST(floor(epoch(o.time) / 3600) AS BIGINT) AS h, {valid_flag_sql('o.flag')} AS valid "
        "FROM observation_all o LEFT JOIN _rv_city_df c USING (station_id) "
        f"WHERE o.period = '1h' AND o.parameter IN ({', '.join(repr(p) for p in PARAMETERS)}) "
        f"AND o.time >= ? AND o.time <= ? AND {' AND '.join(parts)}",
        [lo - margin, hi + margin, *months],
    )
    con.execute(
        "CREATE OR REPLACE TEMP VIEW _rv_obs AS SELECT * EXCLUDE (valid) FROM _rv_all WHERE valid"
    )
    con.unregister("_rv_city_df")
    con.unregister("_rv_rules_df")


def run(
    con: duckdb.DuckDBPyConnection,
    *,
    station_ids: Iterable[str] | None = None,
    first_time: datetime | None = None,
    last_time: datetime | None = None,
    rules: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Flag the hourly values of ``station_ids`` (default: all) in ``[first_time, last_time]``
    (default: all stored); returns ``new`` and ``removed`` (undecided) flag counts, ``lapsed``
    (decisions on values that changed since), ``flagged`` (per rule, in the window after the
    run) and the ``window``.

    A flag whose value is no longer the stored value lapses (a decided one is kept in
    ``review_flag_lapsed``) and the stored value is judged afresh; other decided flags stay
    as they are; an undecided flag the rules no longer raise is removed. Naive times are
    CST."""
    for r in rules or ():
        check_rule(r)
    span = con.execute(
        "SELECT min(time), max(time) FROM observation_all WHERE period = '1h'"
    ).fetchone()
    if span is None or span[0] is None:
        return {"new": 0, "removed": 0, "lapsed": 0, "flagged": {}, "window": None}
    lo = _aware(first_time) if first_time is not None else span[0]
    hi = _aware(last_time) if last_time is not None else span[1]
    ids = sorted(set(station_ids)) if station_ids is not None else None
    _prepare(con, lo, hi)
    keep = ""
    if ids is not None:
        con.register("_rv_ids_df", pd.DataFrame({"station_id": ids}, dtype=str))
        con.execute("CREATE OR REPLACE TEMP TABLE _rv_ids AS SELECT * FROM _rv_ids_df")
        con.unregister("_rv_ids_df")
        keep = " WHERE station_id IN (SELECT station_id FROM _rv_ids)"
    chosen = list(rules) if rules else None
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _rv_found AS SELECT * FROM ({detect(lo, hi, chosen)}){keep}"
    )
    scope = "f.time >= ? AND f.time <= ?" + (
        " AND f.station_id IN (SELECT station_id FROM _rv_ids)" if ids is not None else ""
    )
    if chosen:
        scope += f" AND f.rule IN ({', '.join(repr(r) for r in chosen)})"
    key = "station_id, parameter, period, time, rule"
    con.execute("BEGIN")
    try:
        withdrawn, lapsed, touched = lapse(con, scope, [lo, hi], "_rv_all")
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _rv_gone AS SELECT f.station_id, f.time "
            f"FROM review_flag f WHERE f.status = 'flagged' AND {scope} "
            f"AND ({', '.join('f.' + k.strip() for k in key.split(','))}) NOT IN "
            f"(SELECT ({key}) FROM _rv_found)",
            [lo, hi],
        )
        removed = con.execute(
            f"DELETE FROM review_flag f WHERE f.status = 'flagged' AND {scope} "
            f"AND ({', '.join('f.' + k.strip() for k in key.split(','))}) NOT IN "
            f"(SELECT ({key}) FROM _rv_found)",
            [lo, hi],
        ).fetchone()
        new = con.execute(
            f"INSERT INTO review_flag ({', '.join(FLAG_COLUMNS)}) "
            f"SELECT DISTINCT ON ({key}) {', '.join(FLAG_COLUMNS)} FROM _rv_found "
            "ON CONFLICT DO NOTHING RETURNING station_id, time"
        ).df()
        gone = con.execute("SELECT * FROM _rv_gone").df()
        changed = pd.concat([new, gone, touched], ignore_index=True)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    _mark_stale(con, changed)
    by_rule = dict(
        con.execute("SELECT rule, count(*) FROM _rv_found GROUP BY rule ORDER BY rule").fetchall()
    )
    con.execute("DROP VIEW IF EXISTS _rv_obs")
    for t in ("_rv_all", "_rv_rules", "_rv_found", "_rv_gone", "_rv_ids"):
        con.execute(f"DROP TABLE IF EXISTS {t}")
    return {
        "new": len(new),
        "removed": withdrawn + (int(removed[0]) if removed else 0),
        "lapsed": lapsed,
        "flagged": {str(k): int(v) for k, v in by_rule.items()},
        "window": (lo, hi),
    }


def run_after_load(
    con: duckdb.DuckDBPyConnection,
    station_ids: Iterable[str],
    first_time: datetime,
    last_time: datetime,
) -> dict[str, Any]:
    """Review what a load just wrote: ``station_ids`` over ``first_time .. last_time``.

    Call after the load's commit (the flags are their own transaction). The whole rule set
    runs over the window widened to the hours the new values can change the verdict on (the
    longest constant run before it, one hour after it). City spikes of *other* stations at
    these hours are not re-judged: ``ecohub review run`` over the period does that."""
    ids = list(station_ids)
    if not ids:
        return {"new": 0, "removed": 0, "lapsed": 0, "flagged": {}, "window": None}
    # New hours can complete a constant run that began earlier, or be the "hour after" that
    # makes the hour before them a spike: judge those earlier hours again too.
    back = timedelta(hours=margin_hours())
    return run(
        con,
        station_ids=ids,
        first_time=_aware(first_time) - back,
        last_time=_aware(last_time) + timedelta(hours=1),
    )


def _aware(t: datetime) -> datetime:
    return t if t.tzinfo is not None else t.replace(tzinfo=CST)


def _mark_stale(con: duckdb.DuckDBPyConnection, changed: pd.DataFrame) -> None:
    """The stored air results of these station-days no longer match the reviewed data.

    Called after the flags' commit, not inside it: a mark DuckDB cannot write (a consumed mark
    an older transaction still sees; ``air_results.mark_days``) must not abort the decision,
    and outside a transaction the marker can fall back to invalidating the stored results."""
    if changed.empty:
        return
    from ecohub.analytics.air_service import mark_stale

    for sid, part in changed.groupby("station_id"):
        t = pd.to_datetime(part.time, utc=True)
        mark_stale(con, [str(sid)], t.min().to_pydatetime(), t.max().to_pydatetime())


# ---------------------------------------------------------------- deciding


def decide(
    con: duckdb.DuckDBPyConnection,
    principal: Principal,
    *,
    station_id: str,
    parameter: str,
    time: datetime,
    status: str,
    rule: str | None = None,
    period: str = "1h",
) -> int:
    """Set the flags of one value (one ``rule``, or all its rules) to ``confirmed`` or
    ``overruled`` (``flagged`` undoes a decision); returns the flags changed.

    Inspectors and admins only, within their region; every decision is audited."""
    require_role(principal, "inspector")
    if status not in STATUSES:
        raise ReviewError(f"status must be one of {', '.join(STATUSES)}, got {status!r}", "status")
    check_rule(rule)
    code = parameter_code(parameter)
    pred, params = region_sql(principal, "s.region_code")
    visible = con.execute(
        f"SELECT count(*) FROM station s WHERE s.station_id = ? AND {pred}", [station_id, *params]
    ).fetchone()
    if not visible or not visible[0]:
        raise ReviewError(f"unknown station {station_id!r}", "station")
    when = _aware(time)
    cols = ["station_id", "parameter", "period", "time"] + (["rule"] if rule else [])
    cond = " AND ".join(f"{c} = ?" for c in cols)
    args: list[Any] = [station_id, code, period, when] + ([rule] if rule else [])
    decided = (None, None) if status == "flagged" else (principal.name, datetime.now(CST))
    value = decided_value(con, " AND ".join(f"f.{c} = ?" for c in cols), args)
    con.execute("BEGIN")
    try:
        row = con.execute(
            f"UPDATE review_flag SET status = ?, decided_by = ?, decided_at = ? WHERE {cond}",
            [status, *decided, *args],
        ).fetchone()
        n = int(row[0]) if row else 0
        if n == 0:
            raise ReviewError(
                f"no flag on {station_id} {code} at {when.isoformat()}"
                + (f" by rule {rule}" if rule else ""),
                "time",
            )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    _mark_stale(con, pd.DataFrame({"station_id": [station_id], "time": [when]}))
    from ecohub.access.audit import record

    record(
        con,
        principal,
        "review.decide",
        "review/decide",
        {"station": station_id, "parameter": code, "time": when.isoformat(),
         "rule": rule, "status": status, "value": value},
        rows=n,
    )  # fmt: skip
    return n
