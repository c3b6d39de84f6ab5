"""Days per AQI level in a period (HJ 663): good days (优+良), the good-day ratio (优良天数比例),
primary-pollutant days, and month-on-month / year-on-year change of a monthly value."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import ibis
import ibis.expr.types as ir
import pandas as pd

from ecohub.analytics.air_stats import period_keys
from ecohub.analytics.aqi import POLLUTANT_COLUMNS, half_even
from ecohub.standards.aqi import POLLUTANTS

__all__ = ["category_days", "change"]


def category_days(
    daily_aqi: ir.Table,
    key: str = "station_id",
    period: str = "year",
    keys: Sequence[str] | None = None,
    last_day: date | None = None,
) -> ir.Table:
    """Days per AQI level, good days (优+良), good-day ratio and primary-pollutant days.

    A day counts when its AQI is complete (all six pollutants' daily values valid).
    ``days_incomplete`` is every other day of the period's calendar, reported beside and not
    in the ratio: days with some data, and days with no row at all. The calendar runs from
    the period's first day to its last, or to ``last_day`` (default: the last day of
    ``daily_aqi``) when that comes first. ``keys`` are the stations (or cities) of the
    assessment: each gets a row for every period that has data, even with no row of its
    own (default: the keys that have rows). ``primary_<p>`` counts the days (AQI > 50) on
    which pollutant p was primary (ties count for each).
    """
    t, pkeys = period_keys(daily_aqi, period)
    ok = t.complete.fill_null(False) & t.aqi.notnull()
    aggs = {f"level{lv}": (ok & (t.level == lv)).cast("int32").sum() for lv in range(1, 7)}
    for p in POLLUTANTS:
        c = POLLUTANT_COLUMNS[p]
        aggs[f"primary_{c}"] = (ok & (t.aqi > 50) & (t[f"iaqi_{c}"] == t.aqi)).cast("int32").sum()
    counts = t.group_by([key, *pkeys]).agg(
        days=ok.cast("int32").sum(), good_days=(ok & (t.level <= 2)).cast("int32").sum(), **aggs
    )
    if last_day is None:
        last = t.date.max().to_pyarrow().as_py()
        last_day = last if last is not None else date(1970, 1, 1)
    present = t.select(*pkeys).distinct().to_pandas()
    key_list = (
        list(keys)
        if keys is not None
        else [str(k) for k in t.select(key).distinct().to_pandas()[key]]
    )
    frame = _calendar(present, pkeys, last_day).merge(pd.DataFrame({key: key_list}), how="cross")
    # In the schema's order: Spark builds a memtable from the frame by position.
    frame = frame[[key, *pkeys, "calendar_days"]]
    cal = ibis.memtable(frame, schema={key: "string", **{k: "int32" for k in pkeys},
                                       "calendar_days": "int32"})  # fmt: skip
    out = cal.left_join(counts, [key, *pkeys]).select(
        cal, *(counts[c].fill_null(0).name(c) for c in counts.columns if c not in (key, *pkeys))
    )
    return out.mutate(
        days_incomplete=(out.calendar_days - out.days).cast("int32"),
        good_ratio=ibis.cases(
            (out.days > 0, half_even(out.good_days.cast("float64") * 100 / out.days, 1)),
            else_=ibis.null("float64"),
        ),
    ).drop("calendar_days")


def _calendar(periods: pd.DataFrame, pkeys: list[str], last_day: date) -> pd.DataFrame:
    """``pkeys, calendar_days``: days from each period's first day to its last or ``last_day``."""
    rows = []
    for r in periods.to_dict("records"):
        year = int(r["year"])
        if "month" in pkeys:
            month = int(r["month"])
            first = date(year, month, 1)
            end = date(year, 12, 31) if month == 12 else date(year, month + 1, 1) - timedelta(1)
        else:
            first, end = date(year, 1, 1), date(year, 12, 31)
        n = max(0, (min(end, last_day) - first).days + 1)
        rows.append((year, *((month,) if "month" in pkeys else ()), n))
    return pd.DataFrame(rows, columns=[*pkeys, "calendar_days"])


def change(monthly: ir.Table, key: str, value: str) -> ir.Table:
    """Month-on-month (环比) and year-on-year (同比) change of ``value``.

    ``monthly`` has ``key, year, month`` (plus ``pollutant`` when present) and ``value``;
    adds ``prev_month, mom_pct, prev_year, yoy_pct``: the relative change in percent (NULL
    where the other period is missing or zero), and ``mom_points, yoy_points``: the
    difference itself, which for a ratio in percent such as the good-day ratio is its change
    in percentage points (个百分点), the way bulletins state it (NULL where the other period
    is missing).
    """
    groups = [key] + (["pollutant"] if "pollutant" in monthly.columns else [])
    t = monthly.mutate(m=monthly.year * 12 + monthly.month - 1)
    base = t.select(*groups, m=t.m, v=t[value])
    prev_m = base.mutate(m=base.m + 1).rename(prev_month="v")
    prev_y = base.mutate(m=base.m + 12).rename(prev_year="v")
    keys = [*groups, "m"]
    out = t.left_join(prev_m, keys).select(t, prev_m.prev_month)
    out = out.left_join(prev_y, keys).select(out, prev_y.prev_year)

    def pct(prev: ir.FloatingValue) -> ir.FloatingValue:
        return ibis.cases(
            (
                prev > 0,
                half_even((out[value] - prev).abs() * 100 / prev, 1) * (out[value] - prev).sign(),
            ),
            else_=ibis.null("float64"),
        )

    def points(prev: ir.FloatingValue) -> ir.FloatingValue:
        return half_even(out[value] - prev, 1)

    return out.mutate(
        mom_pct=pct(out.prev_month),
        yoy_pct=pct(out.prev_year),
        mom_points=points(out.prev_month),
        yoy_points=points(out.prev_year),
    ).drop("m")
