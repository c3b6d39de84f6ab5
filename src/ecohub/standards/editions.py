"""Editions of the national standards ecohub implements, and which one judges a date.

This is the one place that says which edition of a standard is in force on a day.
Code that judges dated data calls :func:`edition_for`; functions that apply a
standard take the edition as a parameter. It also reads the package's own CSV
tables (``standards/data/``), so every module loads tables the same way.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from pathlib import Path

from ecohub.standards.errors import InvalidValue, UnknownParameter

__all__ = [
    "EDITIONS",
    "Edition",
    "check_edition",
    "edition_for",
    "editions_of",
    "load_table",
    "normalise_standard",
    "use_table_dir",
]


@dataclass(frozen=True)
class Edition:
    """One edition (or phase) of a standard and the days it judges.

    ``valid_from``/``valid_to`` are the dates the edition is in force nationwide
    (``valid_to`` inclusive, ``None`` = open). ``in_use_from`` is an earlier date
    from which the edition was already applied to part of the country (GB 3095-2012
    and HJ 633-2012 in the first-phase cities, including Beijing, from 2013); data
    of those days is judged by it too, since nothing else applied to it.
    """

    standard: str
    edition: int | str
    designation: str
    title: str
    valid_from: date
    valid_to: date | None = None
    in_use_from: date | None = None

    def covers(self, on: date) -> bool:
        start = self.in_use_from or self.valid_from
        return start <= on and (self.valid_to is None or on <= self.valid_to)


# Declared once, here. Dates: the standards' own implementation dates (and, for
# GB 3095 2026, the phases of its Tables 1-2); see docs/standards.md.
EDITIONS: tuple[Edition, ...] = (
    Edition(
        "HJ633",
        2012,
        "HJ 633-2012",
        "环境空气质量指数（AQI）技术规定（试行）",
        date(2016, 1, 1),
        date(2026, 2, 28),
        in_use_from=date(2013, 1, 1),
    ),
    Edition("HJ633", 2026, "HJ 633-2026", "环境空气质量指数（AQI）技术规定", date(2026, 3, 1)),
    Edition(
        "GB3095",
        "2012",
        "GB 3095-2012",
        "环境空气质量标准",
        date(2016, 1, 1),
        date(2026, 2, 28),
        in_use_from=date(2013, 1, 1),
    ),
    Edition(
        "GB3095",
        "2026-transition",
        "GB 3095-2026",
        "环境空气质量标准（过渡阶段限值）",
        date(2026, 3, 1),
        date(2030, 12, 31),
    ),
    Edition(
        "GB3095", "2026-final", "GB 3095-2026", "环境空气质量标准（最终限值）", date(2031, 1, 1)
    ),
    # HJ 663-2013 applies GB 3095-2012's data rules (Table 4), in use with it from 2013 in
    # the first-phase cities: the year 2013 was assessed by it, so it judges those days too.
    Edition(
        "HJ663",
        2013,
        "HJ 663-2013",
        "环境空气质量评价技术规范（试行）",
        date(2013, 10, 1),
        date(2026, 2, 28),
        in_use_from=date(2013, 1, 1),
    ),
    Edition("HJ663", 2026, "HJ 663-2026", "环境空气质量评价技术规范", date(2026, 3, 1)),
    Edition(
        "HJ212",
        2005,
        "HJ/T 212-2005",
        "污染源在线自动监控（监测）系统数据传输标准",
        date(2006, 1, 1),
        date(2017, 4, 30),
    ),
    Edition(
        "HJ212",
        2017,
        "HJ 212-2017",
        "污染物在线监控（监测）系统数据传输标准",
        date(2017, 5, 1),
        date(2025, 12, 31),
    ),
    Edition(
        "HJ212",
        2025,
        "HJ 212-2025",
        "污染物自动监测监控系统数据传输技术要求",
        date(2026, 1, 1),
    ),
    Edition("GB3838", 2002, "GB 3838-2002", "地表水环境质量标准", date(2002, 6, 1)),
)


def normalise_standard(standard: object) -> str:
    """``"HJ 633-2012"``, ``"hj633"``, ``"HJ/T 212"`` -> ``"HJ633"``, ``"HJ212"``.

    Any edition suffix is dropped: the edition is a separate argument.
    """
    if not isinstance(standard, str):
        raise UnknownParameter("standard", f"expected a standard name, got {standard!r}")
    key = standard.upper().replace("/T", "").replace(" ", "").replace("_", "")
    key = key.split("-", 1)[0]
    if not any(e.standard == key for e in EDITIONS):
        raise UnknownParameter("standard", f"no editions declared for {standard!r}")
    return key


def editions_of(standard: str) -> tuple[Edition, ...]:
    """All declared editions of ``standard``, oldest first."""
    key = normalise_standard(standard)
    return tuple(e for e in EDITIONS if e.standard == key)


def edition_for(standard: str, on: date) -> int | str:
    """The edition of ``standard`` that judges data of day ``on``.

    Integers for year-named editions (``HJ633`` -> 2012/2026, ``HJ663`` -> 2013/2026,
    ``HJ212`` -> 2005/2017/2025, ``GB3838`` -> 2002); GB 3095 returns the phase name
    of its limits table: ``"2012"``, ``"2026-transition"`` or ``"2026-final"``.
    Raises :class:`UnknownParameter` for a date no declared edition covers.
    """
    if not isinstance(on, date):
        raise InvalidValue("on", f"expected a date, got {on!r}")
    for e in editions_of(standard):
        if e.covers(on):
            return e.edition
    raise UnknownParameter("on", f"no edition of {standard} covers {on.isoformat()}")


def check_edition(standard: str, edition: object) -> int | str:
    """Return ``edition`` if it is a declared edition of ``standard``, else raise."""
    for e in editions_of(standard):
        if e.edition == edition and type(e.edition) is type(edition):
            return e.edition
    known = ", ".join(str(e.edition) for e in editions_of(standard))
    raise UnknownParameter("edition", f"{edition!r} is not an edition of {standard} ({known})")


# A folder whose CSVs replace the packaged ones of the same name (None = packaged only).
_table_dir: Path | None = None


def use_table_dir(folder: Path | None) -> None:
    """Read tables from ``folder`` first (a corrected copy of a CSV), or only the packaged
    ones again with ``None``. For trying out a corrected row before it ships; anything that
    cached what it derived from a table must be cleared by the caller (tests do)."""
    global _table_dir
    _table_dir = None if folder is None else Path(folder)
    load_table.cache_clear()


@cache
def load_table(name: str) -> tuple[dict[str, str], ...]:
    """Rows of ``standards/data/<name>``; lines starting with ``#`` are the table's notes."""
    override = None if _table_dir is None else _table_dir / name
    if override is not None and override.is_file():
        text = override.read_text(encoding="utf-8")
    else:
        text = (
            resources.files("ecohub.standards").joinpath("data", name).read_text(encoding="utf-8")
        )
    body = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
    return tuple(dict(row) for row in csv.DictReader(io.StringIO(body)))
