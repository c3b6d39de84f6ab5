"""Per station-day sums of ``observation`` (table ``observation_day``, migration 021).

A row holds, for one station, parameter, period and CST calendar day, the count, sum, minimum
and maximum of the finite values (NULL, NaN and ±inf are left out). Region aggregates
(:func:`ecohub.geo.observation_means`) read it for whole days, so 50 M hourly rows become
about 2 M rows to scan, and the mean over any set of stations is Σ total / Σ n — the same
number as the mean of the rows, up to the order of floating-point addition.

Whoever writes ``observation`` keeps this current in the same transaction:
:func:`ecohub.ingest.upsert.upsert_observations` calls :func:`refresh_days` with the rows it
changed. A store filled some other way (bulk SQL, a restore) is rebuilt with :func:`rebuild`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import duckdb

from ecohub.cst import CST
from ecohub.store.lake_where import partition_where

__all__ = ["DAY", "rebuild", "refresh_days"]

# The CST day of an observation: explicit, so it does not depend on the session's TimeZone.
DAY = "CAST(timezone('Asia/Shanghai', {col}) AS DATE)"

_AGG = "count(o.value), sum(o.value), min(o.value), max(o.value)"


def refresh_days(con: duckdb.DuckDBPyConnection, changed: str) -> int:
    """Recompute the station-days touched by the rows of table ``changed``.

    ``changed`` names a table or view with ``station_id, parameter, period, time`` columns
    (the rows just inserted or updated). Returns the number of station-days recomputed.
    """
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _ecohub_days AS SELECT DISTINCT station_id, parameter, "
        f"period, {DAY.format(col='time')} AS day FROM {changed}"
    )
    row = con.execute("SELECT count(*), min(day), max(day) FROM _ecohub_days").fetchone()
    assert row is not None
    count, first, last = row
    if count:
        # The lake months those days can be in (same rows; other months' files not opened).
        parts, months = partition_where(
            "observation", "o",
            start=datetime(first.year, first.month, first.day, tzinfo=CST) - timedelta(days=1),
            end=datetime(last.year, last.month, last.day, tzinfo=CST) + timedelta(days=2),
        )  # fmt: skip
        con.execute(
            "DELETE FROM observation_day d USING _ecohub_days k WHERE d.station_id = "
            "k.station_id AND d.parameter = k.parameter AND d.period = k.period AND d.day = k.day"
        )
        # The time bounds are constants, so the scan skips row groups outside them (zone maps);
        # a day's span is widened by one day each side to be safe for any session time zone.
        con.execute(
            "INSERT INTO observation_day SELECT k.station_id, k.parameter, k.period, k.day, "
            f"{_AGG} "
            "FROM observation_all o JOIN _ecohub_days k ON o.station_id = k.station_id "
            "AND o.parameter = k.parameter AND o.period = k.period "
            f"AND {DAY.format(col='o.time')} = k.day "
            "WHERE o.time >= CAST(? AS TIMESTAMPTZ) - INTERVAL 1 DAY "
            "AND o.time < CAST(? AS TIMESTAMPTZ) + INTERVAL 2 DAY AND isfinite(o.value) "
            f"AND {' AND '.join(parts)} GROUP BY ALL",
            [str(first), str(last), *months],
        )
    con.execute("DROP TABLE _ecohub_days")
    return int(count)


def rebuild(con: duckdb.DuckDBPyConnection) -> int:
    """Recompute ``observation_day`` from every observation; returns the station-days stored."""
    con.execute("BEGIN")
    try:
        con.execute("DELETE FROM observation_day")
        con.execute(
            f"INSERT INTO observation_day SELECT o.station_id, o.parameter, o.period, "
            f"{DAY.format(col='o.time')} AS day, {_AGG} FROM observation_all o "
            "WHERE isfinite(o.value) GROUP BY ALL ORDER BY day, o.station_id"
        )
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    row = con.execute("SELECT count(*) FROM observation_day").fetchone()
    return int(row[0]) if row else 0
