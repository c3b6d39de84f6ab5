"""The anomaly rules as data: ``data/anomaly_rules.csv``, one row per rule with its basis.

Thresholds live in the CSV, not in code; the detectors read them from :class:`Rule`. Each row
names the document (and clause) its rule comes from in ``basis`` and says in ``choice`` which
numbers are ours and why.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources

__all__ = ["FLAGS_JUDGED", "LEVELS", "Rule", "RuleError", "load_rules", "marked_sql", "rule"]

#: HJ 212-2017 data flags whose values are judged: N (normal) and T (above range: a real,
#: capped reading); a value without a flag is normal. Every other flag takes a value out of
#: judgement (it is kept and shown, never deleted): the marks F stopped, M maintenance,
#: S manually set value, D fault, C calibration, B communication failure, and any flag the
#: standard does not define ('c', 'X', 2005's P): it does not say the instrument worked.
FLAGS_JUDGED = ("N", "T")


def marked_sql(column: str = "flag") -> str:
    """SQL: the value in this row is marked (out of judgement), by its data flag."""
    judged = ", ".join(f"'{f}'" for f in FLAGS_JUDGED)
    return f"(coalesce({column}, 'N') NOT IN ({judged}))"


#: minute: judged per minute value, runs carried across batches; hour: per complete hour;
#: day: per calendar day of hourly means; window: a trailing window of hourly means.
LEVELS = ("minute", "hour", "day", "window")
SEVERITIES = ("low", "medium", "high")


class RuleError(ValueError):
    """The rules table is malformed (names the rule and the field)."""


@dataclass(frozen=True)
class Rule:
    """One row of the rules table."""

    rule: str
    name_zh: str
    name_en: str
    level: str
    pollutants: tuple[str, ...]  # ("*",) for device-wide rules
    threshold: float
    threshold_2: float | None
    duration_s: int
    gap_s: int
    severity: str
    params: dict[str, str]
    basis: str
    choice: str

    def param_floats(self, key: str) -> list[float]:
        """A ``;``-separated list parameter as floats (``refs=3;6`` -> [3.0, 6.0])."""
        raw = self.params.get(key, "")
        return [float(x) for x in raw.split(";") if x]


def _params(text: str) -> dict[str, str]:
    # "a=1;b=2" for per-pollutant values; "refs=3;6" for a list (no '=' after the first item)
    out: dict[str, str] = {}
    key = None
    for part in (p.strip() for p in text.split(";") if p.strip()):
        if "=" in part:
            key, value = part.split("=", 1)
            out[key] = value
        elif key is not None:
            out[key] += ";" + part
        else:
            raise ValueError(f"params: {part!r} has no key")
    return out


def _parse(row: dict[str, str]) -> Rule:
    name = row.get("rule", "").strip()
    if not name:
        raise RuleError("rule: empty rule id")

    def number(field: str, *, optional: bool = False) -> float | None:
        text = (row.get(field) or "").strip()
        if not text:
            if optional:
                return None
            raise RuleError(f"{name}: {field}: empty")
        try:
            return float(text)
        except ValueError:
            raise RuleError(f"{name}: {field}: not a number: {text!r}") from None

    level = row["level"].strip()
    if level not in LEVELS:
        raise RuleError(f"{name}: level: {level!r} is not one of {', '.join(LEVELS)}")
    severity = row["severity"].strip()
    if severity not in SEVERITIES:
        raise RuleError(f"{name}: severity: {severity!r} is not one of {', '.join(SEVERITIES)}")
    if not row.get("basis", "").strip():
        raise RuleError(f"{name}: basis: every rule names where it comes from")
    try:
        params = _params(row.get("params") or "")
    except ValueError as exc:
        raise RuleError(f"{name}: {exc}") from None
    threshold = number("threshold")
    assert threshold is not None
    return Rule(
        rule=name,
        name_zh=row["name_zh"].strip(),
        name_en=row["name_en"].strip(),
        level=level,
        pollutants=tuple(p.strip() for p in row["pollutants"].split(";") if p.strip()),
        threshold=threshold,
        threshold_2=number("threshold_2", optional=True),
        duration_s=int(number("duration_s") or 0),
        gap_s=int(number("gap_s") or 0),
        severity=severity,
        params=params,
        basis=row["basis"].strip(),
        choice=row.get("choice", "").strip(),
    )


@cache
def load_rules() -> dict[str, Rule]:
    """Every rule of the bundled table, by id (read once)."""
    text = (
        resources.files("ecohub.supervision")
        .joinpath("data/anomaly_rules.csv")
        .read_text(encoding="utf-8")
    )
    rules: dict[str, Rule] = {}
    for row in csv.DictReader(text.splitlines()):
        r = _parse(row)
        if r.rule in rules:
            raise RuleError(f"{r.rule}: rule id repeated")
        rules[r.rule] = r
    return rules


def rule(name: str) -> Rule:
    """The rule ``name``; :class:`RuleError` naming the known ones if there is none."""
    rules = load_rules()
    if name not in rules:
        raise RuleError(f"rule: unknown rule {name!r} (known: {', '.join(rules)})")
    return rules[name]
