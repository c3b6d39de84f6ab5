"""HJ 633-2012 / HJ 633-2026 vectors: breakpoints, special rules, rounding, AQI reports."""

from __future__ import annotations

import contextlib
import math

import pytest

from ecohub.standards import aqi as A
from ecohub.standards.errors import InvalidValue, StandardsError, UnknownParameter

from ._vectors import cases


def _num(text: str) -> float | int:
    return float(text) if "." in text else int(text)


@pytest.mark.parametrize("row", cases("hj633_breakpoints.csv") + cases("hj633_cases.csv"))
def test_iaqi_vectors(row: dict[str, str]) -> None:
    got = A.iaqi(row["pollutant"], _num(row["concentration"]), row["period"], int(row["edition"]))
    want = int(row["expected"]) if row["expected"] else None
    assert got == want, row["clause"]


@pytest.mark.parametrize("row", cases("hj633_aqi_cases.csv"))
def test_aqi_reports(row: dict[str, str]) -> None:
    values = {k: _num(v) for k, v in (kv.split("=") for kv in row["values"].split(";"))}
    r = A.aqi(values, row["kind"], int(row["edition"]))
    names = lambda s: s.split(";") if s else []  # noqa: E731
    assert (r.aqi, r.level, r.category) == (int(row["aqi"]), int(row["level"]), row["category"])
    assert r.primary == names(row["primary"])
    assert r.exceeding == names(row["exceeding"])
    assert r.published == row["published"]
    assert r.complete is (row["complete"] == "true")
    assert r.edition == int(row["edition"])


def test_aqi_result_carries_subindices_colour_and_missing() -> None:
    r = A.aqi({"SO2_1h": 900, "SO2_24h": 200, "PM2.5_24h": 30}, "hourly", 2012)
    assert r.iaqi == {"SO2_24h": 108, "PM2.5_24h": 43}  # the 1-h SO2 value yields no index
    assert r.color == "#FF7E00" and r.category_en == "Lightly polluted"
    assert r.missing == ["NO2", "PM10", "CO", "O3"]


@pytest.mark.parametrize(
    ("aqi_value", "level", "colour"),
    [(0, 1, "#00E400"), (50, 1, "#00E400"), (51, 2, "#FFFF00"), (100, 2, "#FFFF00"),
     (101, 3, "#FF7E00"), (150, 3, "#FF7E00"), (151, 4, "#FF0000"), (200, 4, "#FF0000"),
     (201, 5, "#99004C"), (300, 5, "#99004C"), (301, 6, "#7E0023"), (500, 6, "#7E0023")],
)  # fmt: skip
def test_category_boundaries(aqi_value: int, level: int, colour: str) -> None:
    assert A.category(aqi_value)[0] == level
    assert A.category(aqi_value)[3] == colour


def test_rounding_is_on_the_decimal_value() -> None:
    # 2.675 is 2.67499999... in binary; GB/T 8170 on the written decimal keeps it a tie.
    assert str(A.round_concentration("CO", 2.25)) == "2.2"
    assert str(A.round_concentration("CO", 2.35)) == "2.4"
    assert str(A.round_concentration("PM2.5", 2.5)) == "2"
    assert str(A.round_concentration("PM2.5", 3.5)) == "4"
    assert str(A.round_concentration("PM2.5", 2.5, 2012)) == "2.5"


def test_breakpoint_table_is_the_same_data() -> None:
    for edition in (2012, 2026):
        rows = A.breakpoint_table(edition)
        assert {tuple(sorted(r)) for r in rows} == {
            ("c_hi", "c_lo", "iaqi_hi", "iaqi_lo", "period", "pollutant")
        }
        for r in rows:  # every segment reproduces iaqi() at both ends
            c_lo, c_hi = float(r["c_lo"]), float(r["c_hi"])  # type: ignore[arg-type]
            assert A.iaqi(str(r["pollutant"]), c_lo, str(r["period"]), edition) == r["iaqi_lo"]
            assert A.iaqi(str(r["pollutant"]), c_hi, str(r["period"]), edition) == r["iaqi_hi"]
    assert not [
        r for r in A.breakpoint_table(2012) if r["pollutant"] == "PM2.5" and r["period"] == "1h"
    ]
    assert (
        len(
            [
                r
                for r in A.breakpoint_table(2026)
                if r["pollutant"] == "PM2.5" and r["period"] == "1h"
            ]
        )
        == 7
    )


def test_worked_example_daily_report() -> None:
    # A day scored by hand from Table 1 (2012): PM2.5 120 -> 150 + 50/35*5 = 157.1 -> 158.
    values = {"SO2_24h": 15, "NO2_24h": 46, "PM10_24h": 132, "CO_24h": 1.6,
              "O3_1h": 65, "O3_8h": 52, "PM2.5_24h": 120}  # fmt: skip
    r12 = A.aqi(values, "daily", 2012)
    # HJ 633-2026 Table 3 note a: the daily report has no O3 1-h value; O3 is its 8-h maximum.
    r26 = A.aqi({k: v for k, v in values.items() if k != "O3_1h"}, "daily", 2026)
    assert r12.iaqi["PM10_24h"] == 91 and r26.iaqi["PM10_24h"] == 105
    assert (r12.aqi, r12.primary, r12.exceeding) == (158, ["PM2.5"], ["PM2.5"])
    assert (r26.aqi, r26.primary, r26.exceeding) == (158, ["PM2.5"], [])


@pytest.mark.parametrize(
    ("args", "error", "field"),
    [
        (("PM2.5", -1, "24h"), InvalidValue, "PM2.5"),
        (("PM2.5", math.nan, "24h"), InvalidValue, "PM2.5"),
        (("PM2.5", math.inf, "24h"), InvalidValue, "PM2.5"),
        (("PM2.5", "35", "24h"), InvalidValue, "PM2.5"),
        (("PM2.5", True, "24h"), InvalidValue, "PM2.5"),
        (("PM2.5", None, "24h"), InvalidValue, "PM2.5"),
        (("PM1", 10, "24h"), UnknownParameter, "pollutant"),
        (("PM2.5", 10, "2h"), UnknownParameter, "period"),
        (("NO2", 10, "8h"), UnknownParameter, "period"),
        (("O3", 10, "24h"), UnknownParameter, "period"),
    ],
    ids=["negative", "nan", "inf", "string", "bool", "none", "unknown-pollutant",
         "unknown-period", "no2-has-no-8h", "o3-has-no-24h"],
)  # fmt: skip
def test_iaqi_invalid_inputs(args: tuple[object, ...], error: type, field: str) -> None:
    with pytest.raises(error) as info:
        A.iaqi(*args)  # type: ignore[arg-type]
    assert info.value.field == field


def test_2026_daily_report_has_no_o3_1h_value() -> None:
    """HJ 633-2026 Table 3 note a: 1-h SO2, NO2, CO and O3 serve the hourly report only."""
    values = {"SO2_24h": 10, "NO2_24h": 30, "PM10_24h": 50, "CO_24h": 0.5, "O3_8h": 90,
              "PM2.5_24h": 30}  # fmt: skip
    for key in ("O3_1h", "SO2_1h", "NO2_1h", "CO_1h"):
        with pytest.raises(UnknownParameter) as info:
            A.aqi({**values, key: 300}, "daily", 2026)
        assert info.value.field == key
    # O3 8-h 90 -> IAQI 50 * 90 / 100 = 45, whatever the day's 1-h maximum was.
    assert A.aqi(values, "daily", 2026).iaqi["O3_8h"] == 45
    # 2012 keeps the daily maximum 1-h value (s5.1): 300 -> 100 + 50 * 100 / 100 = 150.
    assert A.aqi({**values, "O3_1h": 300}, "daily", 2012).aqi == 150


def test_aqi_invalid_inputs() -> None:
    with pytest.raises(UnknownParameter) as info:
        A.aqi({"PM2.5_1h": 10}, "daily")
    assert info.value.field == "PM2.5_1h"
    with pytest.raises(UnknownParameter):
        A.aqi({"PM2.5_24h": 10}, "hourly", 2026)  # 2026 real-time PM is by 1-h means
    with pytest.raises(InvalidValue) as info2:
        A.aqi({"PM2.5_24h": -3}, "daily")
    assert info2.value.field == "PM2.5_24h"
    with pytest.raises(UnknownParameter) as info3:
        A.aqi({"PM2.5_24h": 3}, "weekly")
    assert info3.value.field == "kind"
    with pytest.raises(UnknownParameter) as info4:
        A.iaqi("PM2.5", 3, "24h", 2019)
    assert info4.value.field == "edition"
    with pytest.raises(InvalidValue):
        A.aqi({}, "daily")
    with pytest.raises(StandardsError):
        A.aqi({"SO2_1h": 900}, "hourly", 2012)  # nothing yields an index


JUNK: list[object] = [None, "", "x", -1, -0.5, math.nan, math.inf, True, [], {}, (), object(), b"1",
                      "PM2.5", 10**400, 1e308, "24h", {"PM2.5_24h": "x"}, {1: 2}]  # fmt: skip


def test_junk_never_escapes_the_error_family() -> None:
    funcs = [
        lambda j: A.iaqi(j, 10, "24h"),  # type: ignore[arg-type]
        lambda j: A.iaqi("PM2.5", j, "24h"),  # type: ignore[arg-type]
        lambda j: A.iaqi("PM2.5", 10, j),  # type: ignore[arg-type]
        lambda j: A.iaqi("PM2.5", 10, "24h", j),  # type: ignore[arg-type]
        lambda j: A.aqi(j, "daily"),  # type: ignore[arg-type]
        lambda j: A.aqi({"PM2.5_24h": 10}, j),  # type: ignore[arg-type]
        lambda j: A.aqi({"PM2.5_24h": 10}, "daily", j),  # type: ignore[arg-type]
        lambda j: A.category(j),  # type: ignore[arg-type]
        lambda j: A.breakpoint_table(j),  # type: ignore[arg-type]
        lambda j: A.round_concentration("CO", j),  # type: ignore[arg-type]
        lambda j: A.pollutant_name(j),
        lambda j: A.edition_rules(j),  # type: ignore[arg-type]
    ]
    for f in funcs:
        for j in JUNK:
            with contextlib.suppress(StandardsError):
                f(j)
