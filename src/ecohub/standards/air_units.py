"""HJ 633-2026 环境空气质量指数（AQI）技术规定: the units the air concentrations are reported in.

HJ 633 (Table 3, and HJ 633-2012 Table 1) gives SO2, NO2, PM10, PM2.5 and O3 in µg/m³ and CO
in mg/m³; the individual indices and the AQI are dimensionless. The units are the ``unit``
column of ``hj633_pollutants.csv`` (UCUM case-sensitive codes: ``ug/m3``, ``mg/m3``). A source
may report CO in µg/m³ (the UCI Beijing sample does, and the loader converts it), so a
published CO value is 1000 times smaller than the source's number: every answer that
publishes a concentration says its unit (:func:`column_units`).
"""

from __future__ import annotations

import re
from functools import cache

from ecohub.standards.editions import load_table

#: The UCUM code of a dimensionless quantity (the unity): an index.
DIMENSIONLESS = "1"
#: UCUM codes as people write them (the catalogue, JSON answers, Parquet field metadata).
_TEXT = {"ug/m3": "µg/m³", "mg/m3": "mg/m³", DIMENSIONLESS: DIMENSIONLESS}
#: A concentration column of the air results: ``<pollutant>_<period>`` (``co_24h``,
#: ``pm25_1h``, ``o3_8h``); an index column: ``aqi`` or ``iaqi_<pollutant>``.
_CONCENTRATION = re.compile(r"^(so2|no2|pm10|co|o3|pm25)_(1h|8h|24h)$")
_INDEX = re.compile(r"^(aqi|iaqi_(so2|no2|pm10|co|o3|pm25))$")


@cache
def ucum() -> dict[str, str]:
    """Pollutant name (``"PM2.5"``) -> UCUM code of its unit (``"ug/m3"``)."""
    return {r["name"]: r["unit"] for r in load_table("hj633_pollutants.csv")}


def text(code: str) -> str:
    """A UCUM code as written for people: ``ug/m3`` -> ``µg/m³``."""
    return _TEXT.get(code, code)


def pollutant_units() -> dict[str, str]:
    """Pollutant name -> its unit as written for people (``"CO"`` -> ``"mg/m³"``)."""
    return {name: text(code) for name, code in ucum().items()}


def _pollutant(token: str) -> str:
    return {"pm25": "PM2.5"}.get(token, token.upper())


def column_ucum(column: str) -> str | None:
    """The UCUM code of an air-result column: a concentration's unit, ``1`` for an index,
    ``None`` for anything else (a code, a time, a count of hours)."""
    found = _CONCENTRATION.match(column)
    if found:
        return ucum()[_pollutant(found.group(1))]
    return DIMENSIONLESS if _INDEX.match(column) else None


def column_units(columns: list[str], *, people: bool = True) -> dict[str, str]:
    """Column -> unit of each concentration and index column among ``columns`` (as written for
    people, or with ``people=False`` as UCUM codes)."""
    out = {}
    for c in columns:
        code = column_ucum(c)
        if code is not None:
            out[c] = text(code) if people else code
    return out
