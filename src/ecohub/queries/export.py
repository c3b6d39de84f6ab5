"""Serialising query results: JSON-ready rows, CSV and Parquet bytes.

One place for the formats the API and the CLI hand out, so both give the same bytes.
"""

from __future__ import annotations

import io
import math
from datetime import date, datetime
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

FORMATS = ("json", "csv", "parquet")
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "parquet": "application/vnd.apache.parquet"}


def plain(value: Any) -> Any:
    """A JSON-safe value: times as ISO 8601 text, NaN/inf as ``None``."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def rows(table: pa.Table) -> list[dict[str, Any]]:
    """The table as a list of JSON-safe dicts."""
    return [{k: plain(v) for k, v in r.items()} for r in table.to_pylist()]


def to_bytes(table: pa.Table, fmt: str) -> bytes:
    """``table`` as CSV (header row, UTF-8) or Parquet (zstd) bytes."""
    buf = io.BytesIO()
    if fmt == "csv":
        pacsv.write_csv(table, buf)
    elif fmt == "parquet":
        pq.write_table(table, buf, compression="zstd")
    else:
        raise ValueError(f"format: must be csv or parquet, got {fmt!r}")
    return buf.getvalue()
