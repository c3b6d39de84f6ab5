"""达标 of an annual assessment: each statistic beside its GB 3095 class-2 limit, and per
pollutant whether it meets the standard for the year (HJ 663-2013 Table 1: a pollutant with
an annual mean and a 24-h percentile meets it only when both do).

Works on the assessment's ``stats`` frame after it was read for the caller (a few rows per
city and station), with the limits and editions of :mod:`ecohub.standards`: the GB 3095 phase
and the HJ 663 edition in force on the year's last day judge it.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction
from functools import cache

import pandas as pd

from ecohub.standards.air import limit
from ecohub.standards.air_assessment import compliance
from ecohub.standards.editions import edition_for, load_table
from ecohub.standards.errors import StandardsError

__all__ = ["with_compliance"]

_KEYS = ["scope", "code", "year", "pollutant"]


@cache
def _limit_periods(edition: int) -> dict[tuple[str, str], tuple[str, str]]:
    """(pollutant, statistic label) -> (limit period, role) of an HJ 663 edition."""
    out = {}
    for r in load_table("hj663_statistics.csv"):
        if int(r["edition"]) == edition:
            label = f"p{r['percentile']}" if r["percentile"] else "mean"
            out[(r["pollutant"], label)] = (r["limit_period"], r["role"])
    return out


@cache
def _judges(year: int) -> tuple[int, str] | None:
    """(HJ 663 edition, GB 3095 phase) in force on the year's last day; None if none is."""
    try:
        end = date(year, 12, 31)
        return int(edition_for("HJ663", end)), str(edition_for("GB3095", end))
    except StandardsError:
        return None


def _limit_of(year: int, pollutant: str, statistic: str) -> float | None:
    judges = _judges(year)
    if judges is None:
        return None
    row = _limit_periods(judges[0]).get((pollutant, statistic))
    if row is None:
        return None
    try:
        return limit(pollutant, row[0], 2, phase=judges[1])
    except StandardsError:
        return None


def with_compliance(stats: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``stats`` (scope, code, year, pollutant, statistic, value, …, valid) with ``limit``
    (GB 3095 class 2, the period the statistic is judged against), ``meets`` (value ≤ limit;
    None when the statistic is not valid) and ``exceed_ratio`` ((value − limit) / limit to
    two decimals where it is over, HJ 663's 超标倍数); and a frame per (scope, code, year,
    pollutant): ``meets`` (every statistic valid and within its limit; None when one is not
    valid), ``statistics`` (how many were judged)."""
    out = stats.copy()
    limits = [
        _limit_of(int(y), str(p), str(s))
        for y, p, s in zip(out["year"], out["pollutant"], out["statistic"], strict=True)
    ]
    out["limit"] = pd.Series(limits, index=out.index, dtype=object)
    meets: list[bool | None] = []
    ratio: list[float | None] = []
    for value, lim, valid in zip(out["value"], limits, out["valid"], strict=True):
        if lim is None or value is None or pd.isna(value) or not bool(valid):
            meets.append(None)
            ratio.append(None)
            continue
        over = Fraction(Decimal(repr(float(value)))) > Fraction(Decimal(repr(lim)))
        meets.append(not over)
        ratio.append(round((float(value) - lim) / lim, 2) if over else None)
    out["meets"] = pd.Series(meets, index=out.index, dtype=object)
    out["exceed_ratio"] = pd.Series(ratio, index=out.index, dtype=object)
    return out, _per_pollutant(out)


def _per_pollutant(stats: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for keys, g in stats.groupby(_KEYS, sort=True):
        scope, code, year, pollutant = (str(k) for k in keys)
        judges = _judges(int(year))
        meets: bool | None = None
        if judges is not None and g["meets"].notna().all() and len(g):
            # The standard's own rule (standards.air_assessment.compliance) decides 达标.
            periods = _limit_periods(judges[0])
            role = {s: periods.get((pollutant, s), ("", ""))[1] for s in g["statistic"]}
            values = dict(zip(g["statistic"], g["value"].astype(float), strict=True))
            index = [v for s, v in values.items() if role[s] == "index"]
            further = [v for s, v in values.items() if role[s] == "annual"]
            if index:
                verdict = compliance(
                    {pollutant: index[0]},
                    phase=judges[1],
                    edition=judges[0],
                    percentiles={pollutant: further[0]} if further else None,
                )
                meets = verdict[pollutant]
        rows.append(
            {
                "scope": scope,
                "code": code,
                "year": int(year),
                "pollutant": pollutant,
                "meets": meets,
                "statistics": len(g),
            }
        )
    return pd.DataFrame(rows, columns=[*_KEYS, "meets", "statistics"])
