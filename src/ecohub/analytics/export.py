"""Write a result table to CSV, Parquet or XLSX, chosen by the file's suffix."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["EXPORT_SUFFIXES", "ExportError", "export_table"]

EXPORT_SUFFIXES = (".csv", ".parquet", ".xlsx")


class ExportError(ValueError):
    """The path's suffix names no format we write, or the table cannot be written."""


def _frame(table: Any) -> pd.DataFrame:
    if isinstance(table, pd.DataFrame):
        return table
    if hasattr(table, "to_pandas"):  # an Ibis table expression
        return table.to_pandas()
    if isinstance(table, Iterable) and not isinstance(table, str | bytes | Mapping):
        return pd.DataFrame(list(table))
    raise ExportError(f"table: expected a DataFrame, an Ibis table or rows, got {type(table)!r}")


def export_table(table: Any, path: Path | str, *, sheet: str = "result") -> Path:
    """Write ``table`` (DataFrame, Ibis table, or an iterable of dicts) to ``path``.

    The suffix picks the format: ``.csv`` (UTF-8 with BOM, so spreadsheet programs show
    Chinese text correctly), ``.parquet`` or ``.xlsx`` (one sheet named ``sheet``). Time
    zones are kept in CSV and Parquet; XLSX cannot store them, so aware times are written as
    CST wall-clock times. Returns the path written; raises :class:`ExportError` for any
    other suffix.
    """
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in EXPORT_SUFFIXES:
        raise ExportError(
            f"path: {target.name}: expected a {', '.join(EXPORT_SUFFIXES)} file, got {suffix!r}"
        )
    df = _frame(table)
    target.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".csv":
        df.to_csv(target, index=False, encoding="utf-8-sig")
    elif suffix == ".parquet":
        df.to_parquet(target, index=False)
    else:
        out = df.copy()
        for col in out.columns:
            if isinstance(out[col].dtype, pd.DatetimeTZDtype):
                out[col] = out[col].dt.tz_convert("Asia/Shanghai").dt.tz_localize(None)
        out.to_excel(target, index=False, sheet_name=sheet[:31])  # Excel caps names at 31
    return target
