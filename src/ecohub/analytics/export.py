"""Write a result table to CSV, Parquet or XLSX, chosen by the file's suffix."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from ecohub.queries.export import write_csv, write_xlsx

__all__ = ["EXPORT_SUFFIXES", "ExportError", "check_target", "export_table"]

EXPORT_SUFFIXES = (".csv", ".parquet", ".xlsx")


class ExportError(ValueError):
    """The path's suffix names no format we write, or the table cannot be written there.

    The message names the path and the reason; callers name their option (``--out``)."""


def check_target(path: Path | str) -> Path:
    """Raise :class:`ExportError` unless ``path`` has a suffix we write and a result could be
    written there (its folder exists or can be made, and is writable); checked before any
    work is done, so a long computation is not lost to a typo in the path."""
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in EXPORT_SUFFIXES:
        raise ExportError(
            f"{target.name}: expected a {', '.join(EXPORT_SUFFIXES)} file, got {suffix!r}"
        )
    if target.is_dir():
        raise ExportError(f"{target}: is a folder, not a file")
    folder = target.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise ExportError(f"{target}: cannot be created, {folder} is not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ExportError(f"{target}: folder {folder} is not writable")
    if target.exists() and not os.access(target, os.W_OK):
        raise ExportError(f"{target}: file is not writable")
    return target


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

    The suffix picks the format: ``.csv`` (the platform's CSV,
    :func:`ecohub.queries.export.write_csv`: UTF-8 with BOM, so spreadsheet programs show
    Chinese text correctly, and times as ISO 8601 with their offset), ``.parquet`` or
    ``.xlsx`` (one sheet named ``sheet``). Time zones are kept in CSV and Parquet; XLSX cannot
    store them, so aware times are written as CST wall-clock times. Returns the path written;
    raises :class:`ExportError` for any
    other suffix.
    """
    target = check_target(path)
    suffix = target.suffix.lower()
    df = _frame(table)
    try:
        _write(df, target, suffix, sheet)
    except OSError as exc:
        raise ExportError(f"{target}: cannot write: {exc.strerror or exc}") from exc
    return target


def _write(df: pd.DataFrame, target: Path, suffix: str, sheet: str) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".csv":
        write_csv(df, target)
    elif suffix == ".parquet":
        df.to_parquet(target, index=False)
    else:
        out = df.copy()
        for col in out.columns:
            if isinstance(out[col].dtype, pd.DatetimeTZDtype):
                out[col] = out[col].dt.tz_convert("Asia/Shanghai").dt.tz_localize(None)
        write_xlsx(out, target, sheet[:31])  # Excel caps names at 31
