"""Code tables of HJ 212 (2017 text, with the 2025 additions and the HJ/T 212-2005 codes).

The tables are CSV files under ``data/`` (see ``data/README.md`` for the clause of each);
this module only loads them, once, and answers look-ups. Nothing here is typed into Python.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources

__all__ = [
    "CommandCode",
    "PollutantCode",
    "code_collision",
    "command",
    "commands",
    "data_flags",
    "map_2005_code",
    "pollutant",
    "pollutants",
    "system_codes",
]


@dataclass(frozen=True, slots=True)
class CommandCode:
    """One CN: its names, and what it is when a logger sends it and when a platform does.

    ``logger_kind`` / ``platform_kind`` are ``upload``, ``request``, ``notification``,
    ``answer`` or ``""`` (not sent in that direction).
    """

    cn: str
    name_zh: str
    name_en: str
    logger_kind: str
    platform_kind: str
    editions: frozenset[str]


@dataclass(frozen=True, slots=True)
class PollutantCode:
    """One pollutant or parameter code of HJ 212-2017 Appendix B (and 2025 additions)."""

    code: str
    name_zh: str
    name_en: str
    unit: str
    ambient_unit: str
    medium: str


def _rows(name: str) -> list[dict[str, str]]:
    text = resources.files("ecohub.protocols.hj212").joinpath("data", name).read_text("utf-8")
    return list(csv.DictReader(text.splitlines()))


@cache
def system_codes() -> dict[str, dict[str, str]]:
    """ST code -> row (``name_zh``, ``name_en``, ``group``, ``editions``); 2017 6.6.1 table 5."""
    return {row["st"]: row for row in _rows("hj212-2017_system_codes.csv")}


@cache
def commands(edition: str = "2017") -> dict[str, CommandCode]:
    """CN -> :class:`CommandCode` for an edition (``"2005"``, ``"2017"`` or ``"2025"``)."""
    if edition == "2005":
        return {
            row["cn"]: CommandCode(
                row["cn"],
                row["name_zh"],
                row["name_en"],
                row["logger_kind"],
                row["platform_kind"],
                frozenset({"2005"}),
            )
            for row in _rows("hjt212-2005_command_codes.csv")
        }
    table = {}
    for row in _rows("hj212-2017_command_codes.csv"):
        editions = frozenset(row["editions"].split(";"))
        if edition in editions:
            table[row["cn"]] = CommandCode(
                row["cn"],
                row["name_zh"],
                row["name_en"],
                row["logger_kind"],
                row["platform_kind"],
                editions,
            )
    return table


def command(cn: str, edition: str = "2017") -> CommandCode | None:
    """The :class:`CommandCode` of ``cn`` in ``edition``, or None when the edition lacks it."""
    return commands(edition).get(cn)


@cache
def data_flags() -> dict[str, str]:
    """Data flag (``N``, ``F``, ``M``, ``S``, ``D``, ``C``, ``T``, ``B``) -> English meaning."""
    return {row["flag"]: row["name_en"] for row in _rows("hj212-2017_data_flags.csv")}


@cache
def pollutants() -> dict[str, PollutantCode]:
    """Code -> :class:`PollutantCode` (Appendix B air, flue-gas, water, noise; info codes)."""
    return {
        row["code"]: PollutantCode(
            row["code"],
            row["name_zh"],
            row["name_en"],
            row["unit"],
            row["ambient_unit"],
            row["medium"],
        )
        for row in _rows("hj212-2017_pollutant_codes.csv")
    }


def pollutant(code: str) -> PollutantCode | None:
    """The :class:`PollutantCode` of ``code`` (a 2005 code is mapped first), or None."""
    table = pollutants()
    return table.get(code) or table.get(map_2005_code(code))


@cache
def _map_2005() -> dict[str, str]:
    return {row["code_2005"]: row["code_2017"] for row in _rows("hjt212-2005_code_map.csv")}


def map_2005_code(code: str) -> str:
    """The 2017 code of an HJ/T 212-2005 code (``"02"`` -> ``"a21026"``, ``"011"`` -> ``"w01018"``).

    A code that is not a 2005 code is returned unchanged, so the function can be applied to
    every CP code of a packet. The 2005 corrected-value suffix ``z`` (``"02z"``) maps to the
    2017 code too; the ZsRtd/ZsAvg field names carry the correction in 2017.
    """
    table = _map_2005()
    mapped = table.get(code)
    if mapped is None and code.endswith("z"):
        mapped = table.get(code[:-1])
    return mapped if mapped is not None else code


@cache
def _collisions() -> dict[str, dict[str, str]]:
    return {row["code_prefix"]: row for row in _rows("hj212-2017_code_collisions.csv")}


def code_collision(code: str) -> dict[str, str] | None:
    """The collision row when ``code`` is one of the codes the 2017 tables give two meanings.

    HJ 212-2017's process-monitoring tables print ``g119xx`` both for the desulphurisation
    efficiency and for the inlet SO2, and ``e701xx`` both for the sewage lift pump and for the
    dosing amount; such a code cannot be read without asking the operator which one it is.
    """
    return _collisions().get(code[:4]) if len(code) == 6 else None
