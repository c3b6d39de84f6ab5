"""The air results computed again for the station-days whose observations changed
(``air_stale``, marked by :func:`ecohub.analytics.air_results.mark_days`) and for what
depends on them; the full computation and the shared writing are in
:mod:`ecohub.analytics.air_results`.

What depends on a station-day d of station s:
- its daily row, and its city's daily row of d (the city means all its stations);
- the hourly rows of d and of d + 1, for s and its city: the 8-h and 24-h moving means of
  the hours of d + 1 reach back into d (a window crossing midnight). Daily values of d + 1
  do not: the O3 daily maximum is over windows starting 00:00..16:00 of the day itself;
- the month and year statistics of s and its city that contain d, computed from the stored
  ``air_daily`` rows;
- the category days of those periods — for every station and city when the period is new
  or its calendar grew (the calendar ends at the last day with data, ``air_state``).

Each write is a transaction, and the stale marks a run consumed are removed only with its
last write: a failed run leaves them, so the next run does that work again.
"""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import ibis
import ibis.expr.types as ir
import pandas as pd

from ecohub.analytics import air_days, air_stats
from ecohub.analytics.air_layout import aqi_table, union
from ecohub.analytics.air_results import (
    DAY_SQL,
    INPUTS,
    ComputeResult,
    air_stations,
    day_pairs,
    delete_consumed_marks,
    new_results_version,
    period_rows,
    set_state,
    state,
    write_plan,
)
from ecohub.analytics.air_tables import build, parse_edition
from ecohub.store.backend import AnalyticsBackend, Run, duckdb_backend
from ecohub.store.db import transaction

__all__ = ["compute_stale"]

_EPOCH = date(1970, 1, 1)


def compute_stale(
    con: duckdb.DuckDBPyConnection,
    edition: int | str,
    reviewed: bool = True,
    engine: AnalyticsBackend | None = None,
) -> ComputeResult:
    """Recompute the station-days marked in ``air_stale`` and what depends on them (see
    the module docstring), under ``edition``, on ``engine`` (default: DuckDB); the marks
    are removed in the same write."""
    ed = parse_edition(edition)
    stale = con.execute("SELECT station_id, day, marked_at FROM air_stale").df()
    if stale.empty:
        return ComputeResult("fresh")
    stations = air_stations(con)
    stale["day_i"] = [(pd.Timestamp(d).date() - _EPOCH).days for d in stale.day]
    known = stale[stale.station_id.isin(stations.station_id)]
    if known.empty:  # marks of stations that are not air stations: nothing to recompute
        with duckdb_backend().run(con) as run:  # only the marks are written
            run.store.register("_air_stale_run", stale[["station_id", "day", "marked_at"]])
            written = write_plan(run, {}, stale=stale)
        return ComputeResult("incremental", written)
    with (engine or duckdb_backend()).run(con, INPUTS) as run:
        return _compute_stale(con, run, ed, reviewed, stale, stations, known)


def _compute_stale(
    con: duckdb.DuckDBPyConnection,
    run: Run,
    ed: int | str,
    reviewed: bool,
    stale: pd.DataFrame,
    stations: pd.DataFrame,
    known: pd.DataFrame,
) -> ComputeResult:
    city_of_station = dict(zip(stations.station_id, stations.city_code, strict=True))
    cities = sorted({city_of_station[s] for s in known.station_id})
    members = sorted(stations.station_id[stations.city_code.isin(cities)])
    days = sorted(set(known.day_i))
    read_days = sorted({d + k for d in days for k in (-1, 0, 1)})
    tables = build(
        run.ibis,
        edition=ed,
        stations=members,
        start=_EPOCH + timedelta(days=days[0]),
        end=_EPOCH + timedelta(days=days[-1] + 1),
        days=read_days,
        reviewed=reviewed,
    )
    # What to write: station and city days (daily), and those days plus the next (hourly).
    st_days = pd.DataFrame({"scope": "station", "code": known.station_id, "day": known.day_i})
    ct_days = pd.DataFrame(
        {
            "scope": "city",
            "code": [city_of_station[s] for s in known.station_id],
            "day": known.day_i,
        }
    )
    daily_pairs = day_pairs(pd.concat([st_days, ct_days]))
    hourly_pairs = day_pairs(pd.concat([daily_pairs, daily_pairs.assign(day=daily_pairs.day + 1)]))
    db = run.store
    db.register("_air_daily_pairs", daily_pairs)
    db.register("_air_hourly_pairs", hourly_pairs)
    dp = ibis.memtable(daily_pairs)
    hp = ibis.memtable(hourly_pairs)

    def only(expr: ir.Table, pairs: ir.Table) -> ir.Table:
        j = expr.semi_join(
            pairs, [expr.scope == pairs.scope, expr.code == pairs.code, expr.day == pairs.day]
        )
        return j.drop("day")

    plan: dict[str, tuple[ir.Table, str | None]] = {
        "air_hourly_aqi": (
            union(
                [
                    only(aqi_table(tables, "hourly", s, with_day=True), hp)
                    for s in ("station", "city")
                ]
            ),
            "EXISTS (SELECT 1 FROM _air_hourly_pairs p WHERE p.scope = t.scope AND p.code = t.code "
            f"AND p.day = {DAY_SQL.format(col='t.time')})",
        ),
        "air_daily": (
            union(
                [
                    only(aqi_table(tables, "daily", s, with_day=True), dp)
                    for s in ("station", "city")
                ]
            ),
            "EXISTS (SELECT 1 FROM _air_daily_pairs p WHERE p.scope = t.scope AND p.code = t.code "
            "AND t.date = DATE '1970-01-01' + CAST(p.day AS INTEGER))",
        ),
    }
    db.register("_air_stale_run", stale[["station_id", "day", "marked_at"]])
    try:
        written = write_plan(run, plan, stale=None)
        written.update(_recompute_periods(con, run, stations, daily_pairs))
    finally:
        for name in ("_air_stale_run", "_air_daily_pairs", "_air_hourly_pairs"):
            db.unregister(name)
    set_state(con, edition=str(ed))
    return ComputeResult(
        "incremental",
        written,
        station_days=len(known),
        invalid=dict(tables.report.invalid),
        set_aside=dict(tables.report.set_aside),
    )


def _recompute_periods(
    con: duckdb.DuckDBPyConnection,
    run: Run,
    stations: pd.DataFrame,
    daily_pairs: pd.DataFrame,
) -> dict[str, int]:
    """Statistics and category days of the periods holding the recomputed days, from the
    stored ``air_daily``; removes the consumed stale marks (``_air_stale_run``) in the
    same transaction."""
    db = run.store
    row = db.execute("SELECT max(date) FROM air_daily WHERE scope = 'station'").fetchone()
    new_last: date | None = row[0] if row else None
    old_text = state(con).get("last_day", "")
    old_last = date.fromisoformat(old_text) if old_text else None
    months = {
        ((_EPOCH + timedelta(days=int(d))).year, (_EPOCH + timedelta(days=int(d))).month)
        for d in daily_pairs.day
    }
    present = {
        (int(y), int(m))
        for y, m in db.execute(
            "SELECT DISTINCT year, month FROM air_category_days WHERE month > 0"
        ).fetchall()
    }
    # Category days of every station and city: months new to the table, and months whose
    # calendar grew because the last day with data moved.
    every = {m for m in months if m not in present}
    if new_last is not None and old_last is not None and new_last != old_last:
        every |= set(_months_between(*sorted((old_last, new_last))))
    keys = {"station": sorted(stations.station_id), "city": sorted(set(stations.city_code))}
    stat_targets, day_targets = [], []
    for scope, codes in keys.items():
        stale_codes = sorted(set(daily_pairs.code[daily_pairs.scope == scope]))
        mine = [(c, y, m) for c in stale_codes for y, m in months]
        mine += [(c, y, 0) for c in stale_codes for y in {y for y, _ in months}]
        alls = [(c, y, m) for c in codes for y, m in every]
        alls += [(c, y, 0) for c in codes for y in {y for y, _ in every}]
        stat_targets += [(scope, *k) for k in mine]
        day_targets += [(scope, *k) for k in set(mine) | set(alls)]
    cols = ["scope", "code", "year", "month"]
    targets = {
        "air_period_stat": pd.DataFrame(stat_targets, columns=cols).drop_duplicates(),
        "air_category_days": pd.DataFrame(day_targets, columns=cols).drop_duplicates(),
    }
    years = sorted({int(y) for t in targets.values() for y in t.year})
    computed: dict[str, list[pd.DataFrame]] = {name: [] for name in targets}
    for scope, key in (("station", "station_id"), ("city", "city_code")):
        ad = run.table("air_daily")  # as just written
        ad = ad.filter((ad.scope == scope) & ad.date.year().isin(years))
        daily = ad.mutate(**{key: ad.code})
        stat_codes = sorted(
            set(targets["air_period_stat"].code[targets["air_period_stat"].scope == scope])
        )
        for period in ("year", "month"):
            stats = air_stats.period_statistics(
                daily.filter(daily.code.isin(stat_codes)), key, period
            )
            days = air_days.category_days(daily, key, period, keys=keys[scope], last_day=new_last)
            srows, drows = period_rows(stats, days, scope, key, period)
            computed["air_period_stat"].append(srows.to_pandas())
            computed["air_category_days"].append(drows.to_pandas())
    written: dict[str, int] = {}
    with transaction(db):
        for name, target in targets.items():
            df = pd.concat(computed[name], ignore_index=True)
            df = df.merge(target, on=cols) if len(df) else df
            db.register("_air_targets", target)
            db.register("_air_period_rows", df)
            db.execute(
                f"DELETE FROM {name} t USING _air_targets r WHERE t.scope = r.scope "
                "AND t.code = r.code AND t.year = r.year AND t.month = r.month"
            )
            if len(df):
                names = ", ".join(df.columns)
                db.execute(f"INSERT INTO {name} ({names}) SELECT {names} FROM _air_period_rows")
            db.unregister("_air_period_rows")
            db.unregister("_air_targets")
            written[name] = len(df)
        delete_consumed_marks(db)
        set_state(db, results_version=new_results_version())
        if new_last is not None:
            set_state(db, last_day=new_last.isoformat())
    return written


def _months_between(a: date, b: date) -> list[tuple[int, int]]:
    out, y, m = [], a.year, a.month
    while (y, m) <= (b.year, b.month):
        out.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out
