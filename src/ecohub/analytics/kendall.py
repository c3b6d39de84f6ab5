"""The trend tests on one series: Mann-Kendall and seasonal Kendall, Sen's slope.

* **Seasonal Kendall** (Hirsch, Slack & Smith 1982; Hirsch & Slack 1984) for monthly series:
  S and Var(S) summed over the 12 calendar months, no covariance between seasons; Sen's
  slope is the median of the within-month slopes, per year.
* **Mann-Kendall** (Mann 1945, Kendall 1975) on the monthly series when ``seasonal=False``.

Both: ties corrected in Var(S), Z with continuity correction, two-sided p from the normal
distribution, tau = S / (number of pairs compared), trend at ``alpha`` (default 0.05).
Missing months are gaps, never filled. The statistic agrees with pymannkendall's
``original_test``/``seasonal_test`` (tested), which we do not call so that gaps and time
units are ours to decide.

Minimum length (our choice; the test is defined for shorter series but its normal
approximation is not): Mann-Kendall needs :data:`MIN_VALUES` values — Gilbert (1987, ch. 16)
uses the normal approximation for n > 10 and the exact distribution of S below, which we do
not implement. Seasonal Kendall needs :data:`MIN_YEARS` years with data, the shortest record
for which Hirsch et al. (1982) found the normal approximation adequate with 12 seasons.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = [
    "ALPHA",
    "MIN_VALUES",
    "MIN_YEARS",
    "TrendResult",
    "mann_kendall",
    "mk_statistics",
    "seasonal_kendall",
]

MIN_VALUES = 11  # Mann-Kendall: n > 10, see the module doc
MIN_YEARS = 3  # seasonal Kendall: years with data, see the module doc
ALPHA = 0.05


@dataclass(frozen=True)
class TrendResult:
    """One test: ``trend`` is ``increasing``, ``decreasing`` or ``no trend`` at ``alpha``."""

    test: str  # "mk" | "seasonal_mk"
    n: int
    s: float
    var_s: float
    z: float
    p: float
    tau: float
    slope_per_year: float
    trend: str
    alpha: float


def _sign_sum(x: np.ndarray) -> float:
    diff = x[None, :] - x[:, None]
    return float(np.sign(diff[np.triu_indices(len(x), 1)]).sum())


def _var_s(x: np.ndarray) -> float:
    n = len(x)
    _, counts = np.unique(x, return_counts=True)
    ties = float(np.sum(counts * (counts - 1) * (2 * counts + 5)))
    return (n * (n - 1) * (2 * n + 5) - ties) / 18.0


def _slopes(x: np.ndarray, t: np.ndarray) -> np.ndarray:
    i, j = np.triu_indices(len(x), 1)
    return (x[j] - x[i]) / (t[j] - t[i])


def _z(s: float, var_s: float) -> float:
    if s == 0 or var_s == 0:
        return 0.0
    return (s - math.copysign(1.0, s)) / math.sqrt(var_s)


def _result(
    test: str, n: int, s: float, var_s: float, pairs: float, slope: float, alpha: float
) -> TrendResult:
    z = _z(s, var_s)
    p = math.erfc(abs(z) / math.sqrt(2.0))  # two-sided: 2 * (1 - Phi(|z|))
    trend = "no trend" if p >= alpha else ("increasing" if z > 0 else "decreasing")
    tau = s / pairs if pairs else 0.0
    return TrendResult(test, n, s, var_s, z, p, tau, slope, trend, alpha)


def _clean(values: Sequence[float], times: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(values, dtype=float)
    t = np.asarray(times, dtype=float)
    if x.shape != t.shape or x.ndim != 1:
        raise ValueError("values: expected one value per time")
    if not np.all(np.isfinite(t)):
        raise ValueError("time: not a finite number")
    if np.any(np.diff(t) <= 0):
        raise ValueError("time: times must be strictly increasing (duplicated or out of order)")
    if np.any(np.isinf(x)):
        raise ValueError("value: infinite value in the series")
    keep = ~np.isnan(x)  # NaN = a gap (missing month)
    return x[keep], t[keep]


def mk_statistics(
    values: Sequence[float], times: Sequence[float] | None = None, alpha: float = ALPHA
) -> TrendResult:
    """Mann-Kendall S, Var(S) (tie-corrected), Z, p, tau and Sen's slope, any length >= 2.

    ``times`` in years (default: 0, 1, 2, …), strictly increasing; NaN values are gaps.
    The slope is per unit of ``times``. No minimum length: see :func:`mann_kendall`.
    """
    t_in: Sequence[float] = list(range(len(values))) if times is None else times
    x, t = _clean(values, t_in)
    if len(x) < 2:
        raise ValueError(f"values: {len(x)} value(s), the test needs at least 2")
    slope = float(np.median(_slopes(x, t)))
    n = len(x)
    return _result("mk", n, _sign_sum(x), _var_s(x), n * (n - 1) / 2, slope, alpha)


def mann_kendall(
    values: Sequence[float], times: Sequence[float] | None = None, alpha: float = ALPHA
) -> TrendResult:
    """:func:`mk_statistics` for a series of at least :data:`MIN_VALUES` values."""
    n = int(np.sum(~np.isnan(np.asarray(values, dtype=float))))
    if n < MIN_VALUES:
        raise ValueError(
            f"values: {n} value(s); Mann-Kendall needs {MIN_VALUES} for its normal approximation"
        )
    return mk_statistics(values, times, alpha)


def seasonal_kendall(
    values: Sequence[float],
    seasons: Sequence[int],
    years: Sequence[float],
    alpha: float = ALPHA,
    min_years: int = MIN_YEARS,
) -> TrendResult:
    """Seasonal Kendall test and seasonal Sen's slope (per year).

    ``seasons`` (e.g. calendar months) and ``years`` give each value's place; a (season,
    year) pair may occur once. NaN values are gaps. Needs ``min_years`` distinct years with
    data.
    """
    frame = pd.DataFrame({"x": values, "season": seasons, "year": years})
    if frame.duplicated(["season", "year"]).any():
        raise ValueError("time: a (season, year) occurs more than once")
    frame = frame.dropna(subset=["x"])
    if np.isinf(frame.x).any():
        raise ValueError("value: infinite value in the series")
    n_years = frame.year.nunique()
    if n_years < min_years:
        raise ValueError(f"values: data in {n_years} year(s); seasonal Kendall needs {min_years}")
    s = var_s = pairs = 0.0
    slopes = []
    for _, g in frame.sort_values("year").groupby("season"):
        x, t = g.x.to_numpy(float), g.year.to_numpy(float)
        if len(x) < 2:
            continue
        s += _sign_sum(x)
        var_s += _var_s(x)
        pairs += len(x) * (len(x) - 1) / 2
        slopes.append(_slopes(x, t))
    slope = float(np.median(np.concatenate(slopes))) if slopes else float("nan")
    return _result("seasonal_mk", len(frame), s, var_s, pairs, slope, alpha)
