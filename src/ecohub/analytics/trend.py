"""Monotonic trends per station and parameter: Mann-Kendall and seasonal Kendall, Sen's slope.

The engine builds the monthly series (Ibis, DuckDB or Spark): values are checked, averaged
per CST day, then per month, with HJ 663's validity minimums for the air pollutants
(:func:`ecohub.standards.air.min_count`: 20 hourly values a day, 27 days a month, 25 in
February). Each (station, parameter) series then goes through the test in Python
(:mod:`ecohub.analytics.kendall`: seasonal Kendall for monthly series, Mann-Kendall when
``seasonal=False``; the minimum lengths are explained there).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, date, datetime
from functools import cache
from typing import Any

import ibis
import pandas as pd

from ecohub.analytics._floats import infinite
from ecohub.analytics._time import cst_date
from ecohub.analytics.air_input import TIME_SET_ASIDE, plausible_time
from ecohub.analytics.kendall import (
    ALPHA,
    MIN_VALUES,
    MIN_YEARS,
    TrendResult,
    mann_kendall,
    mk_statistics,
    seasonal_kendall,
)
from ecohub.standards import air
from ecohub.standards.editions import editions_of, load_table
from ecohub.standards.errors import UnknownParameter

__all__ = [
    "MIN_VALUES",
    "MIN_YEARS",
    "TrendResult",
    "mann_kendall",
    "mk_statistics",
    "monthly_means",
    "seasonal_kendall",
    "store_trends",
    "trends",
]

VALID_FLAGS = ("N",)  # HJ 212 flag N = normal; NULL = unflagged (manual/laboratory data)


# ------------------------------------------------------------------ series in the engine


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
) -> Any:
    """Monthly mean of each (station, parameter), as an Ibis table.

    ``obs``: a table with the ``observation`` columns. Rows with a missing, non-finite or
    negative value or an HJ 212 flag other than N are left out and counted (``n_rejected``
    over the month). Daily means (CST days) then monthly means of valid days; for the six
    air pollutants a day needs ``min_per_day`` values and a month ``min_days`` (February
    ``min_days_feb``) days (HJ 663, the edition in force on the day), other parameters need
    one. Columns: ``station_id, parameter, unit, n_units, year, month, value, n_days,
    valid_month, n_rejected``; ``n_units`` > 1 means mixed units (the caller must refuse).
    """
    t = _selected(obs, stations, parameters)
    # An impossible stored time never reaches calendar arithmetic (see set_aside_times).
    t = t.filter(plausible_time(t.time))
    t = t.mutate(date=cst_date(t.time))
    if start is not None:
        t = t.filter(t.date >= start)
    if end is not None:
        t = t.filter(t.date <= end)
    flag = t.flag.strip().upper()
    bad = (
        t.value.isnull()
        | t.value.isnan()
        | infinite(t.value)
        | (t.value < 0)
        | (flag.notnull() & ~flag.isin(VALID_FLAGS))
    )
    t = t.mutate(bad=bad)
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


def trends(
    obs: Any,
    *,
    stations: Sequence[str] | None = None,
    parameters: Sequence[str] | None = None,
    start: date | None = None,
    end: date | None = None,
    seasonal: bool = True,
    alpha: float = ALPHA,
) -> pd.DataFrame:
    """Trend test of every (station, parameter) series of ``obs``; one row per series.

    Columns: ``station_id, parameter, unit, test, period_from, period_to, n, n_months``
    (months spanned), ``n_rejected, s, var_s, z, p, tau, slope_per_year, trend, alpha,
    note``. A series too short for the test has ``trend = "insufficient data"`` and the
    reason in ``note``; a series in more than one unit raises ``ValueError``.
    """
    m = monthly_means(obs, stations=stations, parameters=parameters, start=start, end=end)
    df = m.to_pandas()
    mixed = df[df.n_units > 1]
    if not mixed.empty:
        r = mixed.iloc[0]
        raise ValueError(f"unit: {r.station_id} {r.parameter} is stored in more than one unit")
    bad = set_aside_times(obs, stations=stations, parameters=parameters)
    bad_times = {
        (str(sid), str(par)): int(n)
        for sid, par, n in zip(bad.station_id, bad.parameter, bad.n, strict=True)
    }
    rows = []
    for (sid, par), g in df.groupby(["station_id", "parameter"], sort=True):
        g = g.sort_values(["year", "month"])
        ok = g[g.valid_month.astype(bool)]
        idx = g.year * 12 + g.month - 1
        first, last = int(idx.min()), int(idx.max())
        row: dict[str, Any] = {
            "station_id": sid,
            "parameter": par,
            "unit": g.unit.iloc[0],
            "test": "seasonal_mk" if seasonal else "mk",
            "period_from": date(first // 12, first % 12 + 1, 1),
            "period_to": date(last // 12, last % 12 + 1, 1),
            "n": len(ok),
            "n_months": last - first + 1,
            "n_rejected": int(g.n_rejected.fillna(0).sum()),
            "alpha": alpha,
            "note": "",
        }
        n_bad = bad_times.get((str(sid), str(par)), 0)
        if n_bad:
            row["n_rejected"] += n_bad
            row["note"] = f"{n_bad} row(s) set aside: {TIME_SET_ASIDE}"
        try:
            if seasonal:
                res = seasonal_kendall(ok.value, ok.month, ok.year, alpha)
            else:
                res = mann_kendall(ok.value, (ok.year * 12 + ok.month - 1) / 12.0, alpha)
        except ValueError as exc:
            row.update(
                trend="insufficient data", note="; ".join(filter(None, [row["note"], str(exc)]))
            )
        else:
            row.update({k: v for k, v in asdict(res).items() if k not in ("test", "alpha")})
        rows.append(row)
    cols = ["station_id", "parameter", "unit", "test", "period_from", "period_to", "n"]
    cols += ["n_months", "n_rejected", "s", "var_s", "z", "p", "tau", "slope_per_year"]
    cols += ["trend", "alpha", "note"]
    return pd.DataFrame(rows).reindex(columns=cols)


def store_trends(con: Any, table: pd.DataFrame) -> int:
    """Upsert :func:`trends` rows into ``trend_result`` (DuckDB store); rows written."""
    cols = ["station_id", "parameter", "test", "period_from", "period_to", "unit", "n", "s"]
    cols += ["var_s", "z", "p", "tau", "slope_per_year", "trend", "alpha", "note"]
    rows = table.reindex(columns=cols).assign(computed_at=datetime.now(UTC))
    from ecohub.catalog.produce import note

    params = {
        "stations": sorted(map(str, rows["station_id"].dropna().unique()))[:100],
        "parameters": sorted(map(str, rows["parameter"].dropna().unique())),
        "tests": sorted(map(str, rows["test"].dropna().unique())),
        "period_from": None if rows.empty else str(rows["period_from"].min()),
        "period_to": None if rows.empty else str(rows["period_to"].max()),
        "rows": len(rows),
    }
    con.register("_ecohub_trend_rows", rows)
    con.execute("BEGIN")
    try:
        con.execute(
            f"INSERT OR REPLACE INTO trend_result ({', '.join([*cols, 'computed_at'])}) "
            "SELECT * FROM _ecohub_trend_rows"
        )
        note(con, "trend_result", "trend", [("resource", "observation")], params)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        con.unregister("_ecohub_trend_rows")
    return len(rows)
