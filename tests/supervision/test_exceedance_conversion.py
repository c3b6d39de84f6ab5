"""Defect 3: a device sending only the measured ``-Avg`` and O2 (no ``-ZsAvg``) was judged on
the measured value, so the permit's reference O2 was never applied. HJ 75-2017 / GB 13223:
the limit applies to C x (21 - O2_ref) / (21 - O2). Expected values worked by hand below."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from ecohub.supervision import detect
from ecohub.supervision.rules import rule
from tests.supervision.series import T0, findings, load, store, table

H = timedelta(hours=1)
D = timedelta(days=1)


def _outlet(minutes: int, so2: float, o2: float | None, ref_o2: float | None, limit: float,
            period: str = "hour"):  # fmt: skip
    con = store()
    con.execute("INSERT INTO permit (permit_no, source_code) VALUES ('P1', 'S1')")
    con.execute(
        'INSERT INTO permit_limit (permit_no, outlet_code, pollutant, "limit", unit, period, '
        "reference_o2) VALUES ('P1', 'DA001', 'a21026', ?, 'mg/m3', ?, ?)",
        [limit, period, ref_o2],
    )
    values = {"a21026": np.full(minutes, so2), "a00000": np.full(minutes, 50.0)}
    values["a19001"] = np.full(minutes, 15.0 if o2 is None else o2)
    load(con, table(values))
    con.execute("UPDATE emission SET zs_avg = NULL, zs_rtd = NULL")  # no -ZsAvg sent
    if o2 is None:
        con.execute("DELETE FROM emission WHERE pollutant = 'a19001'")
    return con


def _events(con) -> list[tuple]:
    return con.execute(
        'SELECT pollutant, period, start, "end", peak, "limit", multiple FROM exceedance'
    ).fetchall()


def test_measured_value_is_converted_with_the_permit_reference_o2() -> None:
    # SO2 40 mg/m3 at O2 15 %, reference O2 6 %: 40 x (21 - 6) / (21 - 15) = 40 x 15 / 6 = 100
    # mg/m3, twice the limit of 50 (the measured 40 is under it).
    con = _outlet(60, 40.0, 15.0, 6.0, 50.0)
    detect(con, T0, T0 + H, rules=[rule("constant")])
    assert _events(con) == [("a21026", "hour", T0, T0 + H, 100.0, 50.0, 2.0)]


@pytest.mark.parametrize("o2", [None, 21.0, 22.5])
def test_without_a_usable_o2_the_hour_is_not_judged(o2: float | None) -> None:
    # 40 x 15 / 0 or a negative divisor: no converted value, no judgement (docs/supervision.md).
    con = _outlet(60, 80.0, o2, 6.0, 50.0)
    detect(con, T0, T0 + H, rules=[rule("constant")])
    assert _events(con) == []


def test_a_limit_without_reference_o2_is_judged_on_the_measured_value() -> None:
    con = _outlet(60, 60.0, 15.0, None, 50.0)
    detect(con, T0, T0 + H, rules=[rule("constant")])
    assert _events(con) == [("a21026", "hour", T0, T0 + H, 60.0, 50.0, 1.2)]


def test_daily_limit_on_converted_hourly_means() -> None:
    # 24 hours of SO2 20 at O2 11 %, reference 6 %: 20 x 15 / 10 = 30 each hour, day mean 30 >
    # 25 (the measured 20 is under it).
    con = _outlet(1440, 20.0, 11.0, 6.0, 25.0, period="day")
    detect(con, T0, T0 + D, rules=[rule("constant")])
    assert _events(con) == [("a21026", "day", T0, T0 + D, 30.0, 25.0, 1.2)]


def test_held_under_limit_on_converted_values() -> None:
    # SO2 22 at O2 11 %, reference 6 %: 22 x 15 / 10 = 33 every hour, in [0.9 x 35, 35) = [31.5,
    # 35) for 24 of 24 hours: held under the limit of 35. (Measured 22 is nowhere near it.)
    con = _outlet(1440, 22.0, 11.0, 6.0, 35.0)
    detect(con, T0, T0 + D, rules=[rule("held_under_limit")])
    assert [(p, r, s, e) for _, p, r, s, e in findings(con)] == [
        ("a21026", "held_under_limit", T0, T0 + D)
    ]
