"""GB 3838-2002 classes and the 2011 assessment method, against vectors carrying their clause."""

from __future__ import annotations

import csv
import math

import pytest

from ecohub.standards import water
from ecohub.standards.errors import InvalidValue, StandardsError, UnknownParameter

from ._vectors import VECTORS, cases

GRADES = ("I", "II", "III", "IV", "V")


def _pairs(text: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in text.split(";") if part)


@pytest.mark.parametrize("case", cases("water_cases.csv"))
def test_water_cases(case: dict[str, str]) -> None:
    sample = {k: float(v) for k, v in _pairs(case["sample"]).items()}
    result = water.classify(sample, case["waterbody"], case["method"])
    assert result.grade == case["grade"]
    assert result.deciding == [d for d in case["deciding"].split(";") if d]
    expected_exceed = {k: float(v) for k, v in _pairs(case["exceed"]).items()}
    assert result.exceed.keys() == expected_exceed.keys()
    for key, value in expected_exceed.items():
        assert result.exceed[key] == pytest.approx(value)
    assert result.reference_grades == _pairs(case["reference"])
    assert result.not_assessed == [d for d in case["not_assessed"].split(";") if d]
    assert result.method == case["method"]


def _table1() -> list[dict[str, str]]:
    lines = (VECTORS / "gb3838_table1.csv").read_text(encoding="utf-8").splitlines()
    return list(csv.DictReader(ln for ln in lines if not ln.startswith("#")))


def _boundaries() -> list[pytest.param]:
    """Every class limit of every item, at the limit and a hair on the worse side."""
    out = []
    for row in _table1():
        if row["direction"] == "range":
            continue
        bodies = ("river", "lake") if row["waterbody"] == "all" else (row["waterbody"],)
        limits = [float(row[g]) for g in GRADES]
        for body in bodies:
            for grade, limit in zip(GRADES, limits, strict=True):
                worse = math.nextafter(limit, -math.inf if row["direction"] == "min" else math.inf)
                for label, value in (("at", limit), ("past", worse)):
                    out.append(
                        pytest.param(
                            row, body, value, limits, id=f"{row['key']}-{body}-{grade}-{label}"
                        )
                    )
    return out


def _expected(direction: str, limits: list[float], value: float) -> str:
    # The best class whose limit the value meets; equal limits (COD I = II) give the better.
    for grade, limit in zip(GRADES, limits, strict=True):
        if (value <= limit) if direction == "max" else (value >= limit):
            return grade
    return "劣V"


@pytest.mark.parametrize(("row", "body", "value", "limits"), _boundaries())
def test_every_class_boundary(
    row: dict[str, str], body: str, value: float, limits: list[float]
) -> None:
    result = water.classify({row["key"]: value}, body)
    assert result.item_grades[row["key"]] == _expected(row["direction"], limits, value), row[
        "clause"
    ]


@pytest.mark.parametrize("value", [6.0, 7.0, 9.0, math.nextafter(6.0, 0), math.nextafter(9.0, 10)])
def test_ph_edges(value: float) -> None:
    expected = "I" if 6.0 <= value <= 9.0 else "劣V"
    assert water.classify({"pH": value}).grade == expected


def test_table_matches_reference_transcription() -> None:
    table = water.class_limits_table("lake")
    assert set(table.columns) == {"item", "grade", "limit", "direction"}
    tp = table[(table.item == "TP")].set_index("grade")["limit"].to_dict()
    assert tp == {"I": 0.01, "II": 0.025, "III": 0.05, "IV": 0.1, "V": 0.2}
    assert "TN" not in set(water.class_limits_table("river").item)
    ph = table[table.item == "pH"]
    assert len(ph) == 10 and set(ph.limit) == {6.0, 9.0}


def test_vectorised_grading_agrees_with_classify() -> None:
    """The long table grades a column the way analytics will; it must agree with classify."""
    import pandas as pd

    limits = water.class_limits_table("river")
    values = pd.DataFrame({"item": ["COD"] * 5, "value": [10.0, 15.0, 15.5, 40.0, 41.0]})
    merged = values.merge(limits, on="item")
    ok = (merged.direction == "max") & (merged.value <= merged.limit) | (
        merged.direction == "min"
    ) & (merged.value >= merged.limit)
    merged["ok"] = ok
    met = merged[merged.ok].groupby("value").grade.apply(lambda g: min(g, key=water.grade_rank))
    for value in values.value:
        expected = water.classify({"COD": value}).grade
        assert met.get(value, "劣V") == expected


def test_grade_rank_and_status() -> None:
    assert [water.grade_rank(g) for g in water.GRADES] == [1, 2, 3, 4, 5, 6]
    assert water.grade_rank("Ⅲ") == 3 and water.grade_rank("劣Ⅴ") == 6
    assert water.status("II") == "优" and water.status("劣V") == "重度污染"
    with pytest.raises(UnknownParameter) as err:
        water.grade_rank("VI")
    assert err.value.field == "grade"


def test_main_pollutants_priority_and_order() -> None:
    result = water.classify({"CODMn": 14, "NH3N": 1.9, "TP": 0.35, "Pb": 0.06, "DO": 4})
    # Pb exceeds class III: heavy metals come first (2011 method 二（一）3(1)).
    assert result.main_pollutants[0] == "Pb"
    # Then worst class (all V), ties by multiple: CODMn 1.33 > NH3N 0.9 > TP 0.75.
    assert result.main_pollutants[1:] == ["CODMn", "NH3N"]
    assert water.classify({"COD": 20}).main_pollutants == []


def test_basin_status() -> None:
    assert water.basin_status(["II"] * 9 + ["IV"]) == "优"
    assert water.basin_status(["III"] * 8 + ["V"] * 2) == "良好"
    assert water.basin_status(["III"] * 7 + ["劣V"] * 3) == "中度污染"
    assert water.basin_status(["IV"] * 6 + ["劣V"] * 4) == "重度污染"
    assert water.basin_status(["IV"] * 9 + ["劣V"]) == "轻度污染"
    with pytest.raises(InvalidValue):
        water.basin_status(["I"] * 4)


@pytest.mark.parametrize(
    ("sample", "kwargs", "field"),
    [
        ({"COD": -1.0}, {}, "COD"),
        ({"COD": float("nan")}, {}, "COD"),
        ({"COD": float("inf")}, {}, "COD"),
        ({"COD": True}, {}, "COD"),
        ({"COD": "12"}, {}, "COD"),
        ({"pH": 15.0}, {}, "pH"),
        ({"Nitrate": 1.0}, {}, "Nitrate"),
        ({"COD": 1.0}, {"waterbody": "sea"}, "waterbody"),
        ({"COD": 1.0}, {"method": "2020"}, "method"),
        ({"COD": 1.0}, {"edition": 1988}, "edition"),
        ({}, {}, "sample"),
        ({"FecalColiform": 10.0}, {"method": "2011"}, "sample"),
        ({"COD": 1.0, "w01018": 2.0}, {}, "w01018"),
    ],
)
def test_bad_input_names_the_field(sample: dict, kwargs: dict, field: str) -> None:
    with pytest.raises(StandardsError) as err:
        water.classify(sample, **kwargs)
    assert err.value.field == field
