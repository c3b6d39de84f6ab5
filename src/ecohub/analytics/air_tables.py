"""Air results computed from raw observations on any engine: the expressions of one run.

:func:`build` takes an Ibis backend holding ``observation`` and ``station`` tables (the
DuckDB store, or Spark over the lake) and returns the hourly/daily AQI expressions;
:func:`ecohub.analytics.air_layout.aqi_table` and
:func:`ecohub.analytics.air_annual.assess_tables` shape them. The store's ``air_*`` tables are
written and read by :mod:`ecohub.analytics.air_results`; the calls the CLI and the API make
are in :mod:`ecohub.analytics.air_service`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd

from ecohub.analytics import air
from ecohub.analytics.air_input import (
    AirInputError,
    InputReport,
    check_keys,
    check_observations,
    exclude_flagged,
    plausible_time,
)
from ecohub.analytics.regions import city_of, city_table
from ecohub.cst import CST

__all__ = [
    "EDITION_CHOICES",
    "AirTables",
    "build",
    "check_year",
    "parse_edition",
]

EDITION_CHOICES = ("auto", "2012", "2026")


# Years an assessment can be asked for: air data is judged by HJ 633 / HJ 663, in use from
# 2013; a year far past today can hold no observation (plausible_time) — 9999 is the bound
# a calendar date allows.
FIRST_YEAR, LAST_YEAR = 2013, 9999


def parse_edition(edition: str | int) -> int | str:
    """``"auto"`` or an HJ 633 edition year; raises :class:`AirInputError` otherwise."""
    text = str(edition).strip().lower()
    if text not in EDITION_CHOICES:
        raise AirInputError(
            f"edition must be one of {', '.join(EDITION_CHOICES)}, got {edition!r}", "edition"
        )
    return text if text == "auto" else int(text)


def check_year(year: object) -> int:
    """A calendar year to assess, or :class:`AirInputError` naming ``year``."""
    if isinstance(year, bool) or not isinstance(year, int) or not FIRST_YEAR <= year <= LAST_YEAR:
        raise AirInputError(
            f"year must be a calendar year from {FIRST_YEAR} (HJ 633 / HJ 663 in use) to "
            f"{LAST_YEAR}, got {year!r}",
            "year",
        )
    return year


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
    #: The tables materialised for this run (``Table.cache``), dropped by :meth:`release`.
    cached: list[Any] = field(default_factory=list)

    def release(self) -> None:
        """Drop the materialised tables now (a chunked run frees each chunk's before the
        next; otherwise they go when the expressions are garbage-collected)."""
        for t in self.cached:
            t.release()
        self.cached.clear()


def _cities(backend: Any, stations: list[str] | None, region: str | None) -> pd.DataFrame:
    st = backend.table("station")
    st = st.filter(st.network == "air") if "network" in st.columns else st
    df = st.select("station_id", "region_code").to_pandas()
    cities = city_table(df)
    if stations:
        unknown = sorted(set(stations) - set(cities.station_id))
        if unknown:
            raise AirInputError(f"unknown air station(s): {', '.join(unknown)}", "station")
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
            raise AirInputError(f"no air stations in region {region}", "region")
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
    days: Sequence[int] | None = None,
    reviewed: bool = True,
    check_day_before: bool = True,
) -> AirTables:
    """Check the observations and build every air expression for the selection.

    ``start``/``end`` (inclusive, CST days) bound the result; a day before ``start`` is
    read too, so the moving means of its first hours are whole, and checked (not counted)
    unless ``check_day_before`` is False — for a caller whose previous run checked that day
    (month chunks: the check then reads only the chunk's own months).
    ``days``: read only the observations of these CST day indices (an incremental run).
    ``reviewed``: leave out values the automatic data review set aside (the default);
    False assesses the raw record.

    Runs the checks and materialises, once, what every output reads: the hourly pivot
    with its moving means, and the station daily values and AQI (``Table.cache``: a temp
    table on DuckDB, a cached frame on Spark). Everything else stays an expression.
    """
    ed = parse_edition(edition)
    cities = _cities(backend, stations, region)
    obs = backend.table("observation")
    if reviewed:
        obs = exclude_flagged(backend, obs)
    # Bounds as instants compared with the stored column itself (no expression over it), so
    # a scan skips row groups and lake files by their min/max; UTC-aware literals read the
    # same on every engine (as plausible_time's).
    if start is not None:
        obs = obs.filter(obs.time >= ibis.literal(_cst(start - timedelta(days=1))))
    if end is not None:
        obs = obs.filter(obs.time < ibis.literal(_cst(end + timedelta(days=1))))
    obs = _month_partitions(obs, start - timedelta(days=1) if start is not None else None, end)
    # The station selection: a semi join, not an IN list (DuckDB tests an IN list of
    # constants item by item in the scan: 5,000 stations cost 4.4 CPU s per 26 M values
    # against 0.9 for the join). The hourly grid selects by its own join (the station index
    # it needs), so it reads ``obs`` without this one.
    ids = ibis.memtable(cities[["station_id"]].astype({"station_id": str}))
    selected = obs.semi_join(ids, "station_id")
    # Impossible stored times are counted by the check, then left out before any calendar
    # arithmetic (they are outside any start/end anyway). The day before ``start`` is read
    # for the moving means only: checked, not reported.
    first_instant = _cst(start) if start is not None else None
    checked = selected
    # The times ``checked`` can hold, when bounded on both sides (see check_observations).
    within = None
    if start is not None and end is not None:
        within = (_cst(start - timedelta(days=1)), _cst(end + timedelta(days=1)))
    if first_instant is not None and not check_day_before:
        checked = selected.filter(selected.time >= ibis.literal(first_instant))
        checked = _month_partitions(checked, start, end)
        within = None if within is None else (first_instant, within[1])
    report = (
        check_observations(checked, duplicates=False, count_from=first_instant, within=within)
        if check
        else InputReport()
    )
    obs = obs.filter(plausible_time(obs.time))
    if days is not None:
        obs = obs.filter((air.hour_index(obs.time) // 24).isin(sorted({int(d) for d in days})))
    hourly = air.hourly_values(obs, key_counts=check, stations=list(cities.station_id)).cache()
    cached = [hourly]
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
    cached.append(daily)
    c_hourly = air.city_hourly(hourly_all, cmap)
    if start is not None:
        c_hourly = c_hourly.filter(c_hourly.day >= (start - date(1970, 1, 1)).days)
    c_daily = air.city_daily(daily, c_hourly, cmap)
    # Hours without any row are in `hourly` (their moving means count for the day), but
    # the hourly report is only of the hours that were measured.
    observed = hourly.filter(hourly.observed)
    c_observed = c_hourly.filter(c_hourly.n_stations > 0)
    daily_aqi = air.daily_aqi(daily, ed, days=days).cache()
    # Cached too: every period table reads it, and its expression is the largest.
    city_daily_aqi = air.daily_aqi(c_daily, ed, days=days).cache()
    return AirTables(
        hourly=hourly,
        hourly_aqi=air.hourly_aqi(observed, ed, days=days),
        daily_aqi=daily_aqi,
        city_hourly_aqi=air.hourly_aqi(c_observed, ed, days=days),
        city_daily_aqi=city_daily_aqi,
        cities=cities,
        report=report,
        cached=[*cached, daily_aqi, city_daily_aqi],
    )


def _month_partitions(obs: ir.Table, first: date | None, last: date | None) -> ir.Table:
    """``obs`` limited to the lake's ``month`` partitions (CST ``YYYY-MM``) that can hold
    the days ``first .. last``, when it has that column (the store's ``observation_all``,
    whose hot rows have none, or a lake read with its hive columns).

    The time bounds alone already give the right rows, but an engine learns that a file
    holds none of them only by opening it (its footer's min/max); a partition value it
    can test on the path. A run in month chunks reads the lake once per chunk, so the
    files of the other months were opened again by every chunk.
    """
    if "month" not in obs.columns or not obs.schema()["month"].is_string():
        return obs
    # Hot rows of the store's `observation_all` have no partition (NULL): always kept.
    if first is not None:
        obs = obs.filter(obs.month.isnull() | (obs.month >= f"{first.year:04d}-{first.month:02d}"))
    if last is not None:
        obs = obs.filter(obs.month.isnull() | (obs.month <= f"{last.year:04d}-{last.month:02d}"))
    return obs


def _cst(d: date) -> datetime:
    """00:00 CST (UTC+8) on ``d``, as a UTC instant."""
    return datetime(d.year, d.month, d.day, tzinfo=CST).astimezone(UTC)
