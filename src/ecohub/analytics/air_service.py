"""Air services over a store or lake: the calls the CLI and the API make.

Each takes an Ibis backend holding ``observation`` and ``station`` tables (the DuckDB
store, or Spark over the lake) and returns plain data (pandas frames, dicts); writing
results into the store's ``air_*`` tables is :func:`compute`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir
import pandas as pd

from ecohub.analytics import air, air_stats
from ecohub.analytics.air_input import (
    AirInputError,
    InputReport,
    check_keys,
    check_observations,
    plausible_time,
)
from ecohub.analytics.regions import city_of, city_table
from ecohub.cst import CST

__all__ = ["AirTables", "aqi_table", "assess", "build", "compute", "parse_edition"]

EDITION_CHOICES = ("auto", "2012", "2026")


def parse_edition(edition: str | int) -> int | str:
    """``"auto"`` or an HJ 633 edition year; raises :class:`AirInputError` otherwise."""
    text = str(edition).strip().lower()
    if text not in EDITION_CHOICES:
        raise AirInputError(f"edition must be one of {', '.join(EDITION_CHOICES)}, got {edition!r}")
    return text if text == "auto" else int(text)


@dataclass
class AirTables:
    """The expressions of one assessment run (nothing executed yet, except the checks)."""

    hourly: ir.Table
    hourly_aqi: ir.Table
    daily_aqi: ir.Table
    city_hourly_aqi: ir.Table
    city_daily_aqi: ir.Table
    cities: pd.DataFrame
    report: InputReport


def _cities(backend: Any, stations: list[str] | None, region: str | None) -> pd.DataFrame:
    st = backend.table("station")
    st = st.filter(st.network == "air") if "network" in st.columns else st
    df = st.select("station_id", "region_code").to_pandas()
    cities = city_table(df)
    if stations:
        unknown = sorted(set(stations) - set(cities.station_id))
        if unknown:
            raise AirInputError(f"unknown air station(s): {', '.join(unknown)}")
        cities = cities[cities.station_id.isin(stations)]
    if region:
        want = city_of(region)
        mask = (
            cities.city_code.eq(want)
            | df.set_index("station_id")
            .reindex(cities.station_id)
            .region_code.astype(str)
            .str.startswith(region.rstrip("0") or region)
            .to_numpy()
        )
        cities = cities[mask]
        if cities.empty:
            raise AirInputError(f"no air stations in region {region}")
    return cities.reset_index(drop=True)


def build(
    backend: Any,
    *,
    edition: int | str = "auto",
    stations: list[str] | None = None,
    region: str | None = None,
    start: date | None = None,
    end: date | None = None,
    check: bool = True,
) -> AirTables:
    """Check the observations and build every air expression for the selection.

    ``start``/``end`` (inclusive, CST days) bound the result; a day before ``start`` is
    read too, so the moving means of its first hours are whole.

    Runs the checks and materialises, once, what every output reads: the hourly pivot
    with its moving means, and the station daily values and AQI (``Table.cache``: a temp
    table on DuckDB, a cached frame on Spark). Everything else stays an expression.
    """
    ed = parse_edition(edition)
    cities = _cities(backend, stations, region)
    obs = backend.table("observation")
    obs = obs.filter(obs.station_id.isin(list(cities.station_id)))
    # Bounds as epoch seconds: time-zone literals are spelled differently per engine.
    if start is not None:
        obs = obs.filter(obs.time.epoch_seconds() >= _cst(start - timedelta(days=1)))
    if end is not None:
        obs = obs.filter(obs.time.epoch_seconds() < _cst(end + timedelta(days=1)))
    # Impossible stored times are counted by the check, then left out before any calendar
    # arithmetic (they are outside any start/end anyway).
    report = check_observations(obs, duplicates=False) if check else InputReport()
    obs = obs.filter(plausible_time(obs.time))
    hourly = air.hourly_values(obs, key_counts=check).cache()
    if check:
        check_keys(obs, hourly)
        hourly = hourly.drop("rows_max")
    span = hourly.aggregate(lo=hourly.day.min(), hi=hourly.day.max()).to_pyarrow().to_pylist()[0]
    days = None if span["lo"] is None else (int(span["lo"]), int(span["hi"]))
    if start is not None:
        first = (start - date(1970, 1, 1)).days
        hourly_all = hourly
        hourly = hourly.filter(hourly.day >= first)
    else:
        hourly_all = hourly
    cmap = ibis.memtable(cities[["station_id", "city_code"]])
    daily = air.daily_values(hourly).cache()
    c_hourly = air.city_hourly(hourly_all, cmap)
    if start is not None:
        c_hourly = c_hourly.filter(c_hourly.day >= (start - date(1970, 1, 1)).days)
    c_daily = air.city_daily(daily, c_hourly, cmap)
    # Hours without any row are in `hourly` (their moving means count for the day), but
    # the hourly report is only of the hours that were measured.
    observed = hourly.filter(hourly.observed)
    c_observed = c_hourly.filter(c_hourly.n_stations > 0)
    return AirTables(
        hourly=hourly,
        hourly_aqi=air.hourly_aqi(observed, ed, days=days),
        daily_aqi=air.daily_aqi(daily, ed, days=days).cache(),
        city_hourly_aqi=air.hourly_aqi(c_observed, ed, days=days),
        city_daily_aqi=air.daily_aqi(c_daily, ed, days=days),
        cities=cities,
        report=report,
    )


def _cst(d: date) -> int:
    """Epoch seconds of 00:00 CST (UTC+8) on ``d``."""
    return int(datetime(d.year, d.month, d.day, tzinfo=CST).timestamp())


_HOURLY_COLS = [
    "time",
    "edition",
    "so2_1h",
    "no2_1h",
    "pm10_1h",
    "co_1h",
    "o3_1h",
    "pm25_1h",
    "o3_8h",
    "so2_24h",
    "pm10_24h",
    "pm25_24h",
    "iaqi_so2",
    "iaqi_no2",
    "iaqi_pm10",
    "iaqi_co",
    "iaqi_o3",
    "iaqi_pm25",
    "aqi",
    "level",
    "category",
    "primary_pollutants",
    "complete",
    "published",
]
_DAILY_COLS = [
    "date",
    "edition",
    "so2_24h",
    "no2_24h",
    "pm10_24h",
    "co_24h",
    "o3_1h",
    "o3_8h",
    "pm25_24h",
    "n_so2",
    "n_no2",
    "n_pm10",
    "n_co",
    "n_o3",
    "n_pm25",
    "n_o3_8h",
    "iaqi_so2",
    "iaqi_no2",
    "iaqi_pm10",
    "iaqi_co",
    "iaqi_o3",
    "iaqi_pm25",
    "aqi",
    "level",
    "category",
    "primary_pollutants",
    "complete",
    "published",
]


def _scoped(t: ir.Table, scope: str, key: str, cols: list[str]) -> ir.Table:
    # Nullable types throughout, so station and city rows union into one table.
    return t.select(
        scope=ibis.literal(scope),
        code=t[key].cast(dt.String(nullable=True)),
        **{c: t[c].cast(t[c].type().copy(nullable=True)) for c in cols},
    )


def aqi_table(tables: AirTables, kind: str = "daily", scope: str = "station") -> ir.Table:
    """The hourly or daily AQI rows in the store's ``air_*`` column layout."""
    if kind not in ("hourly", "daily"):
        raise AirInputError(f"kind must be hourly or daily, got {kind!r}")
    cols = _HOURLY_COLS if kind == "hourly" else _DAILY_COLS
    if scope == "city":
        src = tables.city_hourly_aqi if kind == "hourly" else tables.city_daily_aqi
        return _scoped(src, "city", "city_code", cols)
    src = tables.hourly_aqi if kind == "hourly" else tables.daily_aqi
    return _scoped(src, "station", "station_id", cols)


def _stats(tables: AirTables, scope: str, period: str) -> tuple[ir.Table, ir.Table]:
    daily = tables.city_daily_aqi if scope == "city" else tables.daily_aqi
    key = "city_code" if scope == "city" else "station_id"
    return (
        air_stats.period_statistics(daily, key, period),
        air_stats.category_days(daily, key, period),
    )


def assess(tables: AirTables, year: int) -> dict[str, pd.DataFrame]:
    """HJ 663 annual assessment of ``year`` for every city and station of ``tables``.

    Returns frames: ``stats`` (scope, code, pollutant, statistic, value, n_days, valid),
    ``days`` (category days and good-day ratio), ``index`` (comprehensive index with
    city ``rank``), and ``monthly`` (city monthly good-day ratio with MoM/YoY change).
    """
    out: dict[str, list[pd.DataFrame]] = {"stats": [], "days": [], "index": []}
    for scope, key in (("city", "city_code"), ("station", "station_id")):
        stats, days = _stats(tables, scope, "year")
        stats, days = stats.filter(stats.year == year), days.filter(days.year == year)
        idx = air_stats.comprehensive(stats, key)
        if scope == "city":
            idx = air_stats.ranking(idx, key)
        for name, t in (("stats", stats), ("days", days), ("index", idx)):
            df = t.to_pandas().rename(columns={key: "code"})
            df.insert(0, "scope", scope)
            out[name].append(df)
    _, mdays = _stats(tables, "city", "month")
    monthly = air_stats.change(mdays, "city_code", "good_ratio")
    monthly = monthly.filter(monthly.year == year).to_pandas().rename(columns={"city_code": "code"})
    result = {k: pd.concat(v, ignore_index=True) for k, v in out.items()}
    result["monthly"] = monthly.sort_values(["code", "month"]).reset_index(drop=True)
    result["stats"] = (
        result["stats"].sort_values(["scope", "code", "pollutant"]).reset_index(drop=True)
    )
    result["days"] = result["days"].sort_values(["scope", "code"]).reset_index(drop=True)
    return result


def _union(parts: list[ir.Table]) -> ir.Table:
    """Union parts whose columns differ only in nullability."""
    same = [
        p.select(**{c: p[c].cast(p[c].type().copy(nullable=True)) for c in p.columns})
        for p in parts
    ]
    return ibis.union(*same)


def compute(con: Any, *, edition: int | str = "auto") -> dict[str, int]:
    """Recompute every ``air_*`` table of the DuckDB store ``con`` from ``observation``.

    Idempotent: each table is replaced whole, in one transaction. Returns rows written.
    """
    from ecohub.store.engine import ibis_duckdb

    backend = ibis_duckdb(con)
    tables = build(backend, edition=edition)
    written: dict[str, int] = {}
    frames: dict[str, list[ir.Table]] = {"air_hourly_aqi": [], "air_daily": []}
    stat_parts, day_parts = [], []
    for scope in ("station", "city"):
        frames["air_hourly_aqi"].append(aqi_table(tables, "hourly", scope))
        frames["air_daily"].append(aqi_table(tables, "daily", scope))
        key = "city_code" if scope == "city" else "station_id"
        for period in ("year", "month"):
            stats, days = _stats(tables, scope, period)
            month = stats.month if period == "month" else ibis.literal(0, "int32")
            dmonth = days.month if period == "month" else ibis.literal(0, "int32")
            stat_parts.append(
                stats.select(
                    scope=ibis.literal(scope),
                    code=stats[key],
                    year=stats.year,
                    month=month,
                    pollutant=stats.pollutant,
                    statistic=stats.statistic,
                    value=stats.value,
                    n_days=stats.n_days,
                    valid=stats.valid,
                )
            )
            day_cols = [c for c in days.columns if c not in (key, "year", "month")]
            day_parts.append(
                days.select(
                    scope=ibis.literal(scope),
                    code=days[key],
                    year=days.year,
                    month=dmonth,
                    **{c: days[c] for c in day_cols},
                )
            )
    plan = {
        "air_hourly_aqi": _union(frames["air_hourly_aqi"]),
        "air_daily": _union(frames["air_daily"]),
        "air_period_stat": _union(stat_parts),
        "air_category_days": _union(day_parts),
    }
    # One transaction on the connection Ibis writes with (its own cursor: see ibis_duckdb),
    # so the deletes, the inserts and the counts are one atomic change.
    db = backend.con
    db.execute("BEGIN")
    try:
        for name, expr in plan.items():
            db.execute(f"DELETE FROM {name}")
            backend.insert(name, expr)
            written[name] = int(db.execute(f"SELECT count(*) FROM {name}").fetchone()[0])
        db.execute("COMMIT")
    except Exception:
        db.execute("ROLLBACK")
        raise
    return written
