"""The grading tables of the water analytics, built from the standards' own data files.

Nothing here is typed in: limits come from :func:`ecohub.standards.water.class_limits_table`
(``gb3838-2002_basic.csv``), the 2011 roles from ``sw-assessment-2011_items.csv`` and the
HJ 212 codes from ``hj212-2017_water_codes.csv`` — the same tables
:func:`ecohub.standards.water.classify` reads, so the vectorised classes and the pure
function cannot drift apart.
"""

from __future__ import annotations

from functools import cache
from typing import Any, cast

import pandas as pd

from ecohub.standards import water as std
from ecohub.standards.editions import load_table

__all__ = [
    "BODIES",
    "METHODS",
    "code_table",
    "grading_table",
    "unit_table",
    "waterbody_table",
]

METHODS = ("gb3838", "2011")
BODIES = ("river", "lake")
N_CLASSES = 5  # GB 3838-2002 classes I-V; a value meeting none of them is 劣V (rank 6)

# Units as the store records them (DESIGN: "water in mg/L"; ingest's units.csv names the
# dimensionless and temperature units so) for the units GB 3838-2002 Table 1 prints.
_STORE_UNIT = {"": "dimensionless", "C": "℃", "mg/L": "mg/L", "count/L": "count/L"}


@cache
def grading_table(method: str) -> pd.DataFrame:
    """One row per (waterbody, item) that the method grades or reports.

    Columns: ``waterbody, item, role`` (``graded`` sets the class; ``reference`` is graded
    on its own, 2011 method 一（一）1), ``min_1..min_5`` / ``max_1..max_5`` (the bounds of
    classes I-V; null = no bound of that side), ``c3`` (the class III limit the 超标倍数
    is computed against; null for items with a lower bound — pH, DO — for which the 2011
    method 二（一）3(1) computes none) and ``priority`` (cyanide and heavy metals, listed first
    among main pollutants by the same clause).
    """
    if method not in METHODS:
        raise ValueError(f"method: expected one of {', '.join(METHODS)}, got {method!r}")
    roles = {row["key"]: row for row in load_table("sw-assessment-2011_items.csv")}
    frames = []
    for body in BODIES:
        long = std.class_limits_table(body)
        long = long.assign(rank=long.grade.map(std.grade_rank))
        wide = long.pivot_table(index="item", columns=["direction", "rank"], values="limit")
        wide.columns = [f"{d}_{r}" for d, r in cast(Any, wide.columns)]
        for side in ("min", "max"):
            for r in range(1, N_CLASSES + 1):
                if f"{side}_{r}" not in wide:
                    wide[f"{side}_{r}"] = float("nan")
        has_min = long.groupby("item").direction.apply(lambda d: (d == "min").any())
        wide["c3"] = wide["max_3"].where(~has_min.reindex(wide.index).fillna(False))
        wide = wide.reset_index()
        wide["waterbody"] = body
        if method == "2011":
            wide["role"] = [roles[item][body] for item in wide.item]
        else:
            wide["role"] = "graded"
        frames.append(wide[wide.role != "excluded"])
    out = pd.concat(frames, ignore_index=True)
    out["priority"] = out.item.isin(
        std._PRIORITY_POLLUTANTS
    )  # private in standards: no public name yet
    cols = ["waterbody", "item", "role", "c3", "priority"]
    bounds = [f"{s}_{r}" for s in ("min", "max") for r in range(1, N_CLASSES + 1)]
    return out[cols + bounds].sort_values(["waterbody", "item"]).reset_index(drop=True)


@cache
def code_table() -> pd.DataFrame:
    """HJ 212 water code (and ecohub item key) -> item key, lower-cased for matching."""
    rows = {row["code"].lower(): row["key"] for row in load_table("hj212-2017_water_codes.csv")}
    rows.update({key.lower(): key for key in std.ITEMS})
    return pd.DataFrame({"code": list(rows), "item": list(rows.values())})


@cache
def unit_table() -> pd.DataFrame:
    """Item -> the unit its stored values must carry (GB 3838-2002 Table 1's unit)."""
    rows = {row["key"]: _STORE_UNIT[row["unit"]] for row in load_table(std.TABLE)}
    return pd.DataFrame({"item": list(rows), "expected_unit": list(rows.values())})


@cache
def waterbody_table() -> pd.DataFrame:
    """Water-body names accepted on ``station.waterbody`` (lower-cased) -> river | lake."""
    names = std._WATERBODIES  # the standard's own list (private there)
    return pd.DataFrame({"name": list(names), "body": list(names.values())})
