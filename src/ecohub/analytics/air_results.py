"""The store's air results (``air_hourly_aqi``, ``air_daily``, ``air_period_stat``,
``air_category_days``): their state, the stale marks new observations leave, and the full
computation. The incremental one (the marked station-days and what depends on them) is
:mod:`ecohub.analytics.air_stale`.

Each write is a transaction, and the stale marks a run consumed are removed only with its
last write: a failed run leaves them, so the next run does that work again.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import duckdb
import ibis
import ibis.expr.types as ir
import pandas as pd

from ecohub.analytics import air_days, air_stats
from ecohub.analytics.air_chunks import CHUNK_VALUES, chunk_builds, merge_reports
from ecohub.analytics.air_input import EARLIEST_TIME, FUTURE_SLACK, AirInputError
from ecohub.analytics.air_layout import aqi_table, union
from ecohub.analytics.air_tables import parse_edition
from ecohub.analytics.regions import city_table
from ecohub.cst import CST
from ecohub.store.backend import AnalyticsBackend, Run, duckdb_backend
from ecohub.store.db import transaction

__all__ = [
    "DAY_SQL",
    "INPUTS",
    "TABLES",
    "ComputeResult",
    "air_stations",
    "compute_full",
    "day_pairs",
    "delete_consumed_marks",
    "mark_days",
    "period_rows",
    "set_state",
    "state",
    "write_plan",
]

log = logging.getLogger(__name__)

TABLES = ("air_hourly_aqi", "air_daily", "air_period_stat", "air_category_days")
_EPOCH = date(1970, 1, 1)
# The store tables a compute run reads (the engine is given them; see store/backend.py).
INPUTS = ("observation", "station", "review_flag")
# The CST day of a stored TIMESTAMPTZ, in SQL, from the epoch (as analytics/_time.py).
DAY_SQL = "CAST(floor((epoch({col}) + 28800) / 86400) AS BIGINT)"


@dataclass
class ComputeResult:
    """What a compute run did: ``mode`` full | incremental | fresh (nothing stale),
    rows ``written`` per table, station-days recomputed, and input rows set aside."""

    mode: str
    written: dict[str, int] = field(default_factory=dict)
    station_days: int = 0
    invalid: dict[str, int] = field(default_factory=dict)
    set_aside: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "written": dict(self.written),
            "station_days": self.station_days,
            "invalid": dict(self.invalid),
            "set_aside": dict(self.set_aside),
        }


# ---------------------------------------------------------------- state and marks


def state(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """``air_state`` as a dict (empty before the first compute)."""
    return {str(k): str(v) for k, v in con.execute("SELECT name, value FROM air_state").fetchall()}


def set_state(con: duckdb.DuckDBPyConnection, **values: str) -> None:
    for name, value in values.items():
        con.execute("INSERT OR REPLACE INTO air_state (name, value) VALUES (?, ?)", [name, value])


def new_results_version() -> str:
    """A new ``air_state.results_version``: written in the transaction that commits changed
    results (with the stale marks they consume), so the stored results' version changes with
    them; the open data's ``ETag`` is made from it (``ecohub.catalog.versions``)."""
    return uuid.uuid4().hex


def _cst_day(t: datetime) -> date:
    if t.tzinfo is None:
        t = t.replace(tzinfo=CST)
    return t.astimezone(CST).date()


def mark_days(
    con: duckdb.DuckDBPyConnection,
    station_ids: Iterable[str],
    first_time: datetime,
    last_time: datetime,
) -> int:
    """Mark every CST day from ``first_time`` to ``last_time`` (inclusive; naive times are
    CST) stale for each station; returns the station-days marked. Times outside what an
    observation can have are clipped to it (nothing is marked when nothing is left)."""
    ids = sorted({str(s) for s in station_ids})
    for name, t in (("first_time", first_time), ("last_time", last_time)):
        if not isinstance(t, datetime):
            raise AirInputError(f"{name} must be a datetime, got {t!r}", name)
    if not ids:
        return 0
    lo = max(_cst_day(first_time), _cst_day(EARLIEST_TIME))
    hi = min(_cst_day(last_time), _cst_day(datetime.now(UTC) + FUTURE_SLACK))
    if lo > hi:
        return 0
    sql = (
        "INSERT INTO air_stale (station_id, day, marked_at) "
        "SELECT s.station_id, CAST(g.d AS DATE), current_timestamp "
        "FROM (SELECT DISTINCT unnest(CAST(? AS VARCHAR[])) AS station_id) s, "
        "generate_series(CAST(? AS DATE), CAST(? AS DATE), INTERVAL 1 DAY) g(d) "
        "ON CONFLICT (station_id, day) DO UPDATE SET marked_at = excluded.marked_at"
    )
    try:
        rows = con.execute(sql, [ids, lo, hi]).fetchone()
    except duckdb.ConstraintException:
        # DuckDB (1.4) refuses to insert a key whose row was deleted (a mark a compute run
        # consumed) while any older transaction can still see that row - and an idle cursor
        # whose last SELECT was read with fetchone() keeps its transaction open. No statement
        # on ``air_stale`` can write the mark then, so the stored results are invalidated
        # instead: the next compute (or read) recomputes in full. Only outside a transaction
        # (a failed statement aborts the caller's transaction; callers mark after committing).
        set_state(con, edition=INVALIDATED)
        log.warning(
            "air_stale: could not mark %d station(s) %s..%s (a consumed mark still visible "
            "to an older transaction); stored air results invalidated: next compute is full",
            len(ids), lo, hi,
        )  # fmt: skip
        return len(ids) * ((hi - lo).days + 1)
    return int(rows[0]) if rows else 0


#: ``air_state.edition`` when a stale mark could not be written: no edition equals it, so
#: the next ``compute`` is full and reads compute until then (never serve stale results).
INVALIDATED = "invalidated"


# ---------------------------------------------------------------- writing


def air_stations(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    df = con.execute("SELECT station_id, region_code FROM station WHERE network = 'air'").df()
    return city_table(df)


def day_pairs(frame: pd.DataFrame) -> pd.DataFrame:
    """``scope, code, day`` rows (day = CST day index), deduplicated."""
    return frame[["scope", "code", "day"]].drop_duplicates().reset_index(drop=True)


def delete_consumed_marks(db: duckdb.DuckDBPyConnection) -> None:
    """Remove the stale marks this run read (registered as ``_air_stale_run``), unless a
    loader marked the station-day again since (a newer ``marked_at``)."""
    db.execute(
        "DELETE FROM air_stale a USING _air_stale_run r "
        "WHERE a.station_id = r.station_id AND a.day = r.day AND a.marked_at = r.marked_at"
    )


def write_plan(
    run: Run, plan: Mapping[str, tuple[ir.Table, str | None]], stale: pd.DataFrame | None
) -> dict[str, int]:
    """Run ``plan`` (table -> (rows, delete condition)) in one transaction; rows written.

    The delete condition is SQL over the table (``t``) and the frames registered on
    ``run.store``; None replaces the whole table. ``stale``: the marks this run consumed,
    removed with it."""
    db = run.store
    written: dict[str, int] = {}
    with transaction(db):
        for name, (expr, cond) in plan.items():
            if cond is None:
                db.execute(f"DELETE FROM {name}")
            else:
                db.execute(f"DELETE FROM {name} t WHERE {cond}")
            written[name] = run.insert(name, expr)
        if stale is not None:
            delete_consumed_marks(db)
    return written


def period_rows(
    stats: ir.Table, days: ir.Table, scope: str, key: str, period: str
) -> tuple[ir.Table, ir.Table]:
    month = stats.month if period == "month" else ibis.literal(0, "int32")
    dmonth = days.month if period == "month" else ibis.literal(0, "int32")
    stat_rows = stats.select(
        scope=ibis.literal(scope),
        code=stats[key],
        year=stats.year,
        month=month,
        pollutant=stats.pollutant,
        statistic=stats.statistic,
        value=stats.value,
        n_days=stats.n_days,
        valid=stats.valid,
        months_valid=(stats.months_valid.cast("int32") if period == "year" else ibis.null("int32")),
    )
    day_cols = [c for c in days.columns if c not in (key, "year", "month")]
    day_rows = days.select(
        scope=ibis.literal(scope),
        code=days[key],
        year=days.year,
        month=dmonth,
        **{c: days[c] for c in day_cols},
    )
    return stat_rows, day_rows


# A full run writes each table's new rows beside the old ones, under this suffix, committing
# chunk by chunk, and swaps them in at the end: one transaction over a national year (46 M rows)
# held them all in memory until its commit (23 GB of RSS on a 24 GB machine; out of memory in a
# 5 GB budget), where chunk commits need 6.4 GB (docs/benchmarks.md, "the command itself").
NEXT = "_next"


def _create_next(db: duckdb.DuckDBPyConnection, next_of: Mapping[str, str]) -> None:
    """Empty tables ``next_of[name]`` made as ``name`` is (columns, types, key), after
    dropping any a killed run left."""
    for name, nxt in next_of.items():
        db.execute(f"DROP TABLE IF EXISTS {nxt}")
        row = db.execute(
            "SELECT sql FROM duckdb_tables() WHERE table_name = ? AND schema_name = 'main' "
            "AND NOT temporary",
            [name],
        ).fetchone()
        if row is None:
            raise RuntimeError(f"store table {name} is missing (a store not migrated?)")
        db.execute(str(row[0]).replace(f"CREATE TABLE {name}(", f"CREATE TABLE {nxt}(", 1))


def compute_full(
    con: duckdb.DuckDBPyConnection,
    edition: int | str = "auto",
    reviewed: bool = True,
    engine: AnalyticsBackend | None = None,
    chunk_values: int = CHUNK_VALUES,
) -> ComputeResult:
    """Compute every ``air_*`` table from ``observation`` and replace them whole
    (``reviewed``: from the reviewed record, the default, or the raw one) on ``engine``
    (default: DuckDB, the store itself). Readers see the old tables until the new ones
    replace them all at once; a run that fails leaves the old ones.

    A record of more than ``chunk_values`` values is computed in runs of whole months
    (:mod:`ecohub.analytics.air_chunks`), each written and committed beside the old tables,
    so memory stays bounded; the results are the same."""
    with (engine or duckdb_backend()).run(con, INPUTS) as run:
        return _compute_full(con, run, parse_edition(edition), reviewed, chunk_values)


def _compute_full(
    con: duckdb.DuckDBPyConnection, run: Run, ed: int | str, reviewed: bool, chunk_values: int
) -> ComputeResult:
    db = run.store
    written = dict.fromkeys(TABLES, 0)
    reports = []
    cities = None
    db.register("_air_stale_run", db.execute("SELECT * FROM air_stale").df())
    next_of = {name: f"{name}{NEXT}" for name in TABLES}
    try:
        _create_next(db, next_of)
        for tables in chunk_builds(run.ibis, edition=ed, reviewed=reviewed,
                                   chunk_values=chunk_values):  # fmt: skip
            with transaction(db):
                for kind, name in (("hourly", "air_hourly_aqi"), ("daily", "air_daily")):
                    rows = union([aqi_table(tables, kind, scope) for scope in ("station", "city")])
                    written[name] += run.insert(next_of[name], rows)
            reports.append(tables.report)
            cities = tables.cities
        # Periods need every day: from the daily rows just stored (as an incremental run).
        stored = run.table(next_of["air_daily"])
        with transaction(db):
            for scope, key in (("station", "station_id"), ("city", "city_code")):
                daily = stored.filter(stored.scope == scope)
                daily = daily.mutate(**{key: daily.code})
                keys = sorted(set(cities[key])) if cities is not None else []
                for period in ("year", "month"):
                    stats = air_stats.period_statistics(daily, key, period)
                    days = air_days.category_days(daily, key, period, keys=keys)
                    srows, drows = period_rows(stats, days, scope, key, period)
                    written["air_period_stat"] += run.insert(next_of["air_period_stat"], srows)
                    written["air_category_days"] += run.insert(next_of["air_category_days"], drows)
        # The new tables take the old ones' places in one short transaction: a reader sees
        # the old results or the new, never a mix.
        with transaction(db):
            for name, nxt in next_of.items():
                db.execute(f"DROP TABLE {name}")
                db.execute(f"ALTER TABLE {nxt} RENAME TO {name}")
            delete_consumed_marks(db)
            set_state(db, results_version=new_results_version())
            row = db.execute(
                "SELECT count(*), max(date) FROM air_daily WHERE scope = 'station'"
            ).fetchone()
    except BaseException:
        # The old results stay as they were; what this run wrote goes.
        for nxt in next_of.values():
            db.execute(f"DROP TABLE IF EXISTS {nxt}")
        raise
    finally:
        db.unregister("_air_stale_run")
    station_days, last = (int(row[0]), row[1]) if row else (0, None)
    set_state(con, edition=str(ed), last_day=last.isoformat() if last else "")
    set_state(con, reviewed=str(reviewed).lower())
    report = merge_reports(reports)
    return ComputeResult(
        "full",
        written,
        station_days=station_days,
        invalid=dict(report.invalid),
        set_aside=dict(report.set_aside),
    )
