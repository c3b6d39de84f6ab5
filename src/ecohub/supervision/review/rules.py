"""The review rules as data: ``supervision/data/review_rules.csv``, one row per rule and
pollutant, each with its threshold(s) and its basis (document, or "our choice" and why).

The detectors (:mod:`ecohub.supervision.review.detect`) read every number from here; none is
in code.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources

__all__ = ["KINDS", "PARAMETERS", "ReviewRule", "ReviewRuleError", "load_review_rules"]

#: The six HJ 633 pollutants by HJ 212 code; ``*`` in the table means all of them.
PARAMETERS = ("a21026", "a21004", "a34002", "a21005", "a05024", "a34004")

#: Rule ids the detectors implement, in the order they are documented.
KINDS = (
    "negative",
    "range",
    "ceiling",
    "constant",
    "spike",
    "city_spike",
    "pm_inversion",
    "co_unit",
)


class ReviewRuleError(ValueError):
    """The review rules table is malformed; the message names the row and field."""


@dataclass(frozen=True)
class ReviewRule:
    """One row: ``rule`` for ``parameter`` (an HJ 212 code) with its thresholds."""

    rule: str
    parameter: str
    name_zh: str
    name_en: str
    threshold: float
    threshold2: float | None
    unit: str
    basis: str
    choice: str


def _number(text: str, row: int, name: str, required: bool) -> float | None:
    if not text.strip():
        if required:
            raise ReviewRuleError(f"review_rules.csv row {row}: {name} is empty")
        return None
    try:
        return float(text)
    except ValueError:
        raise ReviewRuleError(
            f"review_rules.csv row {row}: {name} must be a number, got {text!r}"
        ) from None


@cache
def load_review_rules() -> tuple[ReviewRule, ...]:
    """Every (rule, parameter) row, ``*`` expanded to the six pollutants."""
    text = (
        resources.files("ecohub.supervision").joinpath("data/review_rules.csv").read_text("utf-8")
    )
    out: list[ReviewRule] = []
    reader = csv.DictReader(text.splitlines())
    for i, r in enumerate(reader, start=2):
        if None in r or None in r.values():  # DictReader would drop or blank the difference
            raise ReviewRuleError(
                f"review_rules.csv row {i}: not the header's {len(reader.fieldnames or [])} "
                "fields (a comma inside an unquoted text?)"
            )
        if r["rule"] not in KINDS:
            raise ReviewRuleError(f"review_rules.csv row {i}: unknown rule {r['rule']!r}")
        params = PARAMETERS if r["parameter"] == "*" else (r["parameter"],)
        for p in params:
            if p not in PARAMETERS:
                raise ReviewRuleError(f"review_rules.csv row {i}: unknown parameter {p!r}")
            out.append(
                ReviewRule(
                    rule=r["rule"],
                    parameter=p,
                    name_zh=r["name_zh"],
                    name_en=r["name_en"],
                    threshold=_number(r["threshold"], i, "threshold", True) or 0.0,
                    threshold2=_number(r["threshold2"], i, "threshold2", False),
                    unit=r["unit"],
                    basis=r["basis"],
                    choice=r["choice"],
                )
            )
    return tuple(out)
