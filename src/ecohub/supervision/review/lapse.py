"""A flag, and an operator's decision on it, belong to the value they were made on.

``review_flag.value`` is the value as it was flagged. When the stored value is no longer that
value (a corrected reload, a value deleted), the flag lapses: :func:`lapse` removes it so the
rules judge the stored value afresh, and keeps every lapsed *decision* (confirmed /
overruled) in ``review_flag_lapsed`` (migration 029) with the value it was made on and the
value stored when it lapsed. Until a review runs, assessments already ignore such a flag
(``ecohub.analytics.air_input.exclude_flagged`` applies a flag only to its own value).
"""

from __future__ import annotations

from typing import Any

import duckdb
import pandas as pd

from ecohub.supervision.review.inputs import ReviewError

__all__ = ["decided_value", "lapse"]

_KEY = "station_id, parameter, period, time, rule"


def lapse(
    con: duckdb.DuckDBPyConnection, scope: str, params: list[Any], stored: str
) -> tuple[int, int, pd.DataFrame]:
    """Remove the flags matching ``scope`` (SQL over alias ``f`` with ``params``) whose value
    is not the one stored in ``stored`` (a relation of the window's hourly values, all
    flags); inside the caller's transaction. Returns (undecided flags removed, decisions
    lapsed, their ``station_id, time``)."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _rv_lapsed AS SELECT f.*, a.value AS new_value "
        f"FROM review_flag f LEFT JOIN {stored} a ON a.station_id = f.station_id "
        "AND a.parameter = f.parameter AND a.period = f.period AND a.time = f.time "
        f"WHERE {scope} AND f.value IS DISTINCT FROM a.value",
        params,
    )
    con.execute(
        "INSERT INTO review_flag_lapsed (station_id, parameter, period, time, rule, value, "
        "new_value, reason, status, flagged_at, decided_by, decided_at) "
        "SELECT station_id, parameter, period, time, rule, value, new_value, reason, status, "
        "flagged_at, decided_by, decided_at FROM _rv_lapsed WHERE status <> 'flagged'"
    )
    con.execute(f"DELETE FROM review_flag WHERE ({_KEY}) IN (SELECT ({_KEY}) FROM _rv_lapsed)")
    row = con.execute(
        "SELECT count(*) FILTER (status = 'flagged'), count(*) FILTER (status <> 'flagged') "
        "FROM _rv_lapsed"
    ).fetchone()
    touched = con.execute("SELECT station_id, time FROM _rv_lapsed").df()
    con.execute("DROP TABLE _rv_lapsed")
    return (int(row[0]), int(row[1]), touched) if row else (0, 0, touched)


def decided_value(con: duckdb.DuckDBPyConnection, cond: str, args: list[Any]) -> float | None:
    """The stored value the flags under ``cond`` (SQL over alias ``f``) are about, for a
    decision on them; :class:`ReviewError` when a flag was raised on another value than the
    one stored (the value changed and no review has run since): that flag must lapse before
    anyone decides on it. A flag whose row is not stored at all is left to the next review."""
    rows = con.execute(
        "SELECT f.value, o.value, o.station_id IS NOT NULL AND f.value IS DISTINCT FROM o.value "
        "FROM review_flag f "
        "LEFT JOIN observation_all o ON o.station_id = f.station_id "
        "AND o.parameter = f.parameter AND o.period = f.period AND o.time = f.time "
        f"WHERE {cond}",
        args,
    ).fetchall()
    for flagged_value, stored, changed in rows:
        if changed:
            raise ReviewError(
                f"the value was flagged as {flagged_value} but {stored} is stored now: review "
                "that day again (ecohub review run) before deciding",
                "time",
            )
    return rows[0][0] if rows else None
