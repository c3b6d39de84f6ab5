"""HJ 75-2017 固定污染源烟气（SO2、NOx、颗粒物）排放连续监测技术规范: flue-gas conversions.

CEMS report concentrations at the standard state (273.15 K, 101325 Pa) on a dry basis,
then at the reference oxygen content of the emission standard that applies. Every
function takes and returns plain floats: mg/m3 for concentrations, m3/h for flows
(standard, dry unless named otherwise), % by volume for O2, a fraction for moisture.
Bad input raises :class:`InvalidValue` naming the argument.
"""

from __future__ import annotations

import math
from functools import cache

from ecohub.standards.editions import load_table
from ecohub.standards.errors import InvalidValue, UnknownParameter

__all__ = [
    "MOLAR_VOLUME",
    "P0",
    "T0",
    "dry_from_wet",
    "emission_mass",
    "emission_rate",
    "mg_to_ppm",
    "nox_as_no2",
    "ppm_to_mg",
    "reference_oxygen",
    "standard_concentration",
    "standard_flow",
]

T0 = 273.15  # K, standard state temperature
P0 = 101_325.0  # Pa, standard state pressure
MOLAR_VOLUME = 22.4  # L/mol at T0, P0 as the standard's conversion factors use it
O2_AIR = 21.0  # % O2 of air: the "21" of the reference-oxygen formula


def _number(name: str, value: object, *, low: float = 0.0, high: float = math.inf) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidValue(name, f"expected a number, got {value!r}")
    number = float(value)
    if math.isnan(number) or math.isinf(number):
        raise InvalidValue(name, f"not a finite number: {value!r}")
    if not low <= number < high:
        raise InvalidValue(name, f"{number} outside [{low}, {high})")
    return number


def reference_oxygen(concentration: float, o2_measured: float, o2_reference: float) -> float:
    """折算浓度 C = C' x (21 - O2_ref) / (21 - O2_measured).

    ``o2_measured`` must be below 21 %: at 21 % the gas is air and the formula divides
    by zero. No upper cap below 21 % is applied here; emission standards that cap the
    measured O2 do so before calling.
    """
    c = _number("concentration", concentration)
    o2 = _number("o2_measured", o2_measured, high=O2_AIR)
    ref = _number("o2_reference", o2_reference, high=O2_AIR)
    return c * (O2_AIR - ref) / (O2_AIR - o2)


def dry_from_wet(concentration_wet: float, moisture: float) -> float:
    """Dry-basis concentration: C_dry = C_wet / (1 - X_sw), moisture a fraction in [0, 1)."""
    c = _number("concentration_wet", concentration_wet)
    x = _number("moisture", moisture, high=1.0)
    return c / (1.0 - x)


def standard_concentration(concentration: float, temperature_c: float, pressure_pa: float) -> float:
    """Concentration at actual conditions -> at 273.15 K / 101325 Pa (same basis).

    C_std = C x (273.15 + t) / 273.15 x 101325 / P: the gas is compressed to the
    standard state, so the same mass sits in less volume.
    """
    c = _number("concentration", concentration)
    t = _number("temperature_c", temperature_c, low=-T0)
    p = _number("pressure_pa", pressure_pa)
    if p == 0 or t == -T0:
        raise InvalidValue(
            "pressure_pa" if p == 0 else "temperature_c", "must be above 0 (absolute)"
        )
    return c * (T0 + t) / T0 * P0 / p


def standard_flow(
    flow: float, temperature_c: float, pressure_pa: float, moisture: float = 0.0
) -> float:
    """Actual wet flow -> standard dry flow.

    Q_sn = Q_s x 273.15 / (273.15 + t) x P / 101325 x (1 - X_sw).
    """
    q = _number("flow", flow)
    t = _number("temperature_c", temperature_c, low=-T0)
    p = _number("pressure_pa", pressure_pa)
    x = _number("moisture", moisture, high=1.0)
    if t == -T0:
        raise InvalidValue("temperature_c", "absolute zero")
    return q * T0 / (T0 + t) * p / P0 * (1.0 - x)


def nox_as_no2(no: float, no2: float = 0.0) -> float:
    """NOx reported as NO2 (mg/m3): C_NO x 46/30 + C_NO2."""
    c_no = _number("no", no)
    c_no2 = _number("no2", no2)
    return c_no * _molar_mass("NO2") / _molar_mass("NO") + c_no2


@cache
def _molar_masses() -> dict[str, float]:
    return {row["gas"]: float(row["molar_mass"]) for row in load_table("hj75-2017_gases.csv")}


def _molar_mass(gas: str) -> float:
    if isinstance(gas, str):
        masses = _molar_masses()
        key = gas.strip().upper().replace("₂", "2")
        if key == "NOX":
            key = "NOx"
        if key in masses:
            return masses[key]
        codes = {row["hj212_code"]: row["gas"] for row in load_table("hj75-2017_gases.csv")}
        if gas.strip().lower() in codes:
            return masses[codes[gas.strip().lower()]]
    raise UnknownParameter(
        "gas", f"expected SO2, NO, NO2, NOx or CO (or its HJ 212 code), got {gas!r}"
    )


def ppm_to_mg(gas: str, ppm: float) -> float:
    """umol/mol (ppm) -> mg/m3 at the standard state: x M / 22.4."""
    return _number("ppm", ppm) * _molar_mass(gas) / MOLAR_VOLUME


def mg_to_ppm(gas: str, mg_m3: float) -> float:
    """mg/m3 at the standard state -> umol/mol (ppm): x 22.4 / M."""
    return _number("mg_m3", mg_m3) * MOLAR_VOLUME / _molar_mass(gas)


def emission_rate(concentration: float, flow: float) -> float:
    """kg/h from mg/m3 and standard dry m3/h: G = C x Q_sn x 1e-6."""
    return _number("concentration", concentration) * _number("flow", flow) * 1e-6


def emission_mass(concentration: float, flow: float, hours: float) -> float:
    """kg emitted over ``hours`` at a constant concentration and flow: G x hours."""
    return emission_rate(concentration, flow) * _number("hours", hours)
