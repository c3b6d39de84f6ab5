"""HJ 663 rules as Ibis expressions, per edition: data validity (``hj663_validity.csv``) and
the assessment statistics (``hj663_statistics.csv``), for any row of either table.

Each rule is looked up for the HJ 663 edition in force on the row's date (one CASE branch
per edition, the dates from :mod:`ecohub.standards.editions`). When every edition has the
same rule the expression is a plain literal, so a table where the editions agree costs
nothing per row. A rule the tables can express but that cannot be evaluated (a "valid if
it exceeds" rule for a statistic GB 3095 sets no limit for) raises :class:`RuleError`
naming the table row, before any data is read.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ibis
import ibis.expr.types as ir

from ecohub.analytics.aqi import by_date
from ecohub.standards.air import limit, validity_rule
from ecohub.standards.editions import editions_of, load_table
from ecohub.standards.errors import StandardsError

__all__ = [
    "LIMIT_PERIOD",
    "RuleError",
    "by_hj663",
    "hj663_editions",
    "period_end",
    "statistic_rows",
    "valid",
]

# The GB 3095 limit a statistic short of its data is compared with when its row says
# valid_if_exceeds = yes (HJ 663 s6 names that rule for the O3 daily maximum 8-h mean).
LIMIT_PERIOD = {"24h": "24h", "8h": "8h_daily_max", "8h_daily_max": "8h_daily_max"}


class RuleError(ValueError):
    """A row of an HJ 663 table that cannot be applied as written."""


def hj663_editions() -> tuple[int, ...]:
    return tuple(int(e.edition) for e in editions_of("HJ663"))


def by_hj663(day: ir.DateValue, value_of: Callable[[int], Any], same: bool | None = None) -> Any:
    """``value_of(edition)`` of the HJ 663 edition in force on ``day`` (NULL where none is).

    ``same``: whether every edition gives the same value; computed by comparing
    ``repr`` of the values when not given. Then the one value is returned, per-row free.
    """
    eds = hj663_editions()
    if same is None:
        same = len({repr(value_of(ed)) for ed in eds}) == 1
    if same:
        return value_of(eds[0])
    return by_date(day, "HJ663", value_of)


def valid(
    count: ir.IntegerValue,
    statistic: str,
    pollutant: str,
    day: ir.DateValue,
    value: ir.FloatingValue | None = None,
) -> ir.BooleanValue:
    """Whether a statistic with ``count`` data is valid under the edition in force on ``day``:
    ``count >= min_count``, or (where the row says so) ``value`` above its GB 3095 limit of
    the phase in force that day. Never NULL."""
    rules = {ed: _rule(statistic, pollutant, ed) for ed in hj663_editions()}
    for ed, (_, exceeds) in rules.items():
        if exceeds and (value is None or statistic not in LIMIT_PERIOD):
            raise RuleError(
                f"hj663_validity.csv: {ed},{statistic},{pollutant}: valid_if_exceeds = yes, but "
                f"a {statistic} value of {pollutant} has no GB 3095 limit to exceed here"
            )

    def over_limit() -> ir.BooleanValue:
        assert value is not None
        lim = by_date(
            day,
            "GB3095",
            lambda ph: ibis.literal(limit(pollutant, LIMIT_PERIOD[statistic], 2, phase=str(ph))),
        )
        return value > lim

    def rule(ed: int) -> ir.BooleanValue:
        need, exceeds = rules[ed]
        ok = count >= need
        return (ok | over_limit()) if exceeds else ok

    same = len(set(rules.values())) == 1
    return by_hj663(day, rule, same=same).fill_null(False)


def _rule(statistic: str, pollutant: str, edition: int) -> tuple[int, bool]:
    try:
        return validity_rule(statistic, pollutant, edition)
    except StandardsError as exc:
        raise RuleError(f"hj663_validity.csv: {exc}") from exc


def statistic_rows(edition: int, role: str = "index") -> list[dict[str, str]]:
    """The ``hj663_statistics.csv`` rows of one edition and ``role`` (``index``: each
    pollutant's statistic of every period and of the comprehensive index; ``annual``: the
    further statistics of the annual assessment), in table order."""
    rows = [
        r
        for r in load_table("hj663_statistics.csv")
        if int(r["edition"]) == edition and r["role"] == role
    ]
    if not rows:
        raise RuleError(f"hj663_statistics.csv has no rows for HJ 663-{edition}")
    return rows


def period_end(year: ir.IntegerValue, month: ir.IntegerValue | None) -> ir.DateValue:
    """The day whose edition judges a period: a month's first day (editions change on the
    first of a month), a year's last day."""
    if month is not None:
        return ibis.date(year, month, 1)
    return ibis.date(year, 12, 31)
