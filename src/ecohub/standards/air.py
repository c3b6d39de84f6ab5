"""GB 3095-2012/2026 环境空气质量标准 and HJ 663-2013/2026 环境空气质量评价技术规范.

Limits by date (``gb3095_limits.csv``), data validity (``hj663_validity.csv``), the
assessment statistics, percentile method, compliance and the comprehensive index
(``hj663_statistics.csv``). Where HJ 663-2026 could not be confirmed, its rows repeat
the 2013 rule (``basis = assumed-2013``); changing a rule is changing a CSV row.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from fractions import Fraction
from functools import cache

from ecohub.standards.aqi import exact_decimal, pollutant_name
from ecohub.standards.editions import check_edition, edition_for, load_table
from ecohub.standards.errors import InvalidValue, StandardsError, UnknownParameter

__all__ = [
    "ComprehensiveIndex",
    "annual_percentiles",
    "annual_statistics",
    "compliance",
    "comprehensive_index",
    "is_valid_8h",
    "is_valid_daily",
    "is_valid_hour",
    "is_valid_o3_daily_max8h",
    "limit",
    "min_count",
    "percentile",
    "round_statistic",
    "valid_annual",
    "valid_month",
    "validity_rule",
]

# The city-ranking technical rules (环境空气质量综合指数) report the index to 2 decimals.
_INDEX_DECIMALS = 2
# Our own bound, far above any real concentration, so results stay representable as floats.
_MAX_VALUE = Decimal("1e12")
_PERIOD_ALIASES = {"8h": "8h_daily_max", "year": "annual", "day": "24h", "quarter": "quarterly"}


# ---------------------------------------------------------------- names


@cache
def _limit_pollutants() -> dict[str, str]:
    return {r["pollutant"].upper(): r["pollutant"] for r in load_table("gb3095_limits.csv")}


def _pollutant(pollutant: object) -> str:
    """A GB 3095 pollutant: the six AQI ones (names or HJ 212 codes) or TSP, NOx, Pb, BaP."""
    if isinstance(pollutant, str) and pollutant.strip().upper() in _limit_pollutants():
        return _limit_pollutants()[pollutant.strip().upper()]
    return pollutant_name(pollutant)


def _hj663(edition: object) -> int:
    ed = check_edition("HJ663", edition)
    assert isinstance(ed, int)
    return ed


def _count(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or int(value) < 0:
        raise InvalidValue(name, f"expected a non-negative whole count, got {value!r}")
    return int(value)


def _number(name: str, value: object) -> Fraction:
    """A finite non-negative number, exactly as written (floats through ``repr``)."""
    d = exact_decimal(name, value)
    if d > _MAX_VALUE:
        raise InvalidValue(name, f"out of range: {value!r}")
    return Fraction(d)


# ---------------------------------------------------------------- limits


def limit(
    pollutant: str,
    period: str,
    cls: int = 2,
    on: date | None = None,
    phase: str | None = None,
) -> float:
    """GB 3095 concentration limit (µg/m³, CO mg/m³) for a class-``cls`` area.

    The phase (``"2012"``, ``"2026-transition"``, ``"2026-final"``) is ``phase`` if
    given, else the one in force on ``on`` (default: today). ``period`` is ``annual``,
    ``24h``, ``1h``, ``8h_daily_max`` (alias ``8h``) or ``quarterly``.
    """
    name = _pollutant(pollutant)
    if isinstance(cls, bool) or cls not in (1, 2):
        raise UnknownParameter("cls", f"GB 3095 has classes 1 and 2, got {cls!r}")
    if phase is None:
        phase = str(edition_for("GB3095", on if on is not None else date.today()))
    elif on is not None:
        raise UnknownParameter("phase", "give either on or phase, not both")
    per = _PERIOD_ALIASES.get(period, period) if isinstance(period, str) else period
    rows = load_table("gb3095_limits.csv")
    if not any(r["phase"] == phase for r in rows):
        raise UnknownParameter("phase", f"no GB 3095 phase {phase!r}")
    for r in rows:
        if r["phase"] == phase and r["pollutant"] == name and r["period"] == per:
            return float(r[f"class{cls}"])
    raise UnknownParameter("period", f"GB 3095 ({phase}) has no {period!r} limit for {name}")


# ---------------------------------------------------------------- validity


def min_count(statistic: str, pollutant: str, edition: int = 2026) -> int:
    """The least data a ``statistic`` of ``pollutant`` needs (``hj663_validity.csv``).

    ``statistic``: ``1h`` (minutes), ``24h`` (hours), ``8h`` (hours), ``8h_daily_max``
    (valid 8-h means), ``month``, ``month_feb``, ``annual``, ``quarterly`` (days).
    """
    return int(_validity_row(statistic, pollutant, edition)["min_count"])


def validity_rule(statistic: str, pollutant: str, edition: int = 2026) -> tuple[int, bool]:
    """``(min_count, valid_if_exceeds)`` of a statistic in ``hj663_validity.csv``: the least
    data it needs, and whether one short of that still counts when it exceeds its limit."""
    row = _validity_row(statistic, pollutant, edition)
    return int(row["min_count"]), row["valid_if_exceeds"] == "yes"


def _validity_row(statistic: str, pollutant: str, edition: int) -> dict[str, str]:
    ed = _hj663(edition)
    name = _pollutant(pollutant)
    for r in load_table("hj663_validity.csv"):
        if (
            int(r["edition"]) == ed
            and r["statistic"] == statistic
            and name in r["pollutants"].split(";")
        ):
            return r
    raise UnknownParameter("statistic", f"HJ 663-{ed} has no {statistic!r} rule for {name}")


def is_valid_hour(minutes: int, pollutant: str, edition: int = 2026) -> bool:
    """An hourly mean is valid with at least 45 minutes of sampling (GB 3095 Table 4)."""
    return _count("minutes", minutes) >= min_count("1h", pollutant, edition)


def is_valid_daily(n_hours: int, pollutant: str, edition: int = 2026) -> bool:
    """A 24-h mean is valid with enough hourly values (20; TSP/BaP/Pb: 24 h of sampling)."""
    return _count("n_hours", n_hours) >= min_count("24h", pollutant, edition)


def is_valid_8h(n_hours: int, edition: int = 2026) -> bool:
    """An O3 8-h moving mean is valid with at least 6 hourly values in its 8 hours."""
    return _count("n_hours", n_hours) >= min_count("8h", "O3", edition)


def is_valid_o3_daily_max8h(
    n_valid_8h: int, exceeds_limit: bool = False, edition: int = 2026
) -> bool:
    """An O3 daily maximum 8-h mean is valid with at least 14 valid 8-h means ending
    08:00..24:00; with fewer it still counts when it already exceeds the limit."""
    row = _validity_row("8h_daily_max", "O3", edition)
    if not isinstance(exceeds_limit, bool):
        raise InvalidValue("exceeds_limit", f"expected a bool, got {exceeds_limit!r}")
    enough = _count("n_valid_8h", n_valid_8h) >= int(row["min_count"])
    return enough or (exceeds_limit and row["valid_if_exceeds"] == "yes")


def valid_month(n_days: int, month: int, pollutant: str = "PM2.5", edition: int = 2026) -> bool:
    """A month's statistic is valid with 27 daily values (February 25; TSP/BaP/Pb 5)."""
    if isinstance(month, bool) or not isinstance(month, int) or not 1 <= month <= 12:
        raise InvalidValue("month", f"expected 1..12, got {month!r}")
    statistic = "month_feb" if month == 2 else "month"
    return _count("n_days", n_days) >= min_count(statistic, pollutant, edition)


def valid_annual(
    n_days: int,
    pollutant: str = "PM2.5",
    monthly_days: Sequence[int] | None = None,
    edition: int = 2026,
) -> bool:
    """A calendar year's statistic is valid with 324 daily values (TSP/BaP/Pb: 60) and,
    when ``monthly_days`` (12 counts, January first) is given, every month valid too."""
    if _count("n_days", n_days) < min_count("annual", pollutant, edition):
        return False
    if monthly_days is None:
        return True
    if not isinstance(monthly_days, Sequence) or isinstance(monthly_days, str | bytes):
        raise InvalidValue("monthly_days", "expected 12 monthly counts")
    if len(monthly_days) != 12:
        raise InvalidValue("monthly_days", "expected 12 monthly counts")
    return all(valid_month(n, m, pollutant, edition) for m, n in enumerate(monthly_days, start=1))


# ---------------------------------------------------------------- statistics


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (0 <= p <= 100) as HJ 663 Appendix A computes it.

    Sort ascending X(1)..X(n); k = 1 + (n - 1) * p / 100; s = integer part of k;
    result X(s) + (X(s+1) - X(s)) * (k - s) (X(s) itself when k = n). Exact arithmetic.
    """
    if isinstance(values, str | bytes) or not isinstance(values, Sequence) or not values:
        raise InvalidValue("values", "expected a non-empty sequence of numbers")
    xs = sorted(_number("values", v) for v in values)
    pp = _number("p", p)
    if pp > 100:
        raise InvalidValue("p", f"expected 0..100, got {p!r}")
    k = 1 + (len(xs) - 1) * pp / 100
    s = math.floor(k)
    if s >= len(xs):
        return float(xs[-1])
    return float(xs[s - 1] + (xs[s] - xs[s - 1]) * (k - s))


@cache
def _statistics(edition: int) -> dict[str, dict[str, str]]:
    ed = _hj663(edition)
    rows = load_table("hj663_statistics.csv")
    return {r["pollutant"]: r for r in rows if int(r["edition"]) == ed and r["role"] == "index"}


@cache
def _annual_rows(edition: int) -> dict[str, dict[str, str]]:
    """pollutant -> the annual assessment's further statistic (role ``annual``)."""
    ed = _hj663(edition)
    rows = load_table("hj663_statistics.csv")
    return {r["pollutant"]: r for r in rows if int(r["edition"]) == ed and r["role"] == "annual"}


def _stat_row(pollutant: str, edition: int) -> dict[str, str]:
    name = _pollutant(pollutant)
    rows = _statistics(_hj663(edition))
    if name not in rows:
        raise UnknownParameter("pollutant", f"HJ 663 assesses {tuple(rows)}, not {name}")
    return rows[name]


def round_statistic(pollutant: str, value: float, edition: int = 2026) -> float:
    """A statistic at HJ 663's reporting precision (GB/T 8170 half to even):
    µg/m³ pollutants to integers, CO (mg/m³) to one decimal."""
    row = _stat_row(pollutant, edition)
    return _round_half_even(_number(row["pollutant"], value), int(row["decimals"]))


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
    by_input = {r["input"]: r for r in _statistics(_hj663(edition)).values()}
    out: dict[str, float] = {}
    for key, series in daily.items():
        if key not in by_input:
            raise UnknownParameter(str(key), f"expected one of {tuple(by_input)}")
        row = by_input[key]
        if isinstance(series, str | bytes) or not isinstance(series, Sequence) or not series:
            raise InvalidValue(key, "expected a non-empty sequence of daily values")
        if row["statistic"] == "mean":
            xs = [_number(key, v) for v in series]
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
    known = {r["input"] for r in _statistics(_hj663(edition)).values()}
    by_input = {r["input"]: r for r in _annual_rows(_hj663(edition)).values()}
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
        v = _number(row["pollutant"], value)
        lim = limit(row["pollutant"], row["limit_period"], cls, on, phase)
        out[row["pollutant"]] = v <= Fraction(Decimal(repr(lim)))
    annual = _annual_rows(_hj663(edition))
    for key, value in (percentiles or {}).items():
        name = _pollutant(key)
        if name not in annual:
            raise UnknownParameter("percentiles", f"HJ 663 has no annual percentile of {name}")
        row = annual[name]
        lim = limit(name, row["limit_period"], cls, on, phase)
        ok = _number(name, value) <= Fraction(Decimal(repr(lim)))
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
        exact[row["pollutant"]] = _number(row["pollutant"], value) / Fraction(Decimal(repr(si)))
    top = max(exact.values())
    return ComprehensiveIndex(
        index=_round_half_even(sum(exact.values(), Fraction(0)), _INDEX_DECIMALS),
        single={p: _round_half_even(v, _INDEX_DECIMALS) for p, v in exact.items()},
        max_pollutant=[p for p, v in exact.items() if v == top],
        complete=set(exact) == set(_statistics(_hj663(edition))),
    )
