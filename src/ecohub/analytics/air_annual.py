"""HJ 663 assessment of a run's tables on any engine: statistics and category days per period,
and the annual assessment (statistics, category days, comprehensive index with city ranks,
monthly good-day ratios) as frames in one order."""

from __future__ import annotations

import ibis.expr.types as ir
import pandas as pd

from ecohub.analytics import air_days, air_stats
from ecohub.analytics.air_tables import AirTables, check_year

__all__ = ["assess_tables", "period_tables", "tidy_assessment"]


def period_tables(tables: AirTables, scope: str, period: str) -> tuple[ir.Table, ir.Table]:
    """HJ 663 statistics and category days of ``scope`` (station | city) per ``period``;
    category days cover every station (or city) of the selection."""
    daily = tables.city_daily_aqi if scope == "city" else tables.daily_aqi
    key = "city_code" if scope == "city" else "station_id"
    keys = sorted(set(tables.cities[key]))
    return (
        air_stats.period_statistics(daily, key, period),
        air_days.category_days(daily, key, period, keys=keys),
    )


def assess_tables(tables: AirTables, year: int) -> dict[str, pd.DataFrame]:
    """HJ 663 annual assessment of ``year`` for every city and station of ``tables``,
    computed from the expressions (any engine; the store's copy is read by air_service).

    Returns frames: ``stats`` (scope, code, pollutant, statistic, value, n_days, valid),
    ``days`` (category days and good-day ratio), ``index`` (comprehensive index with
    city ``rank``), and ``monthly`` (city monthly good-day ratio with MoM/YoY change).
    """
    check_year(year)
    out: dict[str, list[pd.DataFrame]] = {"stats": [], "days": [], "index": []}
    for scope, key in (("city", "city_code"), ("station", "station_id")):
        stats, days = period_tables(tables, scope, "year")
        stats, days = stats.filter(stats.year == year), days.filter(days.year == year)
        idx = air_stats.comprehensive(stats, key)
        if scope == "city":
            idx = air_stats.ranking(idx, key)
        for name, t in (("stats", stats), ("days", days), ("index", idx)):
            df = t.to_pandas().rename(columns={key: "code"})
            df.insert(0, "scope", scope)
            out[name].append(df)
    _, mdays = period_tables(tables, "city", "month")
    monthly = air_days.change(mdays, "city_code", "good_ratio")
    monthly = monthly.filter(monthly.year == year).to_pandas().rename(columns={"city_code": "code"})
    result = {k: pd.concat(v, ignore_index=True) for k, v in out.items()}
    result["monthly"] = monthly
    return tidy_assessment(result)


def tidy_assessment(result: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The assessment frames in one order: by scope, code (and pollutant or month)."""
    result["monthly"] = result["monthly"].sort_values(["code", "month"]).reset_index(drop=True)
    result["stats"] = (
        result["stats"]
        .sort_values(["scope", "code", "pollutant", "statistic"])
        .reset_index(drop=True)
    )
    result["days"] = result["days"].sort_values(["scope", "code"]).reset_index(drop=True)
    result["index"] = result["index"].sort_values(["scope", "code"]).reset_index(drop=True)
    return result
