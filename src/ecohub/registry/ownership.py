"""Which source code belongs to which unit, when clusters change (coding.py's rules 1 and 3).

An HJ 608-2017 code is its unit's: positions 1-18 are the unit's credit code (GB 32100). So
when a split or a decision moves records, a code stays with the cluster that holds the credit
code it is built from (:func:`owns`), whatever the record counts say, and a split that undoes a
merge gives the leaving unit its own code back (:func:`revive`) rather than a new "…002P" that
would read as its second plant. A provisional ``H9`` code is built from no credit code (no
USCC starts with H9), so neither rule touches it.
"""

from __future__ import annotations

from typing import Any

import duckdb
import pandas as pd

__all__ = ["owns", "revive"]


def owns(share: pd.DataFrame, df: pd.DataFrame) -> pd.Series:
    """Per (source_code, cluster) row of ``share``: whether the cluster holds a record whose
    valid credit code the code is built from (positions 1-18 of an HJ 608 code; a provisional
    H9 code is built from none, and no USCC starts with H9)."""
    held = df.dropna(subset=["uscc_norm"])[["cluster", "uscc_norm"]].drop_duplicates()
    keys = pd.MultiIndex.from_frame(held)
    asked = pd.MultiIndex.from_arrays([share["cluster"], share["source_code"].str.slice(0, 18)])
    return pd.Series(asked.isin(keys), index=share.index)


def revive(con: duckdb.DuckDBPyConnection, df: pd.DataFrame, attrs: pd.DataFrame) -> pd.Series:
    """Clusters of ``attrs`` (those receiving no code; column ``uscc``) that get back a merged
    code: one merged (directly or in a chain) into a code their records had, and built from
    their credit code. Oldest code first; each code and each cluster once."""
    merged = con.execute(
        "SELECT source_code, merged_into, valid_from FROM source WHERE status = 'merged'"
    ).df()
    if merged.empty or attrs["uscc"].isna().all():
        return pd.Series(dtype=object)
    into = dict(zip(merged.source_code, merged.merged_into, strict=True))

    def live(code: str) -> str:
        seen: set[str] = set()
        while code in into and code not in seen:
            seen.add(code)
            code = into[code]
        return code

    merged["live"] = merged.source_code.map(live)
    merged["uscc"] = merged.source_code.str.slice(0, 18)
    had = df[df.cluster.isin(attrs.index) & df.source_code.notna()]
    had = had[["cluster", "source_code"]].drop_duplicates().rename(columns={"source_code": "live"})
    own = attrs["uscc"].dropna().rename_axis("cluster").reset_index()
    cand = had.merge(merged, on="live").merge(own, on=["cluster", "uscc"])
    cand = cand.sort_values(["valid_from", "source_code", "cluster"])
    out: dict[Any, str] = {}
    given: set[str] = set()
    for cl, code in zip(cand.cluster, cand.source_code, strict=True):
        if cl not in out and code not in given:
            out[cl] = code
            given.add(code)
    return pd.Series(out, dtype=object)
