"""The explainable risk score and the monthly watch list.

score = Σ contribution, contribution = weight × min(raw, cap) for each factor of
``data/risk_factors.csv``. Every answer carries each factor's raw value, weight, cap and
contribution, so the score can be recomputed by hand from what is shown.

The watch list follows US EPA ECHO's: not every risky source, but those with a *serious*
violation (a factor at or above its ``serious_at``), highest score first, per region and month.
"""

from __future__ import annotations

from typing import Any

import duckdb

from ecohub.access.principal import Principal
from ecohub.enterprise.factors import raw_factors
from ecohub.enterprise.scope import Month, month_of, require_source
from ecohub.enterprise.tables import Factor, factors
from ecohub.queries import QueryError

__all__ = ["MAX_WATCHLIST", "WATCHLIST_COLUMNS", "explain", "risk", "watchlist"]

MAX_WATCHLIST = 1000
WATCHLIST_COLUMNS = ("rank", "source_code", "name", "region_code", "industry", "score",
                     "serious", "top_factors")  # fmt: skip


def _contribution(f: Factor, raw: float) -> float:
    counted = raw if f.cap is None else min(raw, f.cap)
    return f.weight * counted


def explain(row: dict[str, Any]) -> dict[str, Any]:
    """The score of one row of raw values: its factors (raw, weight, cap, counted, contribution,
    serious) and their sum."""
    parts: list[dict[str, Any]] = []
    for f in factors():
        raw = float(row[f.factor] or 0)
        parts.append({
            "factor": f.factor, "name_zh": f.name_zh, "name_en": f.name_en, "unit": f.unit,
            "window": f.window, "raw": raw, "weight": f.weight, "cap": f.cap,
            "contribution": _contribution(f, raw),
            "serious": f.serious_at is not None and raw >= f.serious_at,
            "basis": f.basis,
        })  # fmt: skip
    score = sum(float(p["contribution"]) for p in parts)
    return {
        "source_code": row["source_code"],
        "name": row["name"],
        "region_code": row["region_code"],
        "industry": row["industry"],
        "score": score,
        "serious": [p["factor"] for p in parts if p["serious"]],
        "factors": parts,
    }


def risk(
    con: duckdb.DuckDBPyConnection, principal: Principal, code: str, month: str | None = None
) -> dict[str, Any]:
    """The score of one source in ``month`` (``YYYY-MM``, default the current one) with every
    factor; ``NotFound`` when the source is unknown or out of scope."""
    m = month_of(month)
    require_source(con, principal, code)
    rows = raw_factors(con, principal, m, code=code)
    return {"month": m.label, **explain(rows[0])}


def scored(
    con: duckdb.DuckDBPyConnection, principal: Principal, m: Month, region: str | None
) -> list[dict[str, Any]]:
    """Every source in scope with its explained score, highest first (ties: by code)."""
    out = [explain(r) for r in raw_factors(con, principal, m, region=region)]
    out.sort(key=lambda r: (-r["score"], r["source_code"]))
    return out


def watchlist(
    con: duckdb.DuckDBPyConnection,
    principal: Principal,
    region: str | None = None,
    month: str | None = None,
    limit: int = 50,
) -> dict[str, Any]:
    """The month's watch list of ``region``: sources with a serious violation, highest score
    first, at most ``limit``; each with its three largest contributions. ``factors`` names
    (zh-CN and en) every factor code the items mention, so a reader needs no second call."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_WATCHLIST:
        raise QueryError("limit", f"must be a whole number 1..{MAX_WATCHLIST}, got {limit!r}")
    m = month_of(month)
    items: list[dict[str, Any]] = []
    for r in scored(con, principal, m, region):
        if not r["serious"]:
            continue
        top = sorted((p for p in r["factors"] if p["contribution"] > 0),
                     key=lambda p: -p["contribution"])[:3]  # fmt: skip
        items.append({
            "rank": len(items) + 1, "source_code": r["source_code"], "name": r["name"],
            "region_code": r["region_code"], "industry": r["industry"],
            "score": round(r["score"], 3), "serious": r["serious"],
            "top_factors": [{"factor": p["factor"], "raw": p["raw"],
                             "contribution": round(p["contribution"], 3)} for p in top],
        })  # fmt: skip
        if len(items) == limit:
            break
    used = {c for i in items for c in (*i["serious"], *(f["factor"] for f in i["top_factors"]))}
    names = {f.factor: {"name_zh": f.name_zh, "name_en": f.name_en}
             for f in factors() if f.factor in used}  # fmt: skip
    return {"month": m.label, "region": region, "items": items, "factors": names}
