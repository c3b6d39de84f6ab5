"""The analysis parameters (``data/linking.csv``) and the topic → industry fit table."""

from __future__ import annotations

import csv
from dataclasses import dataclass, fields, replace
from functools import lru_cache
from importlib import resources
from typing import Any

__all__ = ["Params", "industry_fit", "params"]


@dataclass(frozen=True)
class Params:
    repeat_distance_m: float
    repeat_days: float
    hotspot_eps_m: float
    hotspot_min_samples: int
    hotspot_window_days: float
    hotspot_step_days: float
    candidate_radius_m: float
    candidate_max: int
    w_distance: float
    w_industry: float
    w_wind: float
    wind_radius_m: float
    wind_hours: float
    upwind_half_angle: float

    def but(self, **changes: Any) -> Params:
        """These parameters with some changed (benchmarks and tests)."""
        return replace(self, **changes)


def _rows(name: str) -> list[dict[str, str]]:
    text = resources.files("ecohub.complaints.data").joinpath(name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


@lru_cache(maxsize=1)
def params() -> Params:
    """The shipped parameters; every field must be in ``linking.csv``."""
    values = {r["param"]: r["value"] for r in _rows("linking.csv")}
    kw: dict[str, Any] = {}
    for f in fields(Params):
        if f.name not in values:
            raise ValueError(f"linking.csv: parameter {f.name} is missing")
        kw[f.name] = int(values[f.name]) if f.type == "int" else float(values[f.name])
    return Params(**kw)


@lru_cache(maxsize=1)
def _fits() -> dict[str, list[tuple[str, float]]]:
    out: dict[str, list[tuple[str, float]]] = {}
    for r in _rows("topic_industries.csv"):
        out.setdefault(r["topic"], []).append((r["match"], float(r["fit"])))
    return out


def industry_fit(topic: str, industry: str | None, name: str | None) -> float:
    """How well a source fits a complaint topic, 0..1: the best matching row of
    ``topic_industries.csv`` — a digit prefix of the GB/T 4754 industry code, or a word found in
    the industry text or the source's name. 0 when the topic has no fitting industry."""
    best = 0.0
    ind, nm = industry or "", name or ""
    for match, fit in _fits().get(topic, ()):
        hit = ind.startswith(match) if match.isdigit() else (match in ind or match in nm)
        if hit and fit > best:
            best = fit
    return best
