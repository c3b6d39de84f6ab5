"""The checked rows of a complaint file → the ``complaint`` records: id, point, region, class.

Pure data work over a DataFrame (the store is read only for the county boundaries).
"""

from __future__ import annotations

import hashlib

import duckdb
import numpy as np
import pandas as pd

from ecohub.complaints.classify import classify_many
from ecohub.complaints.places import locate

__all__ = ["build_records", "derived_id"]


def derived_id(ts: pd.Timestamp, text: str, address: str | None) -> str:
    """``C`` + 16 hex digits of sha256(UTC time | text | address): the id of a row without one."""
    key = f"{ts.tz_convert('UTC').isoformat()}|{text}|{address or ''}"
    return "C" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def _hash(row: pd.Series, cols: list[str]) -> str:
    text = "\x1f".join("" if pd.isna(row[c]) else str(row[c]) for c in cols)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def build_records(
    con: duckdb.DuckDBPyConnection, good: pd.DataFrame, *, crs: str, source_file: str
) -> tuple[pd.DataFrame, list[tuple[int, str, str]]]:
    """Records ready for the upsert, and the in-file duplicates to reject (row, id, reason).

    Rows of one id with identical fields are one complaint (the repeats are dropped); rows of
    one id with different fields keep the first and reject the rest, naming every row.
    """
    df = good.copy()
    if df.empty:
        return _empty(), []
    df["ts"] = pd.to_datetime(df["ts"], utc=True)
    given = df["id"].where(df["id"].notna(), None)
    derived = [derived_id(t, x, a) for t, x, a in zip(df["ts"], df["text"], df["address"],
                                                      strict=True)]  # fmt: skip
    df["complaint_id"] = [g if g is not None else d for g, d in zip(given, derived, strict=True)]
    content = ["ts", "text", "address", "lon", "lat", "channel", "result", "region_code"]
    df["_content"] = df.apply(lambda r: _hash(r, content), axis=1)
    dupes: list[tuple[int, str, str]] = []
    keep = ~df.duplicated(["complaint_id", "_content"])
    df = df[keep]
    multi = df[df.duplicated("complaint_id", keep=False)]
    for cid, group in multi.groupby("complaint_id", sort=False):
        rows = ", ".join(str(r) for r in group["_row"])
        for r in group["_row"].iloc[1:]:
            dupes.append((int(r), str(cid), f"duplicate complaint id with different fields in "
                                            f"rows {rows}; the first is kept"))  # fmt: skip
    df = df[~df.duplicated("complaint_id", keep="first")].reset_index(drop=True)
    placed = locate(con, df["address"], df["lon"].to_numpy(float), df["lat"].to_numpy(float),
                    df["region_code"], crs=crs)  # fmt: skip
    classes = classify_many(df["text"].tolist())
    out = pd.DataFrame(
        {
            "complaint_id": df["complaint_id"],
            "received_at": df["ts"],
            "channel": df["channel"],
            "text": df["text"],
            "address": df["address"],
            "address_norm": placed["address_norm"],
            "region_code": placed["region_code"],
            "region_from": placed["region_from"],
            "lon": placed["lon"],
            "lat": placed["lat"],
            "result": df["result"],
            "category": [c.category for c in classes],
            "topic": [c.topic for c in classes],
            "confidence": [c.confidence for c in classes],
            "matched": [" ".join(c.matched) or None for c in classes],
            "source_file": source_file,
        }
    )
    stored = [c for c in out.columns if c not in ("source_file",)]
    out["row_hash"] = out.apply(lambda r: _hash(r, stored), axis=1)
    return out, dupes


def _empty() -> pd.DataFrame:
    cols = ["complaint_id", "received_at", "channel", "text", "address", "address_norm",
            "region_code", "region_from", "lon", "lat", "result", "category", "topic",
            "confidence", "matched", "source_file", "row_hash"]  # fmt: skip
    frame = pd.DataFrame({c: pd.Series([], dtype=object) for c in cols})
    frame["received_at"] = pd.Series([], dtype="datetime64[us, UTC]")
    for c in ("lon", "lat", "confidence"):
        frame[c] = pd.Series([], dtype=np.float64)
    return frame
