"""The units HJ 633 reports the air concentrations in (HJ 633-2012 Table 1, HJ 633-2026 Table 3):
µg/m³ for SO2, NO2, PM10, PM2.5 and O3, mg/m³ for CO; the indices are dimensionless (UCUM 1).
Expected values typed from the standard's tables, not read from the package's CSV."""

from __future__ import annotations

import pytest

from ecohub.standards import air_units

TABLE_1 = {"SO2": "µg/m³", "NO2": "µg/m³", "PM10": "µg/m³", "CO": "mg/m³", "O3": "µg/m³",
           "PM2.5": "µg/m³"}  # fmt: skip


def test_each_pollutants_unit() -> None:
    assert air_units.pollutant_units() == TABLE_1
    assert air_units.ucum()["CO"] == "mg/m3" and air_units.ucum()["PM2.5"] == "ug/m3"


@pytest.mark.parametrize(
    "column, people, code",
    [
        ("co_24h", "mg/m³", "mg/m3"),
        ("co_1h", "mg/m³", "mg/m3"),
        ("so2_24h", "µg/m³", "ug/m3"),
        ("pm25_1h", "µg/m³", "ug/m3"),
        ("o3_8h", "µg/m³", "ug/m3"),
        ("aqi", "1", "1"),
        ("iaqi_co", "1", "1"),
        ("n_co", None, None),  # a count of valid hours
        ("date", None, None),
        ("co_12h", None, None),  # no such averaging period
        ("primary_pollutants", None, None),
    ],
)
def test_column_units(column: str, people: str | None, code: str | None) -> None:
    assert air_units.column_units([column]).get(column) == people
    assert air_units.column_units([column], people=False).get(column) == code
