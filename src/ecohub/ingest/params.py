"""Header and value vocabularies of station-data files: parameters, units, column roles, periods.

The tables are CSV files under ``ingest/data/`` (``param_aliases.csv``, ``units.csv``,
``column_aliases.csv``) so that a new header spelling is a data change, not a code change.
A column alias may hold in one kind of file only (its ``files`` column): ``id`` is the station
in a station list, where each row is a station, but not in an observation file, where ``id`` is
as often a row number or a record id of the exporting system; read as the station there, it
would reject every row as "unknown station" instead of saying that the station column is
missing.
Everything here is pure: strings in, resolved names out.

Parameters are HJ 212-2017/2025 pollutant codes (``a34004`` PM2.5, ``w21003`` ammonia nitrogen,
...). A header alias may also fix the averaging period (``O3_8h`` is ``a05024`` over ``8h``).
"""

from __future__ import annotations

import csv
import difflib
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources


class VocabularyError(ValueError):
    """A parameter, unit or period the loaders cannot interpret."""


@dataclass(frozen=True)
class Parameter:
    """One HJ 212 parameter as the loaders store it."""

    code: str
    name_zh: str
    name_en: str
    unit: str  # the unit every stored value of this parameter carries
    medium: str  # air | water


@dataclass(frozen=True)
class ParamMatch:
    """What a header or a long-format parameter value resolves to."""

    code: str
    period: str | None  # set when the alias implies one (O3_8h -> 8h), else None
    unit: str | None  # canonical unit declared in the header (``co_ugm3``), else None


@dataclass(frozen=True)
class Unit:
    unit: str
    dimension: str
    factor: float  # multiply by this to reach the dimension's base unit


def norm(text: str) -> str:
    """Compare-key of a header or alias: NFKC, lower case, no spaces or ``_-.·`` punctuation.

    NFKC folds full-width letters (``ＰＭ２．５``) and ``³``/``µ``; dropping the punctuation makes
    ``PM2.5``, ``pm2_5`` and ``pm25`` one key.
    """
    folded = unicodedata.normalize("NFKC", text).strip().lower()
    return re.sub(r"[\s_\-.·]+", "", folded)


def norm_unit(text: str) -> str:
    """Compare-key of a unit: like :func:`norm`, with micro written ``u`` and without ``/``."""
    folded = unicodedata.normalize("NFKC", text).strip().lower().replace("μ", "u")
    return re.sub(r"[\s_/·^]+", "", folded)


def _rows(name: str) -> list[dict[str, str]]:
    text = resources.files("ecohub.ingest.data").joinpath(name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


@lru_cache(maxsize=1)
def parameters() -> dict[str, Parameter]:
    """Every known parameter by HJ 212 code."""
    out: dict[str, Parameter] = {}
    for row in _rows("param_aliases.csv"):
        out.setdefault(
            row["code"],
            Parameter(row["code"], row["name_zh"], row["name_en"], row["unit"], row["medium"]),
        )
    return out


@lru_cache(maxsize=1)
def _param_aliases() -> dict[str, tuple[str, str | None]]:
    out: dict[str, tuple[str, str | None]] = {}
    for row in _rows("param_aliases.csv"):
        target = (row["code"], row["period"] or None)
        # The bare code names the parameter at the file's own period, never the 8h variant.
        own = [row["code"]] if not row["period"] else []
        for alias in [*own, *row["aliases"].split("|")]:
            key = norm(alias)
            if out.get(key, target) != target:
                raise VocabularyError(f"param_aliases.csv: alias {alias!r} names two parameters")
            out[key] = target
    return out


@lru_cache(maxsize=1)
def _units() -> dict[str, Unit]:
    out: dict[str, Unit] = {}
    for row in _rows("units.csv"):
        unit = Unit(row["unit"], row["dimension"], float(row["factor"]))
        for alias in [row["unit"], *row["aliases"].split("|")]:
            out[norm_unit(alias)] = unit
    return out


#: The kinds of file the loaders read; a row of ``column_aliases.csv`` whose ``files`` is
#: blank holds in every kind, else only in the kinds it lists (``|``-separated).
FILE_KINDS = ("observations", "stations")


@lru_cache(maxsize=len(FILE_KINDS))
def _roles(kind: str) -> dict[str, list[str]]:
    """Role -> header aliases as written in ``column_aliases.csv``, for files of ``kind``; a
    role's rows count in file order (the first alias that matches wins)."""
    if kind not in FILE_KINDS:
        raise ValueError(f"unknown file kind {kind!r}")
    out: dict[str, list[str]] = {}
    for row in _rows("column_aliases.csv"):
        files = (row.get("files") or "").strip()
        if files and kind not in files.split("|"):
            continue
        out.setdefault(row["role"], []).extend(row["aliases"].split("|"))
    return out


def role_aliases(role: str, kind: str = "observations") -> list[str]:
    """Normalised header aliases of a structural column role in files of ``kind``
    (:data:`FILE_KINDS`), highest priority first."""
    return [norm(a) for a in _roles(kind)[role]]


def spelled_aliases(role: str, kind: str = "observations") -> list[str]:
    """:func:`role_aliases` as the table writes them (``station_id``), for messages."""
    return list(_roles(kind)[role])


def roles() -> list[str]:
    return list(_roles("observations"))


def canonical_unit(text: str) -> str | None:
    """The canonical spelling of a unit (``ug/m3`` -> ``µg/m³``), or None if unknown."""
    unit = _units().get(norm_unit(text))
    return unit.unit if unit else None


def unit_factor(from_unit: str, code: str) -> float:
    """Factor that converts a value in ``from_unit`` to the stored unit of parameter ``code``.

    Raises :class:`VocabularyError` when the unit is unknown or of another dimension
    (``ppb`` cannot become ``µg/m³`` without temperature and molar mass, so we refuse).
    """
    target = parameters()[code].unit
    units = _units()
    src = units.get(norm_unit(from_unit))
    dst = units[norm_unit(target)]
    if src is None:
        raise VocabularyError(f"unknown unit {from_unit!r}")
    if src.dimension != dst.dimension:
        raise VocabularyError(f"unit {from_unit!r} cannot be converted to {target}")
    return src.factor / dst.factor


# A header may carry its unit: ``CO(μg/m³)``, ``CO（mg/m3）``, ``co_ugm3``, ``SO2 ug/m3``.
_BRACKETED = re.compile(r"^(.*?)\s*[(（\[【]\s*([^)）\]】]+?)\s*[)）\]】]\s*$")
_SUFFIXED = re.compile(r"^(.+?)[\s_]+([^\s_]+)$")


def resolve_parameter(text: str) -> ParamMatch | None:
    """Resolve a header or a parameter value (``PM2.5``, ``细颗粒物``, ``a34004``, ``co_ugm3``)."""
    aliases = _param_aliases()
    hit = aliases.get(norm(text))
    if hit is not None:
        return ParamMatch(hit[0], hit[1], None)
    for pattern in (_BRACKETED, _SUFFIXED):
        m = pattern.match(text.strip())
        if m is None:
            continue
        hit = aliases.get(norm(m.group(1)))
        unit = canonical_unit(m.group(2))
        if hit is not None and unit is not None:
            return ParamMatch(hit[0], hit[1], unit)
    return None


@lru_cache(maxsize=1)
def _spellings() -> dict[str, tuple[str, str]]:
    """Compare-key -> (an alias as ``param_aliases.csv`` writes it, its HJ 212 code)."""
    out: dict[str, tuple[str, str]] = {}
    for row in _rows("param_aliases.csv"):
        for alias in [*row["aliases"].split("|"), row["code"]]:
            out.setdefault(norm(alias), (alias, row["code"]))
    return out


def parameter_hint(text: str, n: int = 3) -> str:
    """What to write instead of an unknown parameter ``text``: the closest known spellings
    (``did you mean 'VPhenol' (w23002 挥发酚)?``), or what kinds of names are accepted."""
    spellings = _spellings()
    close = difflib.get_close_matches(norm(text), list(spellings), n=4 * n, cutoff=0.6)
    shown: dict[str, str] = {}
    for key in close:
        alias, code = spellings[key]
        if code not in shown and len(shown) < n:
            name = parameters()[code].name_zh
            shown[code] = f"{code} ({name})" if alias == code else f"{alias!r} ({code} {name})"
    if shown:
        return f"did you mean {' or '.join(shown.values())}?"
    return "use a name such as PM2.5, COD, 氨氮, a GB 3838 item key (NH3N, CN) or an HJ 212 code"


_PERIOD = re.compile(r"^(\d+)\s*(min|m|h|hr|hour|hours|d|day|days)$")
_PERIOD_WORDS = {
    "hour": "1h",
    "hourly": "1h",
    "小时": "1h",
    "时": "1h",
    "day": "24h",
    "daily": "24h",
    "日": "24h",
    "天": "24h",
    "8小时": "8h",
}


def normalise_period(text: str) -> str:
    """Canonical period label: ``1h``, ``8h``, ``24h``, ``5min``; days are written in hours.

    ``1d``/``daily``/``日`` become ``24h`` because the store's convention (and HJ 663's) is
    ``24h``; a period we cannot read raises :class:`VocabularyError`.
    """
    key = unicodedata.normalize("NFKC", text).strip().lower()
    if key in _PERIOD_WORDS:
        return _PERIOD_WORDS[key]
    m = _PERIOD.match(key)
    if m is None or int(m.group(1)) == 0:
        raise VocabularyError(f"unknown period {text!r} (use e.g. 1h, 8h, 24h, 5min)")
    n, unit = int(m.group(1)), m.group(2)
    if unit in ("min", "m"):
        return f"{n // 60}h" if n % 60 == 0 else f"{n}min"
    if unit.startswith("d"):
        return f"{n * 24}h"
    return f"{n}h"
