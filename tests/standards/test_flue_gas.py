"""HJ 75-2017 flue-gas conversions."""

from __future__ import annotations

import pytest

from ecohub.standards import flue_gas
from ecohub.standards.errors import InvalidValue, StandardsError, UnknownParameter

from ._vectors import cases


def _arg(text: str) -> str | float:
    try:
        return float(text)
    except ValueError:
        return text


@pytest.mark.parametrize("case", cases("flue_gas_cases.csv"))
def test_flue_gas_cases(case: dict[str, str]) -> None:
    function = getattr(flue_gas, case["function"])
    args = [_arg(a) for a in case["args"].split(";")]
    assert function(*args) == pytest.approx(float(case["expected"]), rel=1e-6)


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: flue_gas.reference_oxygen(100, 21, 6), "o2_measured"),
        (lambda: flue_gas.reference_oxygen(100, 25, 6), "o2_measured"),
        (lambda: flue_gas.reference_oxygen(100, -1, 6), "o2_measured"),
        (lambda: flue_gas.reference_oxygen(-5, 9, 6), "concentration"),
        (lambda: flue_gas.reference_oxygen(100, 9, 21), "o2_reference"),
        (lambda: flue_gas.reference_oxygen(float("nan"), 9, 6), "concentration"),
        (lambda: flue_gas.dry_from_wet(10, 1.0), "moisture"),
        (lambda: flue_gas.dry_from_wet(10, -0.1), "moisture"),
        (lambda: flue_gas.standard_flow(100, -273.15, 101325), "temperature_c"),
        (lambda: flue_gas.standard_concentration(10, 20, 0), "pressure_pa"),
        (lambda: flue_gas.emission_rate(10, -1), "flow"),
        (lambda: flue_gas.emission_mass(10, 1, -1), "hours"),
        (lambda: flue_gas.nox_as_no2("1", 0), "no"),
        (lambda: flue_gas.ppm_to_mg("H2S", 1), "gas"),
    ],
)
def test_bad_input_names_the_field(call, field: str) -> None:
    with pytest.raises(StandardsError) as err:
        call()
    assert err.value.field == field
    assert isinstance(err.value, InvalidValue | UnknownParameter)


def test_round_trip_ppm() -> None:
    for gas in ("SO2", "NO", "NO2", "CO", "NOx"):
        assert flue_gas.mg_to_ppm(gas, flue_gas.ppm_to_mg(gas, 123.0)) == pytest.approx(123.0)
