"""The package's tables (``data/*.csv``) as plain Python: risk factors and EIA industries."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources

__all__ = ["Factor", "Industry", "factors", "industries", "industry_of"]


@dataclass(frozen=True)
class Factor:
    """One factor of the risk score: contribution = weight × min(raw, cap)."""

    factor: str
    name_zh: str
    name_en: str
    unit: str
    window: str
    weight: float
    cap: float | None
    serious_at: float | None  # raw value at which the factor alone is a serious violation
    basis: str
    choice: str


@dataclass(frozen=True)
class Industry:
    prefix: str
    name_zh: str
    eia_required: bool
    permit_required: bool
    permit_class: str  # key | simplified
    basis: str


def _rows(name: str) -> list[dict[str, str]]:
    text = resources.files("ecohub.enterprise").joinpath("data", name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


def _num(text: str) -> float | None:
    return float(text) if text.strip() else None


@cache
def factors() -> tuple[Factor, ...]:
    """The factors in the order of ``risk_factors.csv``."""
    out = []
    for r in _rows("risk_factors.csv"):
        weight = _num(r["weight"])
        if weight is None:
            raise ValueError(f"risk_factors.csv: {r['factor']}: weight is empty")
        out.append(Factor(r["factor"], r["name_zh"], r["name_en"], r["unit"], r["window"],
                          weight, _num(r["cap"]), _num(r["serious_at"]), r["basis"],
                          r["choice"]))  # fmt: skip
    return tuple(out)


@cache
def industries() -> tuple[Industry, ...]:
    """Industries that need an EIA approval or a permit, by GB/T 4754 code prefix."""
    return tuple(
        Industry(
            r["prefix"],
            r["name_zh"],
            r["eia_required"] == "true",
            r["permit_required"] == "true",
            r["permit_class"],
            r["basis"],
        )
        for r in _rows("eia_industries.csv")
    )


def industry_of(code: str | None) -> Industry | None:
    """The listed industry of a GB/T 4754 code (``3110`` or ``C3110``), or ``None``."""
    if not code:
        return None
    digits = code.strip().lstrip("ABCDEFGHIJKLMNOPQRST")
    for ind in industries():
        if digits.startswith(ind.prefix):
            return ind
    return None
