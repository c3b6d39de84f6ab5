"""Mann-Kendall / seasonal Kendall: a hand-worked example, agreement with pymannkendall, the
monthly series in the engine, and refusals."""

from __future__ import annotations

import math
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import pymannkendall as pmk
import pytest

from ecohub.analytics import trend as tr

from .conftest import put


def test_hand_worked_example_with_ties() -> None:
    """x = 1, 2, 2, 3 at t = 0..3, worked by hand:

    pairs (i<j): (1,2)+ (1,2)+ (1,3)+ (2,2)0 (2,3)+ (2,3)+  -> S = 5
    Var(S) = [4·3·13 − 2·1·9] / 18 = (156 − 18) / 18 = 7.6667 (one tie group of 2)
    Z = (5 − 1) / √7.6667 = 1.4446;  p = 2(1 − Φ(1.4446)) = 0.1486;  tau = 5 / 6
    slopes 1, 0.5, 0.6667, 0, 0.5, 1 -> median (0.5 + 0.6667) / 2 = 0.58333
    """
    r = tr.mk_statistics([1, 2, 2, 3])
    assert r.s == 5
    assert r.var_s == pytest.approx(138 / 18)
    assert r.z == pytest.approx(4 / math.sqrt(138 / 18))
    assert r.z == pytest.approx(1.4446, abs=1e-4)
    assert r.p == pytest.approx(0.1486, abs=1e-4)
    assert r.tau == pytest.approx(5 / 6)
    assert r.slope_per_year == pytest.approx(7 / 12)
    assert r.trend == "no trend"


def test_slope_uses_real_time_gaps() -> None:
    r = tr.mk_statistics([1.0, float("nan"), 3.0], [0.0, 0.5, 2.0])
    assert r.n == 2 and r.slope_per_year == pytest.approx(1.0)


@pytest.mark.parametrize("seed", range(6))
def test_mk_equals_pymannkendall(seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = np.round(rng.normal(50, 10, 60) + np.arange(60) * rng.uniform(-0.3, 0.3), 0)  # ties
    x[rng.choice(60, 5, replace=False)] = np.nan
    ours = tr.mann_kendall(x, np.arange(60) / 12.0)
    ref = pmk.original_test(x)
    assert ours.s == ref.s and ours.var_s == pytest.approx(ref.var_s)
    assert ours.z == pytest.approx(ref.z) and ours.p == pytest.approx(ref.p)
    assert ours.tau == pytest.approx(ref.Tau) and ours.trend == ref.trend
    assert ours.slope_per_year == pytest.approx(ref.slope * 12)  # per month -> per year


@pytest.mark.parametrize("seed", range(6))
def test_seasonal_equals_pymannkendall(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    n = 48 + seed  # not always whole years
    months = np.arange(n)
    x = np.round(
        30 + 10 * np.sin(2 * np.pi * months / 12) - 0.05 * seed * months + rng.normal(0, 4, n), 1
    )
    x[rng.choice(n, 4, replace=False)] = np.nan
    ours = tr.seasonal_kendall(x, months % 12 + 1, months // 12)
    ref = pmk.seasonal_test(x, period=12)
    assert ours.s == ref.s and ours.var_s == pytest.approx(ref.var_s)
    assert ours.z == pytest.approx(ref.z) and ours.p == pytest.approx(ref.p)
    assert ours.tau == pytest.approx(ref.Tau) and ours.trend == ref.trend
    assert ours.slope_per_year == pytest.approx(ref.slope)


def test_refusals_name_the_field() -> None:
    with pytest.raises(ValueError, match=r"^values: 5 value\(s\)"):
        tr.mann_kendall([1, 2, 3, 4, 5])
    with pytest.raises(ValueError, match=r"^time: .*duplicated or out of order"):
        tr.mk_statistics([1, 2, 3], [0.0, 2.0, 1.0])
    with pytest.raises(ValueError, match=r"^time: .*duplicated or out of order"):
        tr.mk_statistics([1, 2, 3], [0.0, 1.0, 1.0])
    with pytest.raises(ValueError, match=r"^value: infinite"):
        tr.mk_statistics([1, math.inf, 3])
    with pytest.raises(ValueError, match=r"^time: a \(season, year\)"):
        tr.seasonal_kendall([1, 2], [1, 1], [2020, 2020])
    with pytest.raises(ValueError, match=r"^values: data in 2 year"):
        tr.seasonal_kendall(
            list(range(24)), [m % 12 + 1 for m in range(24)], [m // 12 for m in range(24)]
        )


def _hourly(station: str, code: str, start: str, months: int, slope: float) -> pd.DataFrame:
    times = pd.date_range(start, periods=months * 31 * 24, freq="h", tz="Asia/Shanghai")
    times = times[times < pd.Timestamp(start, tz="Asia/Shanghai") + pd.DateOffset(months=months)]
    years = (times - times[0]).days / 365.25
    season = 20 * np.cos(2 * np.pi * (times.month - 1) / 12)
    value = np.round(80 + season + slope * years + 5 * np.sin(np.arange(len(times))), 0)
    return pd.DataFrame(
        {
            "station_id": station,
            "parameter": code,
            "period": "1h",
            "time": times,
            "value": value,
            "unit": "µg/m³",
            "flag": "N",
            "source": "t",
        }
    )


def test_monthly_series_and_trend_on_engines(engine: Any) -> None:
    """Hourly PM2.5 falling 6 µg/m³ a year: decreasing; one month with only 20 valid days
    (HJ 663 needs 27) is left out; bad values are counted, not averaged."""
    obs = pd.concat(
        [
            _hourly("S1", "a34004", "2013-03-01", 48, -6.0),
            _hourly("S2", "a34004", "2013-03-01", 48, 0.0),
        ]
    )
    june = (
        (obs.station_id == "S1")
        & (obs.time.dt.strftime("%Y-%m") == "2014-06")
        & (obs.time.dt.day > 20)
    )
    obs = obs[~june]
    bad = obs.index[(obs.station_id == "S2")][:3]
    obs = obs.reset_index(drop=True)
    obs.loc[0, "value"] = -5.0
    obs.loc[1, "flag"] = "D"
    obs.loc[2, "value"] = np.nan
    obs.loc[3, "value"] = np.inf  # counted as good on Spark until 2026-11-27 (Ibis's isinf)
    del bad
    obs["flag"] = obs["flag"].astype("string")
    t = put(engine, "observation", obs)
    res = tr.trends(t).set_index("station_id")
    s1, s2 = res.loc["S1"], res.loc["S2"]
    assert s1.trend == "decreasing" and s1.slope_per_year == pytest.approx(-6.0, abs=1.0)
    assert s1.n == 47 and s1.n_months == 48  # June 2014 invalid (20 days < 27)
    assert s1.n_rejected == 4
    assert s1.period_from == date(2013, 3, 1) and s1.period_to == date(2017, 2, 1)
    assert s2.trend == "no trend"
    # The engine's monthly means equal pandas' mean of daily means.
    m = tr.monthly_means(t, stations=["S2"]).to_pandas().set_index(["year", "month"]).sort_index()
    s2obs = obs[obs.station_id == "S2"]
    daily = s2obs.groupby(s2obs.time.dt.date).value.mean()
    want = daily.groupby(
        [pd.to_datetime(daily.index).year, pd.to_datetime(daily.index).month]
    ).mean()
    assert m.value.to_numpy() == pytest.approx(want.to_numpy())


def test_a_gaseous_series_across_2018_09_01_says_so(engine: Any) -> None:
    """GB 3095-2012 Amendment No. 1: gaseous pollutants at 298.15 K from 2018-09-01; a NO2
    series from 2017 into 2019 carries the note, PM2.5 over the same months does not."""
    obs = pd.concat(
        [
            _hourly("S1", "a21004", "2017-03-01", 30, 0.0),
            _hourly("S1", "a34004", "2017-03-01", 30, 0.0),
            _hourly("S2", "a21004", "2018-09-01", 30, 0.0),
        ]
    )
    obs["flag"] = obs["flag"].astype("string")
    t = put(engine, "observation", obs)
    res = tr.trends(t).set_index(["station_id", "parameter"])
    assert "spans 2018-09-01" in res.loc[("S1", "a21004"), "note"]
    assert "spans 2018-09-01" not in res.loc[("S1", "a34004"), "note"]
    assert "spans 2018-09-01" not in res.loc[("S2", "a21004"), "note"]


def test_mixed_units_refused(engine: Any) -> None:
    obs = _hourly("S1", "a21005", "2020-01-01", 2, 0.0)
    obs.loc[obs.index[:30], "unit"] = "mg/m³"
    obs["flag"] = obs["flag"].astype("string")
    t = put(engine, "observation", obs)
    with pytest.raises(ValueError, match=r"^unit: S1 a21005"):
        tr.trends(t)


def test_store_trends_is_idempotent() -> None:
    from ecohub.store.db import connect
    from ecohub.store.engine import ibis_duckdb

    con = connect(":memory:")
    obs = _hourly("S1", "a34004", "2013-03-01", 40, -3.0)
    obs["flag"] = obs["flag"].astype("string")
    t = put(ibis_duckdb(con), "observation", obs)
    table = tr.trends(t)
    assert tr.store_trends(con, table) == 1
    tr.store_trends(con, table)
    row = con.execute(
        "SELECT count(*), max(trend), max(slope_per_year) FROM trend_result"
    ).fetchone()
    assert row[0] == 1 and row[1] == "decreasing" and row[2] < 0
