"""HJ 633-2012 and HJ 633-2026 环境空气质量指数（AQI）技术规定: individual indices and the AQI.

Pure functions over the package's tables: breakpoints ``hj633-<edition>_iaqi.csv``,
levels ``hj633_categories.csv``, pollutants ``hj633_pollutants.csv``, which values
feed which report ``hj633_reports.csv``, and every rule that differs between the
editions ``hj633_rules.csv``. Arithmetic is exact (``decimal``/``fractions``), so a
concentration exactly on a breakpoint scores exactly that breakpoint's IAQI.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from fractions import Fraction
from functools import cache
from itertools import pairwise

from ecohub.standards.editions import check_edition, load_table
from ecohub.standards.errors import InvalidValue, UnknownParameter

__all__ = [
    "KINDS",
    "PERIODS",
    "POLLUTANTS",
    "AqiResult",
    "aqi",
    "breakpoint_table",
    "category",
    "edition_rules",
    "exact_decimal",
    "iaqi",
    "pollutant_name",
    "round_concentration",
]

PERIODS = ("1h", "8h", "24h")
KINDS = ("hourly", "daily")
POLLUTANTS: tuple[str, ...] = tuple(
    r["name"] for r in sorted(load_table("hj633_pollutants.csv"), key=lambda r: int(r["order"]))
)

# HJ 633 Table 1: IAQI 100 is the GB 3095 class-2 limit, so a pollutant "exceeds" above it
# (2012 s3); and a primary pollutant is named only when AQI > 50 (s4.4 in both editions).
_EXCEEDING_ABOVE = 100
_PRIMARY_ABOVE = 50


@dataclass(frozen=True)
class AqiResult:
    """One AQI report.

    ``aqi`` is the index computed from the values given; ``published`` is what the
    edition lets a publisher show: the number, or ``"NA"`` when HJ 633-2026 withholds
    an incomplete AQI of 100 or less. ``iaqi`` holds the sub-index of every value that
    scored, keyed like the input (``"O3_8h"``); ``primary``/``exceeding``/``missing``
    hold pollutant names in HJ 633 table order.
    """

    aqi: int
    level: int
    category: str
    category_en: str
    color: str
    primary: list[str]
    exceeding: list[str]
    iaqi: dict[str, int]
    edition: int
    published: str
    complete: bool
    missing: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- tables


def edition_rules(edition: int = 2026) -> dict[str, str]:
    """Every edition-specific rule of ``hj633_rules.csv`` for ``edition`` (rule -> value)."""
    return dict(_rules(_edition(edition)))


@cache
def _rules(edition: int) -> dict[str, str]:
    return {
        r["rule"]: r["value"] for r in load_table("hj633_rules.csv") if int(r["edition"]) == edition
    }


@cache
def _columns(edition: int) -> dict[str, tuple[tuple[Fraction, int], ...]]:
    """Breakpoint columns ``"SO2_24h" -> ((c, iaqi), ...)`` ascending, blanks dropped."""
    rows = load_table(f"hj633-{edition}_iaqi.csv")
    keys = [k for k in rows[0] if k != "iaqi"]
    return {
        k: tuple((Fraction(Decimal(r[k])), int(r["iaqi"])) for r in rows if r[k].strip())
        for k in keys
    }


@cache
def _pollutant_rows() -> dict[str, dict[str, str]]:
    return {r["name"]: r for r in load_table("hj633_pollutants.csv")}


@cache
def _aliases() -> dict[str, str]:
    out: dict[str, str] = {}
    for name, row in _pollutant_rows().items():
        out[name.upper()] = name
        out[name.upper().replace(".", "")] = name  # "PM25"
        out[row["hj212_code"].upper()] = name
    return out


def _edition(edition: object) -> int:
    ed = check_edition("HJ633", edition)
    assert isinstance(ed, int)
    return ed


def pollutant_name(pollutant: object) -> str:
    """Canonical name (``"PM2.5"``) of a pollutant name or HJ 212 code (``"a34004"``)."""
    if isinstance(pollutant, str) and pollutant.strip().upper() in _aliases():
        return _aliases()[pollutant.strip().upper()]
    raise UnknownParameter("pollutant", f"not an AQI pollutant: {pollutant!r}")


def _period(period: object) -> str:
    if isinstance(period, str) and period in PERIODS:
        return period
    raise UnknownParameter("period", f"expected one of {PERIODS}, got {period!r}")


def exact_decimal(name: str, value: object) -> Decimal:
    """A non-negative finite number as the decimal a person would have written.

    Floats go through ``repr`` (shortest round-trip form), so ``2.25`` is ``Decimal("2.25")``,
    not the binary value just below it; that is what makes GB/T 8170 rounding exact.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real | Decimal):
        raise InvalidValue(name, f"not a number: {value!r}")
    try:
        if isinstance(value, Decimal):
            d = value
        elif isinstance(value, numbers.Integral):
            d = Decimal(int(value))
        else:
            d = Decimal(repr(float(value)))
    except (InvalidOperation, ValueError, OverflowError) as exc:
        raise InvalidValue(name, f"not a number: {value!r}") from exc
    if not d.is_finite():
        raise InvalidValue(name, f"not a finite number: {value!r}")
    if d < 0:
        raise InvalidValue(name, f"negative concentration: {value!r}")
    return d


def round_concentration(pollutant: str, concentration: float, edition: int = 2026) -> Decimal:
    """The concentration as the edition scores it.

    HJ 633-2026 4.2.2: GB/T 8170 (round half to even) on the decimal value, CO to one
    decimal and the others to integers. HJ 633-2012 has no such rule: returned as given.
    """
    name = pollutant_name(pollutant)
    d = exact_decimal(name, concentration)
    if edition_rules(edition)["concentration_rounding"] == "gbt8170":
        places = int(_pollutant_rows()[name]["decimals"])
        try:
            return d.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)
        except InvalidOperation as exc:  # more digits than the decimal context holds
            raise InvalidValue(name, f"concentration out of range: {concentration!r}") from exc
    return d


def _score(column: tuple[tuple[Fraction, int], ...], c: Fraction) -> Fraction | None:
    """Equation 1 of HJ 633: linear between the breakpoints around ``c``; None above the top."""
    for (c_lo, i_lo), (c_hi, i_hi) in pairwise(column):
        if c_lo <= c <= c_hi:
            return Fraction(i_hi - i_lo) / (c_hi - c_lo) * (c - c_lo) + i_lo
    return None


def _rule_value(value: str) -> int | None:
    return None if value in ("", "none") else int(value)


def iaqi(pollutant: str, concentration: float, period: str, edition: int = 2026) -> int | None:
    """Individual AQI of one value, as ``edition`` of HJ 633 scores it.

    ``period`` is ``"1h"``, ``"8h"`` or ``"24h"``; units µg/m³, CO mg/m³. Returns
    ``None`` only where the edition gives that value no index: HJ 633-2012 for PM 1-h
    values (no breakpoints), SO2 1-h above 800 and O3 8-h above 800. Raises
    :class:`UnknownParameter` for a pollutant/period pair the standard has no column for,
    :class:`InvalidValue` for a negative, NaN, infinite or non-numeric concentration.
    """
    ed = _edition(edition)
    name = pollutant_name(pollutant)
    per = _period(period)
    c = round_concentration(name, concentration, ed)
    rules = _rules(ed)
    columns = _columns(ed)
    key = f"{name}_{per}"
    if key not in columns and name in ("PM10", "PM2.5") and per == "1h":
        # 2012: no 1-h PM breakpoints; 2026 Equation 1 scores PM 1-h on the 24-h column.
        if not rules["pm_1h_column"]:
            return None
        key = f"{name}_{rules['pm_1h_column']}"
    if key not in columns:
        raise UnknownParameter("period", f"HJ 633-{ed} has no {per} breakpoints for {name}")
    column = columns[key]
    score = _score(column, Fraction(c))
    if score is None:  # above the column's top breakpoint
        special = rules.get(f"above_top.{key}", rules["above_top"])
        return _rule_value(special)
    return math.ceil(score)


# ---------------------------------------------------------------- categories


@cache
def _categories() -> tuple[dict[str, str], ...]:
    return load_table("hj633_categories.csv")


def category(aqi_value: int) -> tuple[int, str, str, str]:
    """``(level, category_zh, category_en, "#RRGGBB")`` of an AQI per HJ 633 Table 2 / A.1."""
    if isinstance(aqi_value, bool) or not isinstance(aqi_value, int) or aqi_value < 0:
        raise InvalidValue("aqi", f"expected a non-negative integer, got {aqi_value!r}")
    for row in _categories():
        if not row["aqi_high"] or aqi_value <= int(row["aqi_high"]):
            rgb = "".join(f"{int(x):02X}" for x in row["rgb"].split(";"))
            return int(row["level"]), row["category_zh"], row["category_en"], f"#{rgb}"
    raise AssertionError("hj633_categories.csv has no open-ended top row")


# ---------------------------------------------------------------- AQI


@cache
def _report(edition: int, kind: str) -> dict[str, str]:
    """``key -> role`` of the values that feed a report of ``kind``."""
    return {
        r["key"]: r["role"]
        for r in load_table("hj633_reports.csv")
        if int(r["edition"]) == edition and r["kind"] == kind
    }


def _split_key(key: object) -> tuple[str, str]:
    if not isinstance(key, str) or "_" not in key:
        raise UnknownParameter("values", f"expected <pollutant>_<period> keys, got {key!r}")
    pol, per = key.rsplit("_", 1)
    try:
        return pollutant_name(pol), _period(per)
    except UnknownParameter as exc:
        raise UnknownParameter(key, exc.message) from exc


def aqi(values: Mapping[str, float], kind: str, edition: int = 2026) -> AqiResult:
    """The AQI of one hourly (real-time) or daily report.

    ``values`` maps ``"<pollutant>_<period>"`` (``"SO2_24h"``, ``"O3_8h"``, ``"a34004_1h"``)
    to concentrations; which keys a report takes is ``hj633_reports.csv``. A pollutant
    with two values (O3 1-h and 8-h) reports the larger sub-index; a fallback value (2012:
    SO2 24-h) counts only when the main one is given and yields no index (not when it is
    missing). Missing pollutants make the
    result incomplete; HJ 633-2026 then publishes only an AQI above 100 (else ``"NA"``).
    """
    ed = _edition(edition)
    if kind not in KINDS:
        raise UnknownParameter("kind", f"expected one of {KINDS}, got {kind!r}")
    if not isinstance(values, Mapping):
        raise InvalidValue("values", f"expected a mapping, got {type(values).__name__}")
    report = _report(ed, kind)
    rules = edition_rules(ed)

    main: dict[str, dict[str, int]] = {p: {} for p in POLLUTANTS}
    fallback: dict[str, dict[str, int]] = {p: {} for p in POLLUTANTS}
    measured: set[str] = set()  # pollutants with a main value given (index or not)
    for raw_key, value in values.items():
        name, per = _split_key(raw_key)
        key = f"{name}_{per}"
        if key not in report:
            raise UnknownParameter(str(raw_key), f"not used by the {kind} report of HJ 633-{ed}")
        try:
            sub = iaqi(name, value, per, ed)
        except InvalidValue as exc:
            raise InvalidValue(str(raw_key), exc.message) from exc
        if report[key] == "main":
            measured.add(name)
        if sub is not None:
            (main if report[key] == "main" else fallback)[name][key] = sub

    # A fallback stands in only for a main value that was given and has no index (SO2 1-h
    # above 800), never for a missing one: that pollutant then has no index (HJ 633-2012
    # Table 1 note 2) and the report is incomplete.
    chosen = {
        name: main[name] or (fallback[name] if name in measured else {}) for name in POLLUTANTS
    }
    scores: dict[str, int] = {}
    for name in POLLUTANTS:
        scores.update(chosen[name])
    per_pollutant = {name: max(chosen[name].values()) for name in POLLUTANTS if chosen[name]}
    if not per_pollutant:
        raise InvalidValue("values", "no value of any AQI pollutant yields an index")

    missing = [p for p in POLLUTANTS if p not in per_pollutant]
    value = max(max(per_pollutant.values()), int(rules["aqi_min"]))
    level, zh, en, color = category(value)
    primary = [p for p, s in per_pollutant.items() if s == value] if value > _PRIMARY_ABOVE else []
    exceeding = (
        [p for p, s in per_pollutant.items() if s > _EXCEEDING_ABOVE]
        if rules["exceeding_pollutant"] == "yes"
        else []
    )
    threshold = rules["missing_publish_above"]
    withheld = bool(missing) and threshold != "" and value <= int(threshold)
    return AqiResult(
        aqi=value,
        level=level,
        category=zh,
        category_en=en,
        color=color,
        primary=primary,
        exceeding=exceeding,
        iaqi=scores,
        edition=ed,
        published="NA" if withheld else str(value),
        complete=not missing,
        missing=missing,
    )


# ---------------------------------------------------------------- vectorised companion


def breakpoint_table(edition: int = 2026) -> list[dict[str, object]]:
    """The breakpoints of ``edition`` in long form, for SQL/Ibis/pandas joins.

    One row per segment: ``pollutant, period, iaqi_lo, iaqi_hi, c_lo, c_hi`` (floats for
    concentrations). Built from the same CSV as :func:`iaqi`; for HJ 633-2026 it also
    carries PM ``1h`` rows (Equation 1 scores them on the 24-h column). Special rules
    (rounding, above-top values) are in :func:`edition_rules`.
    """
    ed = _edition(edition)
    columns = dict(_columns(ed))
    pm_1h = edition_rules(ed)["pm_1h_column"]
    if pm_1h:
        for name in ("PM10", "PM2.5"):
            columns[f"{name}_1h"] = columns[f"{name}_{pm_1h}"]
    rows: list[dict[str, object]] = []
    for key, column in columns.items():
        pol, per = key.rsplit("_", 1)
        for (c_lo, i_lo), (c_hi, i_hi) in pairwise(column):
            rows.append(
                {
                    "pollutant": pol,
                    "period": per,
                    "iaqi_lo": i_lo,
                    "iaqi_hi": i_hi,
                    "c_lo": float(c_lo),
                    "c_hi": float(c_hi),
                }
            )
    return rows
