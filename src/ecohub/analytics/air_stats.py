"""HJ 663 period assessment from daily values: monthly and annual statistics with their
validity, the comprehensive index (综合指数) and city ranking. Days per AQI level, the
good-day ratio and month-on-month / year-on-year change are in
:mod:`ecohub.analytics.air_days`.

Statistics per ``hj663_statistics.csv``: means of the valid daily values (SO2, NO2,
PM10, PM2.5), CO 95th and O3 90th percentile (HJ 663 Appendix A: k = 1 + (n-1)p/100,
linear interpolation — computed here from row numbers, not an engine's approximate
percentile), rounded half-to-even to the reporting precision. Validity: a month needs
27 valid days (February 25); a year 324 valid days and every month valid.
"""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir

from ecohub.analytics.aqi import by_date, column_name, half_even
from ecohub.analytics.hj663 import by_hj663, hj663_editions, period_end, statistic_rows, valid
from ecohub.standards.air import limit

__all__ = ["PERIODS", "comprehensive", "period_keys", "period_statistics", "ranking"]

PERIODS = ("year", "month")


Rows = dict[int, dict[str, dict[str, str]]]


def _rows(role: str = "index") -> Rows:
    """``edition -> pollutant -> hj663_statistics.csv row`` of ``role`` (``index``: every
    period's statistic; ``annual``: the annual assessment's further percentiles)."""
    return {ed: {r["pollutant"]: r for r in statistic_rows(ed, role)} for ed in hj663_editions()}


def _per_pollutant(
    pollutant: ir.StringValue, day: ir.DateValue, value_of: Any, typ: str, rows: Rows | None = None
) -> Any:
    """``value_of(row)`` of the statistics row of the row's pollutant, under the HJ 663
    edition in force on ``day`` (a literal CASE when every edition agrees)."""
    rows = rows or _rows()

    def per_edition(ed: int) -> ir.Value:
        return ibis.cases(
            *((pollutant == p, ibis.literal(value_of(r), typ)) for p, r in rows[ed].items()),
            else_=ibis.null(typ),
        )

    same = len({tuple(sorted((p, value_of(r)) for p, r in rows[ed].items())) for ed in rows}) == 1
    return by_hj663(day, per_edition, same=same)


def _percentile(r: dict[str, str]) -> int:
    """The percentile of a statistic row, 0 for a mean."""
    return int(r["percentile"]) if r["statistic"] == "percentile" else 0


def _label(r: dict[str, str]) -> str:
    """A statistic row's name in the results: ``mean`` or ``p<percentile>``."""
    return f"p{_percentile(r)}" if _percentile(r) else "mean"


def period_keys(t: ir.Table, period: str) -> tuple[ir.Table, list[str]]:
    """``t`` with its period columns (year, or year and month) and their names."""
    if period not in PERIODS:
        raise ValueError(f"period must be one of {', '.join(PERIODS)}, got {period!r}")
    t = t.mutate(year=t.date.year().cast("int32"), month=t.date.month().cast("int32"))
    return t, (["year"] if period == "year" else ["year", "month"])


def _long(daily: ir.Table, key: str, statistics: Rows) -> ir.Table:
    """Valid daily inputs in long form: ``key, date, pollutant, input, value`` — one part per
    (pollutant, input) any edition assesses."""
    parts = []
    seen: set[tuple[str, str]] = set()
    for rows in statistics.values():
        for r in rows.values():
            if (r["pollutant"], r["input"]) in seen:
                continue
            seen.add((r["pollutant"], r["input"]))
            col = column_name(r["input"])
            part = daily.select(
                key,
                "date",
                pollutant=ibis.literal(r["pollutant"]),
                input=ibis.literal(r["input"]),
                value=daily[col],
            )
            parts.append(part.filter(part.value.notnull()))
    return ibis.union(*parts)


def _period_valid(out: ir.Table, statistic: str, end: ir.DateValue) -> ir.BooleanValue:
    pols = sorted({p for rows in _rows().values() for p in rows})
    return ibis.cases(
        *((out.pollutant == p, valid(out.n_days, statistic, p, end)) for p in pols),
        else_=False,
    )


def period_statistics(daily: ir.Table, key: str = "station_id", period: str = "year") -> ir.Table:
    """HJ 663 statistics per ``key``, period and pollutant from daily values.

    Columns: ``key, year[, month], pollutant, statistic ('mean'|'p98'|'p95'|'p90'), value``
    (rounded), ``n_days``, ``valid`` and, for years, ``months_valid``. Each period has each
    pollutant's ``index`` statistic (its mean, or CO's P95 and O3's P90); a year also has the
    ``annual`` ones (HJ 663-2013 Table 1: the 24-h P98 of SO2 and NO2, the P95 of PM10 and
    PM2.5). The statistic, its input series, percentile, precision and validity counts are
    those of the HJ 663 edition in force at the period's end (a month: its first day).
    """
    out, groups = _statistics(daily, key, period, _rows())
    oend = period_end(out.year, out.month if period == "month" else None)
    if period == "month":
        valid_m = ibis.cases(
            (out.month == 2, _period_valid(out, "month_feb", oend)),
            else_=_period_valid(out, "month", oend),
        )
        return out.mutate(valid=valid_m).select(
            *groups[:-1], "pollutant", "statistic", "value", "n_days", "valid"
        )
    annual = _rows("annual")
    if any(annual.values()):
        # Same input series and days as the pollutant's index statistic: the same validity.
        out = ibis.union(out, _statistics(daily, key, period, annual)[0])
    months = period_statistics(daily, key, "month")
    mv = months.group_by([key, "year", "pollutant"]).agg(
        months_valid=months.valid.cast("int32").sum()
    )
    out = out.left_join(mv, [key, "year", "pollutant"]).select(out, mv.months_valid)
    valid_y = _period_valid(out, "annual", period_end(out.year, None)) & (
        out.months_valid.fill_null(0) == 12
    )
    return out.mutate(valid=valid_y).select(
        key, "year", "pollutant", "statistic", "value", "n_days", "months_valid", "valid"
    )


def _statistics(
    daily: ir.Table, key: str, period: str, statistics: Rows
) -> tuple[ir.Table, list[str]]:
    """``key, year[, month], pollutant, statistic, value, n_days`` of the ``statistics``
    rows, before validity; and the group columns."""
    long_t, pkeys = period_keys(_long(daily, key, statistics), period)
    end = period_end(long_t.year, long_t.month if period == "month" else None)
    want = _per_pollutant(long_t.pollutant, end, lambda r: r["input"], "string", statistics)
    long_t = long_t.filter(long_t.input == want)
    long_t = long_t.mutate(
        p=_per_pollutant(long_t.pollutant, end, _percentile, "int64", statistics)
    )
    groups = [key, *pkeys, "pollutant"]
    # Only the series scored by a percentile (p > 0) are ranked; p is the same on every row of
    # a group, so whole groups are kept. Ranking every series sorted three times the rows the
    # percentiles need (a national year: 9.4 s for these statistics).
    ranked = long_t.filter(long_t.p > 0)
    w = ibis.window(group_by=groups, order_by="value")
    ranked = ranked.mutate(
        rn=ibis.row_number().over(w) + 1, n=ranked.value.count().over(ibis.window(group_by=groups))
    )
    # k = 1 + (n-1)p/100 = s + f with s integer: exact in integers.
    s = 1 + ((ranked.n - 1) * ranked.p) // 100
    f = (((ranked.n - 1) * ranked.p) % 100).cast("float64") / 100
    weight = ibis.cases((ranked.rn == s, 1 - f), (ranked.rn == s + 1, f), else_=0.0)
    pct = ranked.group_by(groups).agg(pct=(ranked.value * weight).sum())
    agg = long_t.group_by(groups).agg(
        n_days=long_t.count(), mean=long_t.value.mean(), p=long_t.p.max()
    )
    agg = agg.left_join(pct, groups).select(agg, pct.pct)
    aend = period_end(agg.year, agg.month if period == "month" else None)
    raw = ibis.cases((agg.p > 0, agg.pct), else_=agg.mean)
    decimals = _per_pollutant(
        agg.pollutant, aend, lambda r: int(r["decimals"]), "int64", statistics
    )
    places = sorted({int(r["decimals"]) for rows in statistics.values() for r in rows.values()})
    value = ibis.cases(*((decimals == d, half_even(raw, d)) for d in places))
    stat = ibis.cases((agg.p > 0, "p" + agg.p.cast("string")), else_="mean")
    out = agg.mutate(statistic=stat, value=value)
    return out.select(*groups, "statistic", "value", "n_days"), groups


def comprehensive(stats: ir.Table, key: str = "station_id") -> ir.Table:
    """环境空气质量综合指数 per ``key`` and period: Σ Ci/Si over the six statistics.

    Si = the class-2 limits of the GB 3095 phase in force at the period's end (annual
    for SO2/NO2/PM10/PM2.5, 24-h for CO, daily-max 8-h for O3); rounded to 2 decimals
    after summing. ``max_pollutant`` = the largest Ii; ``complete`` = all six present;
    ``valid`` = all six present and each a valid statistic of its period (HJ 663 s6: a
    statistic without enough valid days is not a valid assessment, and neither is an index
    built from one); only valid indices are ranked (:func:`ranking`).
    """
    pkeys = ["year", "month"] if "month" in stats.columns else ["year"]
    rows = _rows()
    # Only each pollutant's index statistic (a year's statistics hold its annual P98/P95 too).
    index_stat = sorted({(p, _label(r)) for ed_rows in rows.values() for p, r in ed_rows.items()})
    stats = stats.filter(
        ibis.or_(*((stats.pollutant == p) & (stats.statistic == s) for p, s in index_stat))
    )
    # Si: the GB 3095 phase in force at the period's end (a month: its first day).
    end = period_end(stats.year, stats.month if "month" in pkeys else None)

    def si(phase: object) -> ir.Value:
        def of(r: dict[str, str]) -> float:
            return limit(r["pollutant"], r["si_period"], 2, phase=str(phase))

        return _per_pollutant(stats.pollutant, end, of, "float64")

    t = stats.mutate(ii=stats.value / by_date(end, "GB3095", si))
    w = ibis.window(group_by=[key, *pkeys])
    t = t.mutate(top=t.ii.max().over(w))
    agg = t.group_by([key, *pkeys]).agg(
        index=t.ii.sum(),
        n=t.count(),
        n_valid=t.valid.fill_null(False).cast("int64").sum(),
        max_pollutant=t.pollutant.min(where=t.ii == t.top),
    )
    aend = period_end(agg.year, agg.month if "month" in pkeys else None)
    n_rows = by_hj663(
        aend,
        lambda ed: ibis.literal(len(rows[ed]), "int64"),
        same=len({len(r) for r in rows.values()}) == 1,
    )
    return agg.mutate(
        index=half_even(agg.index, 2), complete=agg.n == n_rows, valid=agg.n_valid == n_rows
    ).drop("n", "n_valid")


def ranking(index: ir.Table, key: str = "city_code") -> ir.Table:
    """Rank per period by comprehensive index, 1 = cleanest (ties share the lower rank);
    only valid indices (all six statistics present and valid) are ranked."""
    pkeys = ["year", "month"] if "month" in index.columns else ["year"]
    t = index.filter(index.valid)
    return t.mutate(rank=ibis.rank().over(ibis.window(group_by=pkeys, order_by="index")) + 1)
