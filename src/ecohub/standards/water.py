"""GB 3838-2002 地表水环境质量标准: water classes I-V of a sample by the single-factor method.

Two ways of reading one sample:

* ``method="gb3838"``: GB 3838-2002 Table 1 as written. Every basic item with class
  limits counts (TN only for lakes and reservoirs; water temperature has no class).
* ``method="2011"``: 地表水环境质量评价办法（试行）(环办〔2011〕22号), the national
  assessment of sections and basins. 21 items set the class; water temperature, TN
  (lakes and reservoirs only) and fecal coliform are reference items graded on their
  own (``reference_grades``); TN of a river is not assessed.

The tables are ``data/gb3838-2002_basic.csv`` and ``data/sw-assessment-2011_*.csv``;
sample keys are ecohub's item keys (``COD``, ``NH3N``…) or HJ 212 water codes
(``w01018``…, ``data/hj212-2017_water_codes.csv``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING

from ecohub.standards.editions import check_edition, load_table
from ecohub.standards.errors import InvalidValue, UnknownParameter

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "GRADES",
    "ITEMS",
    "WaterResult",
    "basin_status",
    "class_limits_table",
    "classify",
    "grade_rank",
    "item_key",
    "status",
]

TABLE = "gb3838-2002_basic.csv"
GRADES: tuple[str, ...] = ("I", "II", "III", "IV", "V", "劣V")
CLASSES = GRADES[:5]
METHODS = ("gb3838", "2011")

# Water-body names callers use; reservoirs take the lake limits (GB 3838 Table 1 TP/TN
# rows name "湖、库" together). A river-type reservoir is assessed as a river (2011
# method 二（二）1(5)): pass waterbody="river" for it.
_WATERBODIES = {
    "river": "river",
    "河流": "river",
    "lake": "lake",
    "湖泊": "lake",
    "湖库": "lake",
    "reservoir": "lake",
    "水库": "lake",
}

# 2011 method 二（一）3(1): "当氰化物或铅、铬等重金属超标时，优先作为主要污染指标".
# Which items are "heavy metals" is our reading (metals and arsenic of Table 1).
_PRIORITY_POLLUTANTS = frozenset({"CN", "Pb", "Cr6", "Hg", "Cd", "As", "Cu", "Zn"})
# 2011 method 二（一）3(1): "对于水温、pH 值和溶解氧等项目不计算超标倍数".
_NO_EXCEED = frozenset({"WaterTemp", "pH", "DO"})

_ROMAN = str.maketrans({"Ⅰ": "I", "Ⅱ": "II", "Ⅲ": "III", "Ⅳ": "IV", "Ⅴ": "V"})


@dataclass(frozen=True)
class _Limit:
    key: str
    direction: str  # "max" | "min" | "range"
    limits: tuple[tuple[float, float], ...]  # per class I..V: (low, high), inclusive


@dataclass(frozen=True)
class WaterResult:
    """The class of one sample and why.

    ``grade``: ``I``..``V`` or ``劣V`` (worst graded item). ``deciding``: the items whose
    class equals ``grade``. ``exceed``: for graded items worse than class III, the
    multiple by which the class III limit is exceeded, (C - C_III) / C_III, unrounded
    (the 2011 method shows it to one decimal, e.g. 高锰酸盐指数(1.2)); pH and DO get none
    (2011 method 二（一）3(1)). ``main_pollutants``: up to three items by the 2011 rule,
    empty when ``grade`` is I-III.
    """

    grade: str
    deciding: list[str]
    exceed: dict[str, float]
    item_grades: dict[str, str]
    method: str
    waterbody: str
    status: str
    reference_grades: dict[str, str] = field(default_factory=dict)
    not_assessed: list[str] = field(default_factory=list)
    main_pollutants: list[str] = field(default_factory=list)


def _parse_range(text: str) -> tuple[float, float]:
    low, high = text.split("-")
    return float(low), float(high)


@cache
def _limits(waterbody: str) -> dict[str, _Limit]:
    out: dict[str, _Limit] = {}
    for row in load_table(TABLE):
        if row["direction"] == "none" or row["waterbody"] not in ("all", waterbody):
            continue
        pairs: list[tuple[float, float]] = []
        for grade in CLASSES:
            if row["direction"] == "range":
                pairs.append(_parse_range(row[grade]))
            elif row["direction"] == "min":
                pairs.append((float(row[grade]), math.inf))
            else:
                pairs.append((-math.inf, float(row[grade])))
        out[row["key"]] = _Limit(row["key"], row["direction"], tuple(pairs))
    return out


@cache
def _all_keys() -> tuple[str, ...]:
    return tuple(dict.fromkeys(row["key"] for row in load_table(TABLE)))


@cache
def _aliases() -> dict[str, str]:
    table = {key.lower(): key for key in _all_keys()}
    table.update(
        {row["code"].lower(): row["key"] for row in load_table("hj212-2017_water_codes.csv")}
    )
    return table


@cache
def _roles_2011(waterbody: str) -> dict[str, str]:
    return {row["key"]: row[waterbody] for row in load_table("sw-assessment-2011_items.csv")}


@cache
def _statuses() -> dict[str, str]:
    return {row["grade"]: row["status_zh"] for row in load_table("sw-assessment-2011_status.csv")}


ITEMS: tuple[str, ...] = _all_keys()


def item_key(name: str) -> str:
    """``"w01018"`` / ``"cod"`` / ``"COD"`` -> ``"COD"``; unknown -> :class:`UnknownParameter`."""
    if not isinstance(name, str):
        raise UnknownParameter("item", f"expected an item name, got {name!r}")
    key = _aliases().get(name.strip().lower())
    if key is None:
        raise UnknownParameter(
            name, f"not a GB 3838-2002 basic item or HJ 212 water code: {name!r}"
        )
    return key


def _waterbody(waterbody: object) -> str:
    if isinstance(waterbody, str):
        found = _WATERBODIES.get(waterbody.strip().lower())
        if found is not None:
            return found
    raise UnknownParameter("waterbody", f"expected river, lake or reservoir, got {waterbody!r}")


def grade_rank(grade: str) -> int:
    """``"I"`` -> 1 … ``"V"`` -> 5, ``"劣V"`` -> 6; accepts ``Ⅲ``/``劣Ⅴ`` forms too."""
    if isinstance(grade, str):
        text = grade.strip().translate(_ROMAN).upper().replace("劣 ", "劣")
        if text in GRADES:
            return GRADES.index(text) + 1
    raise UnknownParameter("grade", f"expected one of {', '.join(GRADES)}, got {grade!r}")


def status(grade: str) -> str:
    """The 2011 method's qualitative status of a class: 优, 良好, 轻度/中度/重度污染."""
    return _statuses()[GRADES[grade_rank(grade) - 1]]


def _value(key: str, value: object) -> float:
    # bool is an int subclass; True as a concentration is a bug upstream, not 1 mg/L.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidValue(key, f"expected a number, got {value!r}")
    number = float(value)
    if math.isnan(number) or math.isinf(number):
        raise InvalidValue(key, f"not a finite number: {value!r}")
    if number < 0:
        raise InvalidValue(key, f"negative concentration: {value!r}")
    if key == "pH" and number > 14:
        raise InvalidValue(key, f"pH outside 0-14: {value!r}")
    return number


def _grade_of(limit: _Limit, value: float) -> str:
    for grade, (low, high) in zip(CLASSES, limit.limits, strict=True):
        if low <= value <= high:
            return grade
    return GRADES[-1]


def _exceed(limit: _Limit, value: float) -> float | None:
    if limit.key in _NO_EXCEED or limit.direction != "max":
        return None
    c3 = limit.limits[2][1]
    return (value - c3) / c3 if value > c3 else None


def _main_pollutants(item_grades: Mapping[str, str], exceed: Mapping[str, float]) -> list[str]:
    # 2011 method 二（一）3(1): none when the section is 优 or 良好 (I-III); otherwise the
    # three worst by class, ties by exceedance multiple; CN and heavy metals first.
    worse = [k for k, g in item_grades.items() if grade_rank(g) > 3]
    worse.sort(
        key=lambda k: (
            k not in _PRIORITY_POLLUTANTS,
            -grade_rank(item_grades[k]),
            -exceed.get(k, 0.0),
            k,
        )
    )
    return worse[:3]


def classify(
    sample: Mapping[str, float],
    waterbody: str = "river",
    method: str = "gb3838",
    edition: int = 2002,
) -> WaterResult:
    """Class of one sample (mg/L; pH unitless; fecal coliform count/L) by the single-factor method.

    The class is that of the worst graded item; a value equal to a limit meets that
    class; DO counts "not less than"; pH meets every class within 6-9 (inclusive) and is
    劣V outside it. Raises :class:`InvalidValue` (negative, NaN, non-number),
    :class:`UnknownParameter` (unknown item, waterbody, method or edition), each naming
    the field.
    """
    check_edition("GB3838", edition)
    if method not in METHODS:
        raise UnknownParameter("method", f"expected one of {', '.join(METHODS)}, got {method!r}")
    body = _waterbody(waterbody)
    if not isinstance(sample, Mapping):
        raise InvalidValue("sample", f"expected a mapping of item -> value, got {type(sample)!r}")
    limits = _limits(body)
    roles = _roles_2011(body) if method == "2011" else None

    item_grades: dict[str, str] = {}
    reference: dict[str, str] = {}
    not_assessed: list[str] = []
    exceed: dict[str, float] = {}
    seen: set[str] = set()
    for name, raw in sample.items():
        key = item_key(name)
        if key in seen:
            raise InvalidValue(str(name), f"item {key} given twice")
        seen.add(key)
        value = _value(key, raw)
        limit = limits.get(key)
        role = roles[key] if roles is not None else "graded"
        if limit is None or role == "excluded":
            not_assessed.append(key)  # water temperature; TN of a river
            continue
        grade = _grade_of(limit, value)
        if role == "reference":
            reference[key] = grade
            continue
        item_grades[key] = grade
        multiple = _exceed(limit, value)
        if multiple is not None:
            exceed[key] = multiple
    if not item_grades:
        raise InvalidValue("sample", "no item of the sample sets a class under this method")
    worst = max(item_grades.values(), key=grade_rank)
    return WaterResult(
        grade=worst,
        deciding=[k for k, g in item_grades.items() if g == worst],
        exceed=exceed,
        item_grades=item_grades,
        method=method,
        waterbody=body,
        status=status(worst),
        reference_grades=reference,
        not_assessed=not_assessed,
        main_pollutants=_main_pollutants(item_grades, exceed) if grade_rank(worst) > 3 else [],
    )


def class_limits_table(waterbody: str = "river") -> pd.DataFrame:
    """Long-form limits for vectorised grading: one row per (item, grade, bound).

    Columns ``item, grade, limit, direction``; ``direction`` is ``max`` (value <= limit)
    or ``min`` (value >= limit); pH gives a ``min`` 6 and a ``max`` 9 row per class. A
    value meets a class when it satisfies every row of (item, grade).
    """
    import pandas as pd  # deferred: the rest of the module needs no pandas

    rows: list[dict[str, object]] = []
    for key, limit in _limits(_waterbody(waterbody)).items():
        for grade, (low, high) in zip(CLASSES, limit.limits, strict=True):
            if limit.direction in ("min", "range"):
                rows.append({"item": key, "grade": grade, "limit": low, "direction": "min"})
            if limit.direction in ("max", "range"):
                rows.append({"item": key, "grade": grade, "limit": high, "direction": "max"})
    return pd.DataFrame(rows, columns=["item", "grade", "limit", "direction"])


def basin_status(grades: Iterable[str]) -> str:
    """Status of a river or basin from its sections' classes (2011 method 二（一）2(2)).

    Section-class proportion method, for 5 sections or more: I-III >= 90% 优;
    75-90% 良好; below 75%: 劣V < 20% 轻度污染, 20-40% 中度污染, >= 40% 重度污染.
    With fewer than 5 sections the method averages concentrations instead: call
    :func:`classify` on the mean sample.
    """
    if isinstance(grades, str | bytes) or not isinstance(grades, Iterable):
        raise InvalidValue("grades", f"expected the sections' classes, got {grades!r}")
    ranks = [grade_rank(g) for g in grades]
    if len(ranks) < 5:
        raise InvalidValue("grades", "the proportion method needs at least 5 sections")
    good = sum(r <= 3 for r in ranks) / len(ranks)
    worst = sum(r == 6 for r in ranks) / len(ranks)
    if good >= 0.9:
        return "优"
    if good >= 0.75:
        return "良好"
    if worst < 0.2:
        return "轻度污染"
    return "中度污染" if worst < 0.4 else "重度污染"
