"""Trends of the reviewed record (walk E, finding 3): the values the data review set aside
(a flag not overruled) are left out and counted, exactly as the air assessment leaves them
out; the raw record keeps them. On both engines.

The input is prepared by hand so each monthly mean is known without the code under test:
every hour of a month has the month's base value; in the "spiked" months the first day's 24
hours read 900 µg/m³ instead, so that month's mean is ``base + (900 - base) / days``. The
expected trends are pymannkendall's on those hand-computed monthly series.
"""

from __future__ import annotations

import calendar
from typing import Any

import numpy as np
import pandas as pd
import pymannkendall as pmk
import pytest

from ecohub.analytics import trend as tr
from ecohub.analytics.air_input import review_set_aside

from .conftest import put

SPIKE = 900.0
START = pd.Timestamp("2013-01-01", tz="Asia/Shanghai")
MONTHS = 48
# (year index, month) of the spiked months and the status of their review flags
SPIKED = {(3, 1): "flagged", (3, 4): "confirmed", (3, 7): "flagged", (2, 10): "overruled"}


def _base(k: int) -> float:
    """Month k (0 = 2013-01): a seasonal cycle falling 4 µg/m³ a year, whole numbers."""
    return float(round(60 + 20 * np.cos(2 * np.pi * (k % 12) / 12) - 4 * (k / 12)))


def _frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    obs, flags = [], []
    for k in range(MONTHS):
        year, month = 2013 + k // 12, k % 12 + 1
        days = calendar.monthrange(year, month)[1]
        times = pd.date_range(f"{year}-{month:02d}-01", periods=days * 24, freq="h",
                              tz="Asia/Shanghai")  # fmt: skip
        value = np.full(len(times), _base(k))
        status = SPIKED.get((k // 12, month))
        if status is not None:
            value[:24] = SPIKE
            for rule in ("range", "spike"):  # two rules on one value: counted once
                one = {"station_id": "S1", "parameter": "a34004", "period": "1h",
                       "time": times[:24], "value": SPIKE, "rule": rule, "reason": "test",
                       "status": status}  # fmt: skip
                flags.append(pd.DataFrame(one))
        flag = np.full(len(times), "N", dtype=object)
        if k == 5:
            flag[30:33] = "C"  # calibration: not valid, counted in n_rejected, not set aside
        obs.append(pd.DataFrame({"station_id": "S1", "parameter": "a34004", "period": "1h",
                                 "time": times, "value": value, "unit": "µg/m³", "flag": flag,
                                 "source": "t"}))  # fmt: skip
    o = pd.concat(obs, ignore_index=True)
    o["flag"] = o["flag"].astype("string")
    return o, pd.concat(flags, ignore_index=True)


def _series(kept: set[str]) -> list[float]:
    """The monthly means by hand: spiked months whose flag status is in ``kept`` keep the
    900 µg/m³ day; the others have their base value."""
    out = []
    for k in range(MONTHS):
        year, month = 2013 + k // 12, k % 12 + 1
        days = calendar.monthrange(year, month)[1]
        status = SPIKED.get((k // 12, month))
        base = _base(k)
        out.append(base + (SPIKE - base) / days if status in kept else base)
    return out


@pytest.mark.parametrize("raw", [False, True])
def test_reviewed_record_leaves_out_set_aside_values(engine: Any, raw: bool) -> None:
    obs, flags = _frames()
    t = put(engine, "observation", obs)
    put(engine, "review_flag", flags)
    keys = None if raw else review_set_aside(engine)
    row = tr.trends(t, set_aside=keys).set_index("station_id").loc["S1"]
    kept = {"flagged", "confirmed", "overruled"} if raw else {"overruled"}
    ref = pmk.seasonal_test(np.array(_series(kept)), period=12)
    assert row.record == ("raw" if raw else "reviewed")
    # three spiked months set aside (flagged or confirmed), 24 values each; the overruled
    # month is kept; the three calibration values are invalid, not set aside
    assert row.n_set_aside == (0 if raw else 3 * 24)
    assert row.n_rejected == 3
    assert row.n == MONTHS
    assert row.s == ref.s and row.var_s == pytest.approx(ref.var_s)
    assert row.z == pytest.approx(ref.z) and row.p == pytest.approx(ref.p)
    assert row.slope_per_year == pytest.approx(ref.slope) and row.trend == ref.trend


def test_the_two_records_differ_on_this_input() -> None:
    """The input is chosen so the review matters: otherwise the test above proves nothing."""
    raw = pmk.seasonal_test(np.array(_series({"flagged", "confirmed", "overruled"})), period=12)
    reviewed = pmk.seasonal_test(np.array(_series({"overruled"})), period=12)
    assert raw.s != reviewed.s


def test_a_month_wholly_set_aside_is_counted(engine: Any) -> None:
    """Every value of a month set aside: the month is a gap, its values still counted."""
    obs, _ = _frames()
    t = put(engine, "observation", obs)
    june = obs[obs.time.dt.strftime("%Y-%m") == "2015-06"]
    flags = june[["station_id", "parameter", "period", "time", "value"]].assign(
        rule="constant", reason="test", status="confirmed"
    )
    put(engine, "review_flag", flags)
    row = tr.trends(t, set_aside=review_set_aside(engine)).set_index("station_id").loc["S1"]
    assert row.n == MONTHS - 1 and row.n_set_aside == 30 * 24
