"""Reading the review flags under the caller's region scope: the flags themselves, a page at a
time, and their counts per station, parameter and rule."""

from __future__ import annotations

from datetime import date
from typing import Any

import duckdb
import pandas as pd

from ecohub.access import Principal, region_sql
from ecohub.queries.listing import Keyset, Window
from ecohub.supervision.review.inputs import (
    STATUSES,
    ReviewError,
    check_rule,
    day_bounds,
    parameter_code,
)

__all__ = ["COLUMNS", "FLAG_KEY", "SUMMARY_COLUMNS", "flags", "summary", "summary_frame"]

#: The columns of :func:`flags`, in order.
COLUMNS = ["station_id", "parameter", "period", "time", "value", "rule", "reason", "status"]
#: The columns of :func:`summary`, in order; the last four are counts.
SUMMARY_COLUMNS = ["station_id", "parameter", "rule", "flagged", "confirmed", "overruled",
                   "set_aside"]  # fmt: skip
#: The order (and paging key) of :func:`flags`.
FLAG_KEY = Keyset(("station_id", "parameter", "time", "rule", "period"),
                  ("VARCHAR", "VARCHAR", "TIMESTAMPTZ", "VARCHAR", "VARCHAR"))  # fmt: skip


def _where(
    principal: Principal | None,
    station: str | None,
    parameter: str | None,
    start: date | None,
    end: date | None,
    rule: str | None,
    status: str | None,
) -> tuple[str, list[Any]]:
    check_rule(rule)
    if status is not None and status not in STATUSES:
        raise ReviewError(f"status must be one of {', '.join(STATUSES)}, got {status!r}", "status")
    lo, hi = day_bounds(start, end)
    conds, params = ["TRUE"], []
    if principal is not None:
        pred, p = region_sql(principal, "s.region_code")
        conds.append(pred)
        params += p
    for col, val in (
        ("f.station_id", station),
        ("f.parameter", parameter_code(parameter) if parameter else None),
        ("f.rule", rule),
        ("f.status", status),
    ):
        if val is not None:
            conds.append(f"{col} = ?")
            params.append(val)
    if lo is not None:
        conds.append("f.time >= ?")
        params.append(lo)
    if hi is not None:
        conds.append("f.time <= ?")
        params.append(hi)
    return " AND ".join(conds), params


def flags(
    con: duckdb.DuckDBPyConnection,
    *,
    station: str | None = None,
    parameter: str | None = None,
    start: date | None = None,
    end: date | None = None,
    rule: str | None = None,
    status: str | None = None,
    principal: Principal | None = None,
    page: Window | None = None,
) -> pd.DataFrame:
    """One row per flag (:data:`COLUMNS`), ordered by station, parameter, time, rule (and
    period); ``start``/``end`` are inclusive CST days. ``page``: only that page's rows (keyed
    on :data:`FLAG_KEY`), plus one when there is a next page."""
    where, params = _where(principal, station, parameter, start, end, rule, status)
    sql = (
        f"SELECT {', '.join('f.' + c for c in COLUMNS)} FROM review_flag f "
        f"LEFT JOIN station s USING (station_id) WHERE {where}"
    )
    if page is not None:
        sql, params = page.wrap(sql, params)
    else:
        sql += " ORDER BY f.station_id, f.parameter, f.time, f.rule, f.period"
    return con.execute(sql, params).df()


def summary(
    con: duckdb.DuckDBPyConnection,
    *,
    station: str | None = None,
    parameter: str | None = None,
    start: date | None = None,
    end: date | None = None,
    principal: Principal | None = None,
) -> pd.DataFrame:
    """Per station, parameter and rule: values ``flagged`` (undecided), ``confirmed``,
    ``overruled`` and ``set_aside`` (= not overruled: what assessments leave out). A row with
    rule ``(any)`` counts each value once, however many rules flagged it (its per-status
    counts are missing). Counts are whole numbers (:func:`summary_frame`)."""
    where, params = _where(principal, station, parameter, start, end, None, None)
    rows = con.execute(
        f"""
        WITH f AS (SELECT f.* FROM review_flag f LEFT JOIN station s USING (station_id)
                   WHERE {where}),
        per_rule AS (
            SELECT station_id, parameter, rule,
                   count(*) FILTER (status = 'flagged') AS flagged,
                   count(*) FILTER (status = 'confirmed') AS confirmed,
                   count(*) FILTER (status = 'overruled') AS overruled,
                   count(*) FILTER (status <> 'overruled') AS set_aside
            FROM f GROUP BY ALL),
        per_value AS (
            SELECT station_id, parameter, period, time,
                   bool_or(status <> 'overruled') AS aside FROM f GROUP BY ALL),
        anyrule AS (
            SELECT station_id, parameter, '(any)' AS rule, NULL AS flagged, NULL AS confirmed,
                   NULL AS overruled, count(*) FILTER (aside) AS set_aside
            FROM per_value GROUP BY ALL)
        SELECT * FROM (SELECT * FROM per_rule UNION ALL SELECT * FROM anyrule)
        ORDER BY station_id, parameter, rule = '(any)', rule
        """,
        params,
    ).df()
    return summary_frame(rows)


def summary_frame(rows: pd.DataFrame | list[dict[str, object]]) -> pd.DataFrame:
    """The summary's rows (a frame, or the API's items) in :data:`SUMMARY_COLUMNS`, counts as
    whole numbers with missing ones missing (a count column with a missing value would
    otherwise be read as floats: 14.0)."""
    df = pd.DataFrame(rows, columns=SUMMARY_COLUMNS)
    for col in SUMMARY_COLUMNS[3:]:
        df[col] = df[col].astype("Int64")
    return df
