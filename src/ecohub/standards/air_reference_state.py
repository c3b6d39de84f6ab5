"""The state at which GB 3095 reports ambient concentrations, by date.

GB 3095-2012 as published (2012) reported every pollutant at the standard state, 273.15 K and
101.325 kPa. Its Amendment No. 1 (2018, in force on 1 September 2018) moved the gaseous
pollutants (SO2, NO2, CO, O3, NOx) to the reference state, 298.15 K and 1013.25 hPa, and the
particulate ones (PM10, PM2.5, TSP, Pb, BaP) to the actual conditions of the air sampled;
GB 3095-2026 keeps that rule. The same air read at 298.15 K gives a mass concentration
273.15 / 298.15 of the one at 273.15 K (about 8.4 % lower), so a gaseous series across 1
September 2018 has a step that is not in the air. This module says which state a value of a
day is in and writes the note a multi-year result carries when it crosses that day.
"""

from __future__ import annotations

from datetime import date
from fractions import Fraction

__all__ = [
    "GASEOUS",
    "REFERENCE_STATE_FROM",
    "STANDARD_TO_REFERENCE",
    "crossing_note",
    "state_of",
]

#: GB 3095-2012 Amendment No. 1 in force (gaseous pollutants at 298.15 K from this day).
REFERENCE_STATE_FROM = date(2018, 9, 1)
#: A gaseous mass concentration at 273.15 K times this is the same air at 298.15 K.
STANDARD_TO_REFERENCE = Fraction(27315, 29815)
#: Gaseous pollutants by canonical name and HJ 212 code (NOx: a21002).
GASEOUS = frozenset(
    {"SO2", "NO2", "CO", "O3", "NOX", "a21026", "a21004", "a21005", "a05024", "a21002"}
)
_PARTICULATE = frozenset({"PM10", "PM2.5", "TSP", "PB", "BAP", "a34002", "a34004", "a34001"})


def _gaseous(parameter: str) -> bool:
    return parameter in GASEOUS or parameter.upper() in GASEOUS


def state_of(parameter: str, day: date) -> str:
    """``"standard"`` (273.15 K), ``"reference"`` (298.15 K) or ``"actual"`` for a value of
    ``parameter`` on ``day`` as GB 3095 reported it; ``"unknown"`` for a parameter GB 3095
    does not list."""
    if _gaseous(parameter):
        return "reference" if day >= REFERENCE_STATE_FROM else "standard"
    if parameter in _PARTICULATE or parameter.upper() in _PARTICULATE:
        return "actual" if day >= REFERENCE_STATE_FROM else "standard"
    return "unknown"


def crossing_note(parameter: str, first: date, last: date) -> str:
    """The note of a gaseous ``parameter``'s series from ``first`` to ``last`` when it spans
    1 September 2018 (else ``""``)."""
    if not _gaseous(parameter) or not first < REFERENCE_STATE_FROM <= last:
        return ""
    return (
        "spans 2018-09-01: GB 3095-2012 Amendment No. 1 reports gaseous pollutants at 298.15 K "
        "from that day (273.15 K before), so the same air reads "
        f"{float(1 - STANDARD_TO_REFERENCE) * 100:.1f} % lower after it; "
        "the values are as reported, not converted"
    )
