"""Monotonic trends per station and parameter: Mann-Kendall and seasonal Kendall, Sen's slope.

The engine builds the monthly series (Ibis, DuckDB or Spark): values are checked, averaged
per CST day, then per month, with HJ 663's validity minimums for the air pollutants
(:func:`ecohub.standards.air.min_count`: 20 hourly values a day, 27 days a month, 25 in
February). Each (station, parameter) series then goes through the test in Python:

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
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from functools import cache
from typing import Any

import ibis
import numpy as np
import pandas as pd

from ecohub.analytics._floats import infinite
from ecohub.analytics._time import cst_date
from ecohub.analytics.air_input import TIME_SET_ASIDE, plausible_time
from ecohub.standards import air
from ecohub.standards.editions import editions_of, load_table
from ecohub.standards.errors import UnknownParameter

__all__ = [
    "MIN_VALUES",
    "MIN_YEARS",
    "TrendResult",
    "mann_kendall",
    "mk_statistics",
    "monthly_means",
    "seasonal_kendall",
    "store_trends",
    "trends",
]

MIN_VALUES = 11  # Mann-Kendall: n > 10, see the module doc
MIN_YEARS = 3  # seasonal Kendall: years with data, see the module doc
ALPHA = 0.05
VALID_FLAGS = ("N",)  # HJ 212 flag N = normal; NULL = unflagged (manual/laboratory data)


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


# ------------------------------------------------------------------ series in the engine


def _min_per_day(name: str, edition: int) -> int:
    try:
        return air.min_count("24h", name, edition)
    except UnknownParameter:
        # GB 3095 defines no 24-h mean of O3 (its daily statistic is the maximum 8-h mean);
        # for a monthly mean of O3 we hold its days to the other gases' rule (our choice).
        return air.min_count("24h", "NO2", edition)


@cache
def _rules() -> pd.DataFrame:
    """Per air pollutant code and HJ 663 edition: the daily and monthly minimum counts."""
    codes = {r["name"]: r["hj212_code"] for r in load_table("hj633_pollutants.csv")}
    rows = []
    eds = editions_of("HJ663")
    for k, ed in enumerate(eds):
        # Before HJ 663-2013 no national rule existed; its rule judges earlier data too, so
        # a series starting in early 2013 (Beijing) is judged the same way throughout.
        start = date(1900, 1, 1) if k == 0 else (ed.in_use_from or ed.valid_from)
        end = ed.valid_to or date(9999, 12, 31)
        for name, code in codes.items():
            edition = int(ed.edition)
            rows.append(
                {
                    "parameter": code,
                    "ed_from": start,
                    "ed_to": end,
                    "min_per_day": _min_per_day(name, edition),
                    "min_days": air.min_count("month", name, edition),
                    "min_days_feb": air.min_count("month_feb", name, edition),
                }
            )
    return pd.DataFrame(rows)


def monthly_means(
    obs: Any,
    *,
    stations: Sequence[str] | None = None,
    parameters: Sequence[str] | None = None,
    start: date | None = None,
    end: date | None = None,
) -> Any:
    """Monthly mean of each (station, parameter), as an Ibis table.

    ``obs``: a table with the ``observation`` columns. Rows with a missing, non-finite or
    negative value or an HJ 212 flag other than N are left out and counted (``n_rejected``
    over the month). Daily means (CST days) then monthly means of valid days; for the six
    air pollutants a day needs ``min_per_day`` values and a month ``min_days`` (February
    ``min_days_feb``) days (HJ 663, the edition in force on the day), other parameters need
    one. Columns: ``station_id, parameter, unit, n_units, year, month, value, n_days,
    valid_month, n_rejected``; ``n_units`` > 1 means mixed units (the caller must refuse).
    """
    t = _selected(obs, stations, parameters)
    # An impossible stored time never reaches calendar arithmetic (see set_aside_times).
    t = t.filter(plausible_time(t.time))
    t = t.mutate(date=cst_date(t.time))
    if start is not None:
        t = t.filter(t.date >= start)
    if end is not None:
        t = t.filter(t.date <= end)
    flag = t.flag.strip().upper()
    bad = (
        t.value.isnull()
        | t.value.isnan()
        | infinite(t.value)
        | (t.value < 0)
        | (flag.notnull() & ~flag.isin(VALID_FLAGS))
    )
    t = t.mutate(bad=bad)
    rules = ibis.memtable(_rules())
    j = t.left_join(
        rules,
        [t.parameter == rules.parameter, t.date >= rules.ed_from, t.date <= rules.ed_to],
    )
    j = j.drop(*(c for c in j.columns if c.endswith("_right")), "ed_from", "ed_to")
    good = j.filter(~j.bad)
    daily = good.group_by(["station_id", "parameter", "date"]).agg(
        value=good.value.mean(),
        n=good.value.count(),
        unit=good.unit.max(),
        n_units=good.unit.nunique(),
        min_per_day=good.min_per_day.max().fill_null(1),
        min_days=good.min_days.max().fill_null(1),
        min_days_feb=good.min_days_feb.max().fill_null(1),
    )
    daily = daily.filter(daily.n >= daily.min_per_day)
    daily = daily.mutate(year=daily.date.year(), month=daily.date.month())
    daily = daily.mutate(
        need=ibis.cases((daily.month == 2, daily.min_days_feb), else_=daily.min_days)
    )
    monthly = daily.group_by(["station_id", "parameter", "year", "month"]).agg(
        value=daily.value.mean(),
        n_days=daily.value.count(),
        unit=daily.unit.max(),
        n_units=daily.n_units.max(),
        need=daily.need.max(),
    )
    rejected = (
        j.mutate(year=j.date.year(), month=j.date.month())
        .group_by(["station_id", "parameter", "year", "month"])
        .agg(n_rejected=j.bad.cast("int64").sum())
    )
    out = monthly.left_join(rejected, ["station_id", "parameter", "year", "month"])
    out = out.drop(*(c for c in out.columns if c.endswith("_right")))
    return out.mutate(valid_month=out.n_days >= out.need).drop("need")


def _selected(obs: Any, stations: Sequence[str] | None, parameters: Sequence[str] | None) -> Any:
    t = obs
    if stations:
        t = t.filter(t.station_id.isin(list(stations)))
    if parameters:
        t = t.filter(t.parameter.isin(list(parameters)))
    return t


def set_aside_times(
    obs: Any,
    *,
    stations: Sequence[str] | None = None,
    parameters: Sequence[str] | None = None,
) -> pd.DataFrame:
    """``station_id, parameter, n``: rows whose stored time cannot be an observation's
    (``air_input.plausible_time``), left out of the monthly means and counted."""
    t = _selected(obs, stations, parameters)
    t = t.filter(~plausible_time(t.time))
    return t.group_by(["station_id", "parameter"]).agg(n=t.count()).to_pandas()


def trends(
    obs: Any,
    *,
    stations: Sequence[str] | None = None,
    parameters: Sequence[str] | None = None,
    start: date | None = None,
    end: date | None = None,
    seasonal: bool = True,
    alpha: float = ALPHA,
) -> pd.DataFrame:
    """Trend test of every (station, parameter) series of ``obs``; one row per series.

    Columns: ``station_id, parameter, unit, test, period_from, period_to, n, n_months``
    (months spanned), ``n_rejected, s, var_s, z, p, tau, slope_per_year, trend, alpha,
    note``. A series too short for the test has ``trend = "insufficient data"`` and the
    reason in ``note``; a series in more than one unit raises ``ValueError``.
    """
    m = monthly_means(obs, stations=stations, parameters=parameters, start=start, end=end)
    df = m.to_pandas()
    mixed = df[df.n_units > 1]
    if not mixed.empty:
        r = mixed.iloc[0]
        raise ValueError(f"unit: {r.station_id} {r.parameter} is stored in more than one unit")
    bad = set_aside_times(obs, stations=stations, parameters=parameters)
    bad_times = {
        (str(sid), str(par)): int(n)
        for sid, par, n in zip(bad.station_id, bad.parameter, bad.n, strict=True)
    }
    rows = []
    for (sid, par), g in df.groupby(["station_id", "parameter"], sort=True):
        g = g.sort_values(["year", "month"])
        ok = g[g.valid_month.astype(bool)]
        idx = g.year * 12 + g.month - 1
        first, last = int(idx.min()), int(idx.max())
        row: dict[str, Any] = {
            "station_id": sid,
            "parameter": par,
            "unit": g.unit.iloc[0],
            "test": "seasonal_mk" if seasonal else "mk",
            "period_from": date(first // 12, first % 12 + 1, 1),
            "period_to": date(last // 12, last % 12 + 1, 1),
            "n": len(ok),
            "n_months": last - first + 1,
            "n_rejected": int(g.n_rejected.fillna(0).sum()),
            "alpha": alpha,
            "note": "",
        }
        n_bad = bad_times.get((str(sid), str(par)), 0)
        if n_bad:
            row["n_rejected"] += n_bad
            row["note"] = f"{n_bad} row(s) set aside: {TIME_SET_ASIDE}"
        try:
            if seasonal:
                res = seasonal_kendall(ok.value, ok.month, ok.year, alpha)
            else:
                res = mann_kendall(ok.value, (ok.year * 12 + ok.month - 1) / 12.0, alpha)
        except ValueError as exc:
            row.update(
                trend="insufficient data", note="; ".join(filter(None, [row["note"], str(exc)]))
            )
        else:
            row.update({k: v for k, v in asdict(res).items() if k not in ("test", "alpha")})
        rows.append(row)
    cols = ["station_id", "parameter", "unit", "test", "period_from", "period_to", "n"]
    cols += ["n_months", "n_rejected", "s", "var_s", "z", "p", "tau", "slope_per_year"]
    cols += ["trend", "alpha", "note"]
    return pd.DataFrame(rows).reindex(columns=cols)


def store_trends(con: Any, table: pd.DataFrame) -> int:
    """Upsert :func:`trends` rows into ``trend_result`` (DuckDB store); rows written."""
    cols = ["station_id", "parameter", "test", "period_from", "period_to", "unit", "n", "s"]
    cols += ["var_s", "z", "p", "tau", "slope_per_year", "trend", "alpha", "note"]
    rows = table.reindex(columns=cols).assign(computed_at=datetime.now(UTC))
    from ecohub.catalog.produce import note

    params = {
        "stations": sorted(map(str, rows["station_id"].dropna().unique()))[:100],
        "parameters": sorted(map(str, rows["parameter"].dropna().unique())),
        "tests": sorted(map(str, rows["test"].dropna().unique())),
        "period_from": None if rows.empty else str(rows["period_from"].min()),
        "period_to": None if rows.empty else str(rows["period_to"].max()),
        "rows": len(rows),
    }
    con.register("_ecohub_trend_rows", rows)
    con.execute("BEGIN")
    try:
        con.execute(
            f"INSERT OR REPLACE INTO trend_result ({', '.join([*cols, 'computed_at'])}) "
            "SELECT * FROM _ecohub_trend_rows"
        )
        note(con, "trend_result", "trend", [("resource", "observation")], params)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        con.unregister("_ecohub_trend_rows")
    return len(rows)
