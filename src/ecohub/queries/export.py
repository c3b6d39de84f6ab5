"""Serialising query results: JSON-ready rows, CSV and Parquet bytes.

One place for the formats the API and the CLI hand out, so both give the same bytes, and the
one CSV writer of the platform: every CSV it writes for people (downloads, ``--out`` files,
``--format csv`` output, reject files) goes through :func:`csv_bytes` / :func:`write_csv` /
:func:`cells_csv`, so every one

- starts with the UTF-8 byte-order mark, once (Excel on a Chinese Windows reads a CSV without
  it in the ANSI code page, GBK, and garbles 奥体中心); a reader takes it off with
  ``utf-8-sig`` (pandas and Excel do so by themselves);
- writes times as ISO 8601 with their offset, in the zone of the value, exactly as the JSON of
  the same rows gives them (:func:`plain`): ``2016-01-01T00:00:00+08:00``, seconds unless the
  value has a fraction of a second;
- writes no text cell a spreadsheet would run as a formula: a text cell (or column name)
  starting with ``= + - @``, tab, CR or NUL gets a ``'`` in front (:mod:`ecohub.queries.cells`,
  which also holds the loaders' inverse); numbers, times and booleans are written as they are.

Parquet and JSON keep every value as it is: they are data for programs, not opened as sheets.
XLSX cells are written as they are too, each text cell as text (:func:`write_xlsx`).
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ecohub.queries.cells import escape, escape_frame, escape_table

if TYPE_CHECKING:
    import pandas as pd

FORMATS = ("json", "csv", "parquet")
#: The media type of every CSV the API answers (RFC 4180: ``header=present``).
CSV_MEDIA_TYPE = "text/csv; charset=utf-8; header=present"
MEDIA_TYPES = {"csv": CSV_MEDIA_TYPE, "parquet": "application/vnd.apache.parquet"}
#: The UTF-8 byte-order mark every CSV starts with.
BOM = "\ufeff"


def plain(value: Any) -> Any:
    """A JSON-safe value: times as ISO 8601 text, NaN/inf as ``None``."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


@cache
def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _column(col: pa.ChunkedArray) -> list[Any]:
    """One column as Python values. Zoned timestamps are converted here rather than by Arrow,
    whose per-value conversion looks the zone up again for every value (~45 µs a value: most
    of an observation page's CPU); the values are equal (same instant, same zone)."""
    t = col.type
    if pa.types.is_timestamp(t) and t.tz is not None and t.unit != "ns":
        zone = _zone(t.tz)
        if zone is not None:
            naive = col.cast(pa.timestamp(t.unit)).to_pylist()  # the UTC wall clock
            return [None if d is None else d.replace(tzinfo=UTC).astimezone(zone) for d in naive]
    return col.to_pylist()


def pylist(table: pa.Table) -> list[dict[str, Any]]:
    """``table.to_pylist()``, the same values, faster for zoned timestamp columns."""
    names = table.column_names
    if not names or len(set(names)) != len(names):
        return table.to_pylist()
    columns = [_column(table.column(i)) for i in range(len(names))]
    return [dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True)]


def rows(table: pa.Table) -> list[dict[str, Any]]:
    """The table as a list of JSON-safe dicts."""
    return [{k: plain(v) for k, v in r.items()} for r in pylist(table)]


def to_bytes(table: pa.Table, fmt: str) -> bytes:
    """``table`` as CSV (:func:`csv_bytes`) or Parquet (zstd, typed timestamps) bytes."""
    if fmt == "csv":
        return csv_bytes(table)
    buf = io.BytesIO()
    if fmt == "parquet":
        pq.write_table(table, buf, compression="zstd")
    else:
        raise ValueError(f"format: must be csv or parquet, got {fmt!r}")
    return buf.getvalue()


def iso_times(table: pa.Table) -> pa.Table:
    """Timestamp columns as ISO 8601 text (:func:`plain`, the JSON's form) instead of the Arrow
    CSV writer's ``2015-12-31 16:00:00.000000+0000``, which spreadsheets do not read."""
    for i, field in enumerate(table.schema):
        if pa.types.is_timestamp(field.type):
            values = _column(table.column(i))
            text = pa.array([None if v is None else plain(v) for v in values], pa.string())
            table = table.set_column(i, field.name, text)
    return table


def _frame_text(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with its time columns as ISO 8601 text (see :func:`iso_times`)."""
    import pandas as pd

    times = [c for c in df.columns if pd.api.types.is_datetime64_any_dtype(df[c])]
    if not times:
        return df
    out = df.copy()
    for c in times:
        out[c] = out[c].map(lambda t: None if pd.isna(t) else t.isoformat())
    return out


def csv_bytes(data: pa.Table | pd.DataFrame) -> bytes:
    """``data`` (an Arrow table or a DataFrame) as a CSV file: BOM, header, times ISO 8601,
    text cells escaped (:func:`ecohub.queries.cells.escape`)."""
    buf = io.BytesIO()
    buf.write(BOM.encode())
    if isinstance(data, pa.Table):
        pacsv.write_csv(iso_times(escape_table(data)), buf)
    else:
        buf.write(_frame_text(escape_frame(data)).to_csv(index=False).encode("utf-8"))
    return buf.getvalue()


def write_csv(data: pa.Table | pa.RecordBatchReader | pd.DataFrame, path: Path | str) -> Path:
    """Write ``data`` to ``path`` as :func:`csv_bytes` does. A record-batch reader is written
    batch by batch (a reject file of millions of rows is never held whole): the BOM once at
    the very start, the header once. ``OSError`` is the caller's to name."""
    target = Path(path)
    if not isinstance(data, pa.RecordBatchReader):
        target.write_bytes(csv_bytes(data))
        return target
    with target.open("wb") as fh:
        fh.write(BOM.encode())
        schema = iso_times(escape_table(data.schema.empty_table())).schema
        with pacsv.CSVWriter(fh, schema) as writer:
            for batch in data:
                table = pa.Table.from_batches([batch], data.schema)
                writer.write_table(iso_times(escape_table(table)))
    return target


def cells_csv(columns: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """Text cells as CSV text (BOM, header, ``\\n`` line ends), each escaped: the CLI's
    ``--format csv`` (a number printed as text is left as it is, :mod:`ecohub.queries.cells`)."""
    buf = io.StringIO()
    buf.write(BOM)
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([escape(c) for c in columns])
    writer.writerows([escape(c) for c in row] for row in rows)
    return buf.getvalue()


def write_xlsx(df: pd.DataFrame, target: Path | BinaryIO, sheet: str = "Sheet1") -> None:
    """``df`` as a one-sheet XLSX workbook, every text cell a text cell. openpyxl (under
    ``DataFrame.to_excel``) stores a string starting with ``=`` as a formula, which Excel runs on
    opening; typed as text, the cell shows the string and runs nothing."""
    import pandas as pd

    with pd.ExcelWriter(target, engine="openpyxl") as writer:
        df.to_excel(writer, index=False, sheet_name=sheet)
        for row in writer.sheets[sheet].iter_rows():
            for cell in row:
                if cell.data_type == "f":  # none is meant: every one came from a string
                    cell.data_type = "s"
