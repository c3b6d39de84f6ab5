"""The monthly series of the trend tests, built in the engine (Ibis: DuckDB or Spark).

Values are judged as the air assessment judges them (:func:`ecohub.analytics.air_input.
valid_mask`: flag N or none, finite, non-negative); the reviewed record leaves out the values
the data review set aside (:func:`ecohub.analytics.air_input.review_set_aside`). Daily (CST)
means, then monthly means of valid days, with HJ 663's validity minimums for the six air
pollutants. :mod:`ecohub.analytics.trend` tests the series.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from functools import cache
from typing import Any

import ibis
import pandas as pd

from ecohub.analytics._time import cst_date
from ecohub.analytics.air_input import REVIEW_KEYS, plausible_time, valid_mask
from ecohub.standards import air
from ecohub.standards.editions import editions_of, load_table
from ecohub.standards.errors import UnknownParameter

__all__ = ["monthly_means", "reviewed_out", "set_aside_times"]


def _min_per_day(name: str, edition: int) -> int:
    try:
        return air.min_count("24h", name, edition)
    except UnknownParameter:
        # GB 3095 defines no 24-h mean of O3 (its daily statistic is the maximum 8-h mean);
        # for a monthly mean of O3 we hold its days to the other gases' rule (our choice).
        return air.min_count("24h", "NO2", edition)


@cache
def _rules() -> pd.DataFrame:
    """Per air pollutant code and HJ 663 edition: the daily and monthly minimum counts."""
    codes = {r["name"]: r["hj212_code"] for r in load_table("hj633_pollutants.csv")}
    rows = []
    eds = editions_of("HJ663")
    for k, ed in enumerate(eds):
        # Before HJ 663-2013 no national rule existed; its rule judges earlier data too, so
        # a series starting in early 2013 (Beijing) is judged the same way throughout.
        start = date(1900, 1, 1) if k == 0 else (ed.in_use_from or ed.valid_from)
        end = ed.valid_to or date(9999, 12, 31)
        for name, code in codes.items():
            edition = int(ed.edition)
            rows.append(
                {
                    "parameter": code,
                    "ed_from": start,
                    "ed_to": end,
                    "min_per_day": _min_per_day(name, edition),
                    "min_days": air.min_count("month", name, edition),
                    "min_days_feb": air.min_count("month_feb", name, edition),
                }
            )
    return pd.DataFrame(rows)


def monthly_means(
    obs: Any,
    *,
    stations: Sequence[str] | None = None,
    parameters: Sequence[str] | None = None,
    start: date | None = None,
    end: date | None = None,
    set_aside: Any | None = None,
) -> Any:
    """Monthly mean of each (station, parameter), as an Ibis table.

    ``obs``: a table with the ``observation`` columns. ``set_aside``: the keys of values the
    data review set aside (:func:`~ecohub.analytics.air_input.review_set_aside`), left out
    (the reviewed record); None reads every value (the raw record). Rows with a missing,
    non-finite or negative value or an HJ 212 flag other than N are left out and counted
    (``n_rejected`` over the month). Daily means (CST days) then monthly means of valid
    days; for the six air pollutants a day needs ``min_per_day`` values and a month
    ``min_days`` (February ``min_days_feb``) days (HJ 663, the edition in force on the
    day), other parameters need one. Columns: ``station_id, parameter, unit, n_units,
    year, month, value, n_days, valid_month, n_rejected``; ``n_units`` > 1 means mixed
    units (the caller must refuse).
    """
    t = _window(obs, stations, parameters, start, end)
    if set_aside is not None:
        t = t.anti_join(set_aside, list(REVIEW_KEYS))
    # The air assessment's test of a value (air_input.valid_mask), for every parameter.
    t = t.mutate(bad=~valid_mask(t.value, t.flag))
    rules = ibis.memtable(_rules())
    j = t.left_join(
        rules,
        [t.parameter == rules.parameter, t.date >= rules.ed_from, t.date <= rules.ed_to],
    )
    j = j.drop(*(c for c in j.columns if c.endswith("_right")), "ed_from", "ed_to")
    good = j.filter(~j.bad)
    daily = good.group_by(["station_id", "parameter", "date"]).agg(
        value=good.value.mean(),
        n=good.value.count(),
        unit=good.unit.max(),
        n_units=good.unit.nunique(),
        min_per_day=good.min_per_day.max().fill_null(1),
        min_days=good.min_days.max().fill_null(1),
        min_days_feb=good.min_days_feb.max().fill_null(1),
    )
    daily = daily.filter(daily.n >= daily.min_per_day)
    daily = daily.mutate(year=daily.date.year(), month=daily.date.month())
    daily = daily.mutate(
        need=ibis.cases((daily.month == 2, daily.min_days_feb), else_=daily.min_days)
    )
    monthly = daily.group_by(["station_id", "parameter", "year", "month"]).agg(
        value=daily.value.mean(),
        n_days=daily.value.count(),
        unit=daily.unit.max(),
        n_units=daily.n_units.max(),
        need=daily.need.max(),
    )
    rejected = (
        j.mutate(year=j.date.year(), month=j.date.month())
        .group_by(["station_id", "parameter", "year", "month"])
        .agg(n_rejected=j.bad.cast("int64").sum())
    )
    out = monthly.left_join(rejected, ["station_id", "parameter", "year", "month"])
    out = out.drop(*(c for c in out.columns if c.endswith("_right")))
    return out.mutate(valid_month=out.n_days >= out.need).drop("need")


def _selected(obs: Any, stations: Sequence[str] | None, parameters: Sequence[str] | None) -> Any:
    t = obs
    if stations:
        t = t.filter(t.station_id.isin(list(stations)))
    if parameters:
        t = t.filter(t.parameter.isin(list(parameters)))
    return t


def _window(
    obs: Any,
    stations: Sequence[str] | None,
    parameters: Sequence[str] | None,
    start: date | None,
    end: date | None,
) -> Any:
    """The selected rows at plausible times within the CST days ``start``..``end``, with
    their ``date``."""
    t = _selected(obs, stations, parameters)
    # An impossible stored time never reaches calendar arithmetic (see set_aside_times).
    t = t.filter(plausible_time(t.time))
    t = t.mutate(date=cst_date(t.time))
    if start is not None:
        t = t.filter(t.date >= start)
    if end is not None:
        t = t.filter(t.date <= end)
    return t


def reviewed_out(
    obs: Any,
    set_aside: Any,
    stations: Sequence[str] | None,
    parameters: Sequence[str] | None,
    start: date | None,
    end: date | None,
) -> dict[tuple[str, str], int]:
    """Per (station, parameter): values of the window the data review set aside."""
    t = _window(obs, stations, parameters, start, end).semi_join(set_aside, list(REVIEW_KEYS))
    df = t.group_by(["station_id", "parameter"]).agg(n=t.count()).to_pandas()
    return {
        (str(sid), str(par)): int(n)
        for sid, par, n in zip(df.station_id, df.parameter, df.n, strict=True)
    }


def set_aside_times(
    obs: Any,
    *,
    stations: Sequence[str] | None = None,
    parameters: Sequence[str] | None = None,
) -> pd.DataFrame:
    """``station_id, parameter, n``: rows whose stored time cannot be an observation's
    (``air_input.plausible_time``), left out of the monthly means and counted."""
    t = _selected(obs, stations, parameters)
    t = t.filter(~plausible_time(t.time))
    return t.group_by(["station_id", "parameter"]).agg(n=t.count()).to_pandas()
