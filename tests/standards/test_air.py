"""GB 3095 / HJ 663 vectors: limits by date, validity, percentile, statistics, compliance, index."""

from __future__ import annotations

import contextlib
import math
from datetime import date

import pytest

from ecohub.standards import air, air_assessment
from ecohub.standards.errors import StandardsError, UnknownParameter

from ._vectors import cases


def _arg(text: str) -> object:
    if ";" in text:
        return [float(x) for x in text.split(";")]
    if text.count("-") == 2:
        return date.fromisoformat(text)
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return text


@pytest.mark.parametrize("row", cases("hj663_cases.csv"))
def test_hj663_vectors(row: dict[str, str]) -> None:
    args = [_arg(a) for a in row["args"].split("|")]
    if row["function"] == "percentile" and not isinstance(args[0], list):
        args[0] = [float(args[0])]  # type: ignore[arg-type]
    if row["function"] == "limit":
        pol, per, cls, on = args
        got = air.limit(pol, per, cls, on=on)  # type: ignore[arg-type]
    else:
        module = air if hasattr(air, row["function"]) else air_assessment
        got = getattr(module, row["function"])(*args)
    assert got == pytest.approx(float(row["expected"]), abs=1e-12), row["clause"]


def test_validity_rules() -> None:
    assert air.is_valid_daily(20, "PM2.5") and not air.is_valid_daily(19, "PM2.5")
    assert air.is_valid_daily(20, "a21026")  # HJ 212 code
    assert not air.is_valid_daily(23, "TSP") and air.is_valid_daily(24, "Pb")
    assert air.is_valid_8h(6) and not air.is_valid_8h(5)
    assert air.is_valid_hour(45, "O3") and not air.is_valid_hour(44, "O3")
    assert air.is_valid_o3_daily_max8h(14) and not air.is_valid_o3_daily_max8h(13)
    assert air.is_valid_o3_daily_max8h(13, exceeds_limit=True)
    assert air.valid_month(27, 1) and not air.valid_month(26, 1)
    assert air.valid_month(25, 2) and not air.valid_month(24, 2)
    assert air.valid_annual(324) and not air.valid_annual(323)
    months = [27, 25, 27, 27, 27, 27, 27, 27, 27, 27, 27, 27]
    assert air.valid_annual(324, "PM2.5", months)
    assert not air.valid_annual(330, "PM2.5", [26, *months[1:]])
    assert air.valid_annual(60, "BaP") and not air.valid_annual(59, "BaP")
    for edition in (2013, 2026):  # 2026 repeats the 2013 rule until its text is confirmed
        assert air.min_count("8h_daily_max", "O3", edition) == 14
    with pytest.raises(UnknownParameter):
        air.is_valid_hour(45, "PM2.5")  # PM has no 1-h validity row
    with pytest.raises(UnknownParameter):
        air.min_count("annual", "PM2.5", 2020)


def test_published_monthly_example_comprehensive_index() -> None:
    # A published monthly example (Si: annual class-2 for PM/SO2/NO2, 160 for O3, 4 for CO): 3.06.
    stats = {"PM2.5": 21, "PM10": 39, "SO2": 9, "NO2": 15, "O3": 192, "CO": 0.7}
    ci = air_assessment.comprehensive_index(stats, phase="2012", edition=2013)
    assert ci.index == 3.06 and ci.max_pollutant == ["O3"] and ci.complete
    assert ci.single["CO"] == 0.18 and ci.single["O3"] == 1.2
    # The same statistics under GB 3095-2026 transitional limits (PM2.5 Si 30, PM10 Si 60).
    assert air_assessment.comprehensive_index(stats, on=date(2026, 11, 23)).index == 3.25
    assert not air_assessment.comprehensive_index({"PM2.5": 21}, phase="2012").complete


def test_annual_statistics_and_compliance() -> None:
    days = 330
    daily = {
        "SO2_24h": [9.4] * days,
        "NO2_24h": [40.5] * days,
        "PM10_24h": [70.0] * days,
        "PM2.5_24h": [35.5] * days,
        "CO_24h": [float(i % 50) / 10 for i in range(days)],  # P95 about 4.7 > 4
        "O3_8h": [float(i) for i in range(days)],
    }
    st = air_assessment.annual_statistics(daily, edition=2013)
    assert st["SO2"] == 9 and st["NO2"] == 40 and st["PM2.5"] == 36
    assert st["CO"] == air_assessment.round_statistic(
        "CO", air_assessment.percentile(daily["CO_24h"], 95)
    )
    assert st["O3"] == air_assessment.round_statistic(
        "O3", air_assessment.percentile(daily["O3_8h"], 90)
    )
    ok = air_assessment.compliance(st, phase="2012", edition=2013)
    assert ok == {"SO2": True, "NO2": True, "PM10": True, "PM2.5": False, "CO": False, "O3": False}
    # NO2 40.5 rounds (half to even) to 40, which meets the 40 limit.
    assert air_assessment.compliance({"PM2.5": 30}, on=date(2026, 11, 23)) == {"PM2.5": True}
    assert air_assessment.compliance({"PM2.5": 30}, on=date(2031, 1, 1)) == {"PM2.5": False}


def test_annual_percentiles_worked_by_hand() -> None:
    # Day d = 1..365: NO2, PM10 and PM2.5 daily means d, SO2 2d. Appendix A: k = 1 + (n-1)p/100.
    days = range(1, 366)
    daily = {"SO2_24h": [2.0 * d for d in days], "NO2_24h": [float(d) for d in days],
             "PM10_24h": [float(d) for d in days], "PM2.5_24h": [float(d) for d in days],
             "CO_24h": [1.0] * 365}  # fmt: skip
    got = air_assessment.annual_percentiles(daily, edition=2013)
    # P98: k = 1 + 364 x 0.98 = 357.72 -> SO2 714 + 0.72 x 2 = 715.44, NO2 357.72;
    # P95: k = 1 + 364 x 0.95 = 346.8 -> 346.8. CO has no such statistic (its P95 is its one).
    assert got == {"SO2": 715, "NO2": 358, "PM10": 347, "PM2.5": 347}
    with pytest.raises(UnknownParameter):
        air_assessment.annual_percentiles({"TSP_24h": [1.0]})


def test_a_pollutant_meets_the_annual_standard_only_when_mean_and_percentile_both_do() -> None:
    # 330 valid days. PM2.5: 300 days at 20, 30 at 100 -> mean 27.27 -> 27 (<= 35), but P95:
    # k = 1 + 329 x 0.95 = 313.55, the 313th and 314th values are 100 (> 75, the 24-h limit).
    # SO2: 320 days at 10, 10 at 200 -> mean 15.76 -> 16 (<= 60); P98: k = 323.42 -> 200
    # (> 150). NO2 30 every day, PM10 60 every day: both statistics meet their limits.
    daily = {"PM2.5_24h": [20.0] * 300 + [100.0] * 30, "SO2_24h": [10.0] * 320 + [200.0] * 10,
             "NO2_24h": [30.0] * 330, "PM10_24h": [60.0] * 330}  # fmt: skip
    means = air_assessment.annual_statistics(daily, edition=2013)
    pcts = air_assessment.annual_percentiles(daily, edition=2013)
    assert means == {"PM2.5": 27, "SO2": 16, "NO2": 30, "PM10": 60}
    assert pcts == {"PM2.5": 100, "SO2": 200, "NO2": 30, "PM10": 60}
    assert air_assessment.compliance(means, phase="2012", edition=2013) == dict.fromkeys(
        means, True
    )
    assert air_assessment.compliance(means, phase="2012", edition=2013, percentiles=pcts) == {
        "PM2.5": False, "SO2": False, "NO2": True, "PM10": True
    }  # fmt: skip
    with pytest.raises(UnknownParameter):
        air_assessment.compliance({}, phase="2012", percentiles={"CO": 1.0})


def test_limit_errors() -> None:
    with pytest.raises(UnknownParameter) as info:
        air.limit("PM2.5", "1h", phase="2012")
    assert info.value.field == "period"
    with pytest.raises(UnknownParameter) as info:
        air.limit("PM2.5", "annual", cls=3, phase="2012")
    assert info.value.field == "cls"
    with pytest.raises(UnknownParameter) as info:
        air.limit("PM2.5", "annual", on=date(2010, 1, 1))
    assert info.value.field == "on"
    with pytest.raises(UnknownParameter):
        air.limit("PM2.5", "annual", phase="2099")


JUNK: list[object] = [None, "", "x", -1, -0.5, math.nan, math.inf, True, [], {}, object(), b"1",
                      10**400, "PM2.5", [1, "x"], [math.nan], {"PM2.5": -1}, {"X": 1}]  # fmt: skip


def test_junk_never_escapes_the_error_family() -> None:
    funcs = [
        lambda j: air.limit(j, "annual"),
        lambda j: air.limit("PM2.5", j),
        lambda j: air.limit("PM2.5", "annual", j),
        lambda j: air.limit("PM2.5", "annual", 2, j),
        lambda j: air.limit("PM2.5", "annual", 2, None, j),
        lambda j: air.is_valid_hour(j, "O3"),
        lambda j: air.is_valid_daily(j, "PM2.5"),
        lambda j: air.is_valid_daily(20, j),
        lambda j: air.is_valid_8h(j),
        lambda j: air.is_valid_o3_daily_max8h(j),
        lambda j: air.is_valid_o3_daily_max8h(14, j),
        lambda j: air.valid_month(27, j),
        lambda j: air.valid_annual(j),
        lambda j: air.valid_annual(324, "PM2.5", j),
        lambda j: air.min_count(j, "PM2.5"),
        lambda j: air.min_count("annual", "PM2.5", j),
        lambda j: air_assessment.percentile(j, 90),
        lambda j: air_assessment.percentile([1, 2], j),
        lambda j: air_assessment.round_statistic("CO", j),
        lambda j: air_assessment.annual_statistics(j),
        lambda j: air_assessment.annual_statistics({"PM2.5_24h": j}),
        lambda j: air_assessment.compliance(j),
        lambda j: air_assessment.comprehensive_index(j),
    ]
    for f in funcs:
        for j in JUNK:
            with contextlib.suppress(StandardsError):
                f(j)  # type: ignore[no-untyped-call]
