"""HJ 663 period assessment from daily values: monthly and annual statistics with their
validity, days per AQI level, good-day ratio (优良天数比例), primary-pollutant days, the
comprehensive index (综合指数), city ranking, and month-on-month / year-on-year change.

Statistics per ``hj663_statistics.csv``: means of the valid daily values (SO2, NO2,
PM10, PM2.5), CO 95th and O3 90th percentile (HJ 663 Appendix A: k = 1 + (n-1)p/100,
linear interpolation — computed here from row numbers, not an engine's approximate
percentile), rounded half-to-even to the reporting precision. Validity: a month needs
27 valid days (February 25); a year 324 valid days and every month valid.
"""

from __future__ import annotations

from functools import cache

import ibis
import ibis.expr.types as ir

from ecohub.analytics.aqi import POLLUTANT_COLUMNS, by_date, half_even
from ecohub.standards.air import limit, min_count
from ecohub.standards.aqi import POLLUTANTS
from ecohub.standards.editions import editions_of, load_table

__all__ = ["category_days", "change", "comprehensive", "period_statistics", "ranking"]


@cache
def _stat_rows() -> list[dict[str, str]]:
    """HJ 663 statistic rows; editions must agree (they do, see the CSV's basis column)."""
    eds = [int(e.edition) for e in editions_of("HJ663")]
    rows = [r for r in load_table("hj663_statistics.csv") if int(r["edition"]) == eds[0]]
    for ed in eds[1:]:
        other = [r for r in load_table("hj663_statistics.csv") if int(r["edition"]) == ed]
        keys = ("pollutant", "input", "statistic", "percentile", "decimals", "si_period")
        if [tuple(r[k] for k in keys) for r in other] != [tuple(r[k] for k in keys) for r in rows]:
            raise NotImplementedError("HJ 663 editions differ: pick the statistic per period")
    return rows


def _count(statistic: str) -> int:
    counts = {min_count(statistic, "PM2.5", int(e.edition)) for e in editions_of("HJ663")}
    if len(counts) != 1:
        raise NotImplementedError(f"HJ 663 editions differ on {statistic}")
    return counts.pop()


def _period_keys(t: ir.Table, period: str) -> tuple[ir.Table, list[str]]:
    t = t.mutate(year=t.date.year().cast("int32"), month=t.date.month().cast("int32"))
    return t, (["year"] if period == "year" else ["year", "month"])


def _long(daily: ir.Table, key: str) -> ir.Table:
    """Valid daily inputs in long form: ``key, date, pollutant, value``."""
    parts = []
    for r in _stat_rows():
        col = f"{POLLUTANT_COLUMNS[r['pollutant']]}_{r['input'].rsplit('_', 1)[1]}"
        part = daily.select(key, "date", pollutant=ibis.literal(r["pollutant"]), value=daily[col])
        parts.append(part.filter(part.value.notnull()))
    return ibis.union(*parts)


def period_statistics(daily: ir.Table, key: str = "station_id", period: str = "year") -> ir.Table:
    """HJ 663 statistic per ``key``, period and pollutant from daily values.

    Columns: ``key, year[, month], pollutant, statistic ('mean'|'p95'|'p90'), value``
    (rounded), ``n_days``, ``valid`` and, for years, ``months_valid``.
    """
    long_t, pkeys = _period_keys(_long(daily, key), period)
    groups = [key, *pkeys, "pollutant"]
    w = ibis.window(group_by=groups, order_by="value")
    ranked = long_t.mutate(
        rn=ibis.row_number().over(w) + 1, n=long_t.value.count().over(ibis.window(group_by=groups))
    )
    p = ibis.cases(
        *((ranked.pollutant == r["pollutant"], int(r["percentile"] or 0)) for r in _stat_rows())
    )
    ranked = ranked.mutate(p=p)
    # k = 1 + (n-1)p/100 = s + f with s integer: exact in integers.
    s = 1 + ((ranked.n - 1) * ranked.p) // 100
    f = (((ranked.n - 1) * ranked.p) % 100).cast("float64") / 100
    weight = ibis.cases((ranked.rn == s, 1 - f), (ranked.rn == s + 1, f), else_=0.0)
    agg = ranked.group_by(groups).agg(
        n_days=ranked.count(),
        mean=ranked.value.mean(),
        pct=(ranked.value * weight).sum(),
        p=ranked.p.max(),
        **({"month_n": ranked.count()} if period == "month" else {}),
    )
    raw = ibis.cases((agg.p > 0, agg.pct), else_=agg.mean)
    decimals = ibis.cases(
        *((agg.pollutant == r["pollutant"], int(r["decimals"])) for r in _stat_rows())
    )
    value = ibis.cases((decimals == 1, half_even(raw, 1)), else_=half_even(raw, 0))
    stat = ibis.cases((agg.p > 0, "p" + agg.p.cast("string")), else_="mean")
    out = agg.mutate(statistic=stat, value=value)
    if period == "month":
        need = ibis.cases((out.month == 2, _count("month_feb")), else_=_count("month"))
        return out.mutate(valid=out.n_days >= need).select(
            *groups[:-1], "pollutant", "statistic", "value", "n_days", "valid"
        )
    months = period_statistics(daily, key, "month")
    mv = months.group_by([key, "year", "pollutant"]).agg(
        months_valid=months.valid.cast("int32").sum()
    )
    out = out.left_join(mv, [key, "year", "pollutant"]).select(out, mv.months_valid)
    valid = (out.n_days >= _count("annual")) & (out.months_valid.fill_null(0) == 12)
    return out.mutate(valid=valid).select(
        key, "year", "pollutant", "statistic", "value", "n_days", "months_valid", "valid"
    )


def comprehensive(stats: ir.Table, key: str = "station_id") -> ir.Table:
    """环境空气质量综合指数 per ``key`` and period: Σ Ci/Si over the six statistics.

    Si = the class-2 limits of the GB 3095 phase in force at the period's end (annual
    for SO2/NO2/PM10/PM2.5, 24-h for CO, daily-max 8-h for O3); rounded to 2 decimals
    after summing. ``max_pollutant`` = the largest Ii; ``complete`` = all six present.
    """
    pkeys = ["year", "month"] if "month" in stats.columns else ["year"]
    end = (
        ibis.date(stats.year, stats.month, 1) if "month" in pkeys else ibis.date(stats.year, 12, 31)
    )
    rows = _stat_rows()

    def si(phase: object) -> ir.Value:
        return ibis.cases(
            *(
                (
                    stats.pollutant == r["pollutant"],
                    limit(r["pollutant"], r["si_period"], 2, phase=str(phase)),
                )
                for r in rows
            )
        )

    t = stats.mutate(ii=stats.value / by_date(end, "GB3095", si))
    w = ibis.window(group_by=[key, *pkeys])
    t = t.mutate(top=t.ii.max().over(w))
    agg = t.group_by([key, *pkeys]).agg(
        index=t.ii.sum(),
        n=t.count(),
        max_pollutant=t.pollutant.min(where=t.ii == t.top),
    )
    return agg.mutate(index=half_even(agg.index, 2), complete=agg.n == len(rows)).drop("n")


def ranking(index: ir.Table, key: str = "city_code") -> ir.Table:
    """Rank per period by comprehensive index, 1 = cleanest (ties share the lower rank);
    only complete indices are ranked."""
    pkeys = ["year", "month"] if "month" in index.columns else ["year"]
    t = index.filter(index.complete)
    return t.mutate(rank=ibis.rank().over(ibis.window(group_by=pkeys, order_by="index")) + 1)


def category_days(daily_aqi: ir.Table, key: str = "station_id", period: str = "year") -> ir.Table:
    """Days per AQI level, good days (优+良), good-day ratio and primary-pollutant days.

    A day counts when its AQI is complete (all six pollutants' daily values valid);
    ``days_incomplete`` are reported beside, not in the ratio. ``primary_<p>`` counts the
    days (AQI > 50) on which pollutant p was primary (ties count for each).
    """
    t, pkeys = _period_keys(daily_aqi, period)
    ok = t.complete & t.aqi.notnull()
    aggs = {f"level{lv}": (ok & (t.level == lv)).cast("int32").sum() for lv in range(1, 7)}
    for p in POLLUTANTS:
        c = POLLUTANT_COLUMNS[p]
        aggs[f"primary_{c}"] = (ok & (t.aqi > 50) & (t[f"iaqi_{c}"] == t.aqi)).cast("int32").sum()
    out = t.group_by([key, *pkeys]).agg(
        days=ok.cast("int32").sum(),
        days_incomplete=(~ok).cast("int32").sum(),
        good_days=(ok & (t.level <= 2)).cast("int32").sum(),
        **aggs,
    )
    return out.mutate(
        good_ratio=ibis.cases(
            (out.days > 0, half_even(out.good_days.cast("float64") * 100 / out.days, 1)),
            else_=ibis.null("float64"),
        )
    )


def change(monthly: ir.Table, key: str, value: str) -> ir.Table:
    """Month-on-month (环比) and year-on-year (同比) change of ``value`` in percent.

    ``monthly`` has ``key, year, month`` (plus ``pollutant`` when present) and ``value``;
    adds ``prev_month, mom_pct, prev_year, yoy_pct`` (NULL where the other period is
    missing or zero).
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

    return out.mutate(mom_pct=pct(out.prev_month), yoy_pct=pct(out.prev_year)).drop("m")
