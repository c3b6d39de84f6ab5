"""HJ 663-2013/2026 assessment of a period's air quality (``hj663_statistics.csv``): the
statistics (means and Appendix A percentiles at reporting precision), compliance with the
GB 3095 limits in force, and the comprehensive index. Exact arithmetic throughout: this is
the reference the vectorised analytics are tested against."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from fractions import Fraction
from functools import cache

from ecohub.standards.air import exact_number, gb3095_pollutant, hj663_edition, limit
from ecohub.standards.editions import load_table
from ecohub.standards.errors import InvalidValue, StandardsError, UnknownParameter

__all__ = [
    "ComprehensiveIndex",
    "annual_percentiles",
    "annual_statistics",
    "compliance",
    "comprehensive_index",
    "percentile",
    "round_statistic",
]

# The city-ranking technical rules (环境空气质量综合指数) report the index to 2 decimals.
_INDEX_DECIMALS = 2


# ---------------------------------------------------------------- statistics


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (0 <= p <= 100) as HJ 663 Appendix A computes it.

    Sort ascending X(1)..X(n); k = 1 + (n - 1) * p / 100; s = integer part of k;
    result X(s) + (X(s+1) - X(s)) * (k - s) (X(s) itself when k = n). Exact arithmetic.
    """
    if isinstance(values, str | bytes) or not isinstance(values, Sequence) or not values:
        raise InvalidValue("values", "expected a non-empty sequence of numbers")
    xs = sorted(exact_number("values", v) for v in values)
    pp = exact_number("p", p)
    if pp > 100:
        raise InvalidValue("p", f"expected 0..100, got {p!r}")
    k = 1 + (len(xs) - 1) * pp / 100
    s = math.floor(k)
    if s >= len(xs):
        return float(xs[-1])
    return float(xs[s - 1] + (xs[s] - xs[s - 1]) * (k - s))


@cache
def _statistics(edition: int) -> dict[str, dict[str, str]]:
    ed = hj663_edition(edition)
    rows = load_table("hj663_statistics.csv")
    return {r["pollutant"]: r for r in rows if int(r["edition"]) == ed and r["role"] == "index"}


@cache
def _annual_rows(edition: int) -> dict[str, dict[str, str]]:
    """pollutant -> the annual assessment's further statistic (role ``annual``)."""
    ed = hj663_edition(edition)
    rows = load_table("hj663_statistics.csv")
    return {r["pollutant"]: r for r in rows if int(r["edition"]) == ed and r["role"] == "annual"}


def _stat_row(pollutant: str, edition: int) -> dict[str, str]:
    name = gb3095_pollutant(pollutant)
    rows = _statistics(hj663_edition(edition))
    if name not in rows:
        raise UnknownParameter("pollutant", f"HJ 663 assesses {tuple(rows)}, not {name}")
    return rows[name]


def round_statistic(pollutant: str, value: float, edition: int = 2026) -> float:
    """A statistic at HJ 663's reporting precision (GB/T 8170 half to even):
    µg/m³ pollutants to integers, CO (mg/m³) to one decimal."""
    row = _stat_row(pollutant, edition)
    return _round_half_even(exact_number(row["pollutant"], value), int(row["decimals"]))


def _round_half_even(x: Fraction, places: int) -> float:
    d = Decimal(x.numerator) / Decimal(x.denominator)
    try:
        return float(d.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN))
    except InvalidOperation as exc:  # more digits than the decimal context holds
        raise InvalidValue("value", "out of range") from exc


def annual_statistics(
    daily: Mapping[str, Sequence[float]], edition: int = 2026
) -> dict[str, float]:
    """HJ 663 statistics of a period from its valid daily values, rounded for reporting.

    ``daily`` maps the input series (``"SO2_24h"``, …, ``"CO_24h"``, ``"O3_8h"`` = daily
    maximum 8-h means) to values; the result maps pollutant -> mean (SO2, NO2, PM10,
    PM2.5) or percentile (CO P95, O3 P90). Validity of the day counts is the caller's
    check (:func:`valid_annual`); only series given are computed.
    """
    if not isinstance(daily, Mapping):
        raise InvalidValue("daily", f"expected a mapping, got {type(daily).__name__}")
    by_input = {r["input"]: r for r in _statistics(hj663_edition(edition)).values()}
    out: dict[str, float] = {}
    for key, series in daily.items():
        if key not in by_input:
            raise UnknownParameter(str(key), f"expected one of {tuple(by_input)}")
        row = by_input[key]
        if isinstance(series, str | bytes) or not isinstance(series, Sequence) or not series:
            raise InvalidValue(key, "expected a non-empty sequence of daily values")
        if row["statistic"] == "mean":
            xs = [exact_number(key, v) for v in series]
            raw = float(sum(xs, Fraction(0)) / len(xs))
            out[row["pollutant"]] = round_statistic(row["pollutant"], raw, edition)
        else:
            out[row["pollutant"]] = _rounded_percentile(key, series, row, edition)
    return out


def _rounded_percentile(
    key: str, series: Sequence[float], row: Mapping[str, str], edition: int
) -> float:
    """The percentile of ``row`` of ``series`` (Appendix A), rounded for reporting."""
    try:
        raw = percentile(series, float(row["percentile"]))
    except StandardsError as exc:
        raise InvalidValue(key, exc.message) from exc
    return round_statistic(row["pollutant"], raw, edition)


def annual_percentiles(
    daily: Mapping[str, Sequence[float]], edition: int = 2026
) -> dict[str, float]:
    """The annual assessment's 24-h percentiles (HJ 663-2013 Table 1): pollutant -> the 98th
    percentile of SO2's and NO2's daily means, the 95th of PM10's and PM2.5's, by Appendix A's
    formula, rounded for reporting. ``daily`` as for :func:`annual_statistics`; series that
    have no such statistic (``CO_24h``, ``O3_8h``) are left out."""
    if not isinstance(daily, Mapping):
        raise InvalidValue("daily", f"expected a mapping, got {type(daily).__name__}")
    known = {r["input"] for r in _statistics(hj663_edition(edition)).values()}
    by_input = {r["input"]: r for r in _annual_rows(hj663_edition(edition)).values()}
    out: dict[str, float] = {}
    for key, series in daily.items():
        if key not in known:
            raise UnknownParameter(str(key), f"expected one of {tuple(sorted(known))}")
        row = by_input.get(key)
        if row is not None:
            out[row["pollutant"]] = _rounded_percentile(key, series, row, edition)
    return out


# ---------------------------------------------------------------- assessment


def compliance(
    stats: Mapping[str, float],
    cls: int = 2,
    on: date | None = None,
    phase: str | None = None,
    edition: int = 2026,
    percentiles: Mapping[str, float] | None = None,
) -> dict[str, bool]:
    """达标 per pollutant: each of its (rounded) statistics is at most its GB 3095 limit.

    ``stats`` is :func:`annual_statistics`' output (pollutant -> value). Annual means
    are judged against the annual limit, CO P95 against the 24-h limit, O3 P90 against
    the daily maximum 8-h limit, of the phase in force on ``on`` (or ``phase``).
    ``percentiles`` (:func:`annual_percentiles`' output), for an annual assessment: SO2's
    and NO2's P98 and PM10's and PM2.5's P95 are judged against the 24-h limit too, and the
    pollutant meets the standard for the year only when its mean and its percentile both do
    (HJ 663-2013 Table 1).
    """
    if not isinstance(stats, Mapping):
        raise InvalidValue("stats", f"expected a mapping, got {type(stats).__name__}")
    if percentiles is not None and not isinstance(percentiles, Mapping):
        raise InvalidValue("percentiles", f"expected a mapping, got {type(percentiles).__name__}")
    out: dict[str, bool] = {}
    for key, value in stats.items():
        row = _stat_row(key, edition)
        v = exact_number(row["pollutant"], value)
        lim = limit(row["pollutant"], row["limit_period"], cls, on, phase)
        out[row["pollutant"]] = v <= Fraction(Decimal(repr(lim)))
    annual = _annual_rows(hj663_edition(edition))
    for key, value in (percentiles or {}).items():
        name = gb3095_pollutant(key)
        if name not in annual:
            raise UnknownParameter("percentiles", f"HJ 663 has no annual percentile of {name}")
        row = annual[name]
        lim = limit(name, row["limit_period"], cls, on, phase)
        ok = exact_number(name, value) <= Fraction(Decimal(repr(lim)))
        out[name] = out.get(name, True) and ok
    return out


@dataclass(frozen=True)
class ComprehensiveIndex:
    """环境空气质量综合指数: ``index`` = sum of ``single`` (Ii = Ci / Si), both to 2 decimals;
    ``max_pollutant`` = the pollutant(s) with the largest Ii."""

    index: float
    single: dict[str, float]
    max_pollutant: list[str]
    complete: bool


def comprehensive_index(
    stats: Mapping[str, float],
    on: date | None = None,
    phase: str | None = None,
    edition: int = 2026,
) -> ComprehensiveIndex:
    """The comprehensive air-quality index of a period from its HJ 663 statistics.

    Si are the class-2 limits: annual for SO2, NO2, PM10, PM2.5; 24-h for CO (with its
    P95); daily maximum 8-h for O3 (with its P90), of the GB 3095 phase in force on
    ``on`` (or ``phase``). The sum is taken before rounding; ``complete`` is False when
    any of the six pollutants is missing from ``stats``.
    """
    if not isinstance(stats, Mapping) or not stats:
        raise InvalidValue("stats", "expected a non-empty mapping pollutant -> statistic")
    exact: dict[str, Fraction] = {}
    for key, value in stats.items():
        row = _stat_row(key, edition)
        si = limit(row["pollutant"], row["si_period"], 2, on, phase)
        exact[row["pollutant"]] = exact_number(row["pollutant"], value) / Fraction(
            Decimal(repr(si))
        )
    top = max(exact.values())
    return ComprehensiveIndex(
        index=_round_half_even(sum(exact.values(), Fraction(0)), _INDEX_DECIMALS),
        single={p: _round_half_even(v, _INDEX_DECIMALS) for p, v in exact.items()},
        max_pollutant=[p for p, v in exact.items() if v == top],
        complete=set(exact) == set(_statistics(hj663_edition(edition))),
    )
