"""GB 3095-2012/2026 环境空气质量标准 and HJ 663-2013/2026 环境空气质量评价技术规范: limits by
date (``gb3095_limits.csv``) and data validity (``hj663_validity.csv``). The assessment
statistics, percentile method, compliance and comprehensive index are in
:mod:`ecohub.standards.air_assessment`. Where HJ 663-2026 could not be confirmed, its rows repeat
the 2013 rule (``basis = assumed-2013``); changing a rule is changing a CSV row.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from fractions import Fraction
from functools import cache

from ecohub.standards.aqi import exact_decimal, pollutant_name
from ecohub.standards.editions import check_edition, edition_for, load_table
from ecohub.standards.errors import InvalidValue, UnknownParameter

__all__ = [
    "exact_number",
    "gb3095_pollutant",
    "hj663_edition",
    "is_valid_8h",
    "is_valid_daily",
    "is_valid_hour",
    "is_valid_o3_daily_max8h",
    "limit",
    "min_count",
    "valid_annual",
    "valid_month",
    "validity_rule",
]

# Our own bound, far above any real concentration, so results stay representable as floats.
_MAX_VALUE = Decimal("1e12")
_PERIOD_ALIASES = {"8h": "8h_daily_max", "year": "annual", "day": "24h", "quarter": "quarterly"}


# ---------------------------------------------------------------- names


@cache
def _limit_pollutants() -> dict[str, str]:
    return {r["pollutant"].upper(): r["pollutant"] for r in load_table("gb3095_limits.csv")}


def gb3095_pollutant(pollutant: object) -> str:
    """A GB 3095 pollutant: the six AQI ones (names or HJ 212 codes) or TSP, NOx, Pb, BaP."""
    if isinstance(pollutant, str) and pollutant.strip().upper() in _limit_pollutants():
        return _limit_pollutants()[pollutant.strip().upper()]
    return pollutant_name(pollutant)


def hj663_edition(edition: object) -> int:
    """``edition`` as an HJ 663 edition year (``StandardsError`` for one that does not exist)."""
    ed = check_edition("HJ663", edition)
    assert isinstance(ed, int)
    return ed


def _count(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or int(value) < 0:
        raise InvalidValue(name, f"expected a non-negative whole count, got {value!r}")
    return int(value)


def exact_number(name: str, value: object) -> Fraction:
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
    name = gb3095_pollutant(pollutant)
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
    ed = hj663_edition(edition)
    name = gb3095_pollutant(pollutant)
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
