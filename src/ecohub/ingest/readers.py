"""Read a CSV, Parquet or XLSX file, chunk by chunk, into a DuckDB staging table.

Every staged row carries ``_row``, the number a person finds the record under: the line number
in a CSV (header = line 1), the sheet row number in an XLSX, the 1-based record number in a
Parquet file. Columns are renamed ``c0, c1, ...`` so that any header text (Chinese, duplicated,
with quotes) is safe in SQL; :class:`Staged` keeps the original headers.

CSV and XLSX cells are staged as text; Parquet keeps its types. Parsing and validation happen
later in SQL, so a malformed value becomes a reject row instead of a failed read. A CSV cell
escaped against spreadsheet formulas (``'=x``, as the platform's CSV writer writes ``=x``) is
staged as the value it escapes (:func:`ecohub.queries.cells.unescape`).
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from ecohub.ingest.report import shorten
from ecohub.queries.cells import unescape, unescape_table

ProgressFn = Callable[[str, int, int | None], None]
"""``progress(phase, done, total)``: called after each chunk; total is None when unknown."""

# Chunk sizes: large enough that per-chunk overhead vanishes, small enough for a smooth bar.
CSV_BLOCK_BYTES = 4 << 20
PARQUET_BATCH_ROWS = 131_072
XLSX_CHUNK_ROWS = 20_000
MAX_REJECT_TEXT = 200  # characters of a malformed line kept in the reject file


class ReadError(Exception):
    """The file cannot be read as the format it claims (missing, empty, corrupt)."""


@dataclass
class BadLine:
    """A CSV line the parser could not split into the header's number of fields."""

    row: int
    text: str
    reason: str


@dataclass
class BadCell:
    """A cell (or, with ``row`` 0, a whole column) that cannot be staged as a value."""

    row: int
    column: str  # the original header
    text: str
    reason: str


@dataclass
class Staged:
    """A file staged into ``table``: original headers by staged column name, and what went wrong."""

    table: str
    format: str
    headers: dict[str, str]  # c0 -> original header text
    types: dict[str, str]  # c0 -> DuckDB type name
    rows: int
    bad_lines: list[BadLine] = field(default_factory=list)
    bad_cells: list[BadCell] = field(default_factory=list)
    name: str = ""  # the file's name, for messages


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def detect_format(path: Path) -> str:
    """``csv``, ``parquet`` or ``xlsx``, from the suffix, else from the first bytes."""
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt", ".tsv"):
        return "csv"
    if suffix in (".parquet", ".pq"):
        return "parquet"
    if suffix in (".xlsx", ".xlsm"):
        return "xlsx"
    with path.open("rb") as fh:
        head = fh.read(4)
    if head == b"PAR1":
        return "parquet"
    if head[:2] == b"PK":
        return "xlsx"
    if suffix in (".xls", ".json", ".gz", ".zip"):
        raise ReadError(f"{path.name}: format {suffix} is not supported (use CSV, Parquet or XLSX)")
    return "csv"


def stage(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    table: str,
    *,
    sheet: str | None = None,
    progress: ProgressFn | None = None,
) -> Staged:
    """Read ``path`` into the temporary table ``table`` (replacing it)."""
    fmt = detect_format(path)
    con.execute(f"DROP TABLE IF EXISTS {table}")
    if fmt == "parquet":
        headers, chunks = _parquet_chunks(path)
    elif fmt == "xlsx":
        headers, chunks = _xlsx_chunks(path, sheet)
    else:
        headers, chunks = _csv_chunks(path)
    staged = Staged(table, fmt, {f"c{i}": h for i, h in enumerate(headers)}, {}, 0, name=path.name)
    created = False
    try:
        for batch, done, total in chunks(staged):
            con.register("_ecohub_chunk", batch)
            try:
                if created:
                    con.execute(f"INSERT INTO {table} SELECT * FROM _ecohub_chunk")
                else:
                    con.execute(f"CREATE TEMP TABLE {table} AS SELECT * FROM _ecohub_chunk")
                    created = True
            finally:
                con.unregister("_ecohub_chunk")
            staged.rows += batch.num_rows
            if progress is not None:
                progress("read", done, total)
    except (pa.ArrowInvalid, OSError, ValueError, KeyError) as exc:
        raise ReadError(f"{path.name}: cannot read as {fmt}: {shorten(str(exc))}") from exc
    if not created:
        # Header only: an empty table of the right shape still lets the checks run.
        cols = ", ".join(f"CAST(NULL AS VARCHAR) AS {c}" for c in staged.headers)
        con.execute(
            f"CREATE TEMP TABLE {table} AS SELECT CAST(NULL AS BIGINT) AS _row, {cols} LIMIT 0"
        )
    if staged.bad_lines:
        _renumber_after_bad_lines(con, table, staged.bad_lines)
    staged.types = {
        name: str(dtype) for name, dtype, *_ in con.execute(f"DESCRIBE {table}").fetchall()
    }
    return staged


Chunks = Callable[[Staged], Iterator[tuple[pa.Table, int, int | None]]]


def _with_row(table: pa.Table, start: int, step_rows: list[int] | None = None) -> pa.Table:
    names = [f"c{i}" for i in range(table.num_columns)]
    table = table.rename_columns(names)
    rows = (
        pa.array(step_rows)
        if step_rows is not None
        else pa.array(range(start, start + table.num_rows), pa.int64())
    )
    return table.add_column(0, "_row", rows.cast(pa.int64()))


def _parquet_chunks(path: Path) -> tuple[list[str], Chunks]:
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise ReadError(f"{path.name}: not a readable Parquet file: {exc}") from exc
    headers = list(pf.schema_arrow.names)
    total = pf.metadata.num_rows

    def chunks(staged: Staged) -> Iterator[tuple[pa.Table, int, int | None]]:
        done = 0
        for batch in pf.iter_batches(batch_size=PARQUET_BATCH_ROWS):
            table = pa.Table.from_batches([batch])
            yield _with_row(table, done + 1), done + table.num_rows, total
            done += table.num_rows

    return headers, chunks


def sniff_encoding(path: Path) -> str:
    """``utf-8`` or ``gb18030`` from the first MiB; :class:`ReadError` when empty or neither."""
    with path.open("rb") as fh:
        head = fh.read(1 << 20)
    if not head.strip():
        raise ReadError(f"{path.name}: the file is empty")
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 3:  # a character cut by our 1 MiB window
            return "utf-8"
    # Chinese agencies still publish GBK/GB 18030 CSV; GB 18030 is a superset of GBK.
    try:
        head.decode("gb18030")
        return "gb18030"
    except UnicodeDecodeError as exc:
        raise ReadError(f"{path.name}: text is neither UTF-8 nor GB 18030") from exc


def _csv_chunks(path: Path) -> tuple[list[str], Chunks]:
    import pyarrow.csv as pcsv

    encoding = sniff_encoding(path)
    with path.open(encoding=encoding, newline="") as fh:
        first = fh.readline().lstrip("\ufeff")
    counts = {d: first.count(d) for d in (",", "\t", ";", "|")}
    delimiter = max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","
    try:
        headers = next(csv.reader(io.StringIO(first), delimiter=delimiter), [])
    except csv.Error as exc:  # e.g. one name longer than the csv module's field limit
        raise ReadError(
            f"{path.name}: the first line cannot be read as column names: {exc}"
        ) from exc
    # A cell the platform's CSV writer escaped ('=x, so no spreadsheet runs it) reads as it was.
    headers = [unescape(h.strip()) for h in headers]
    if not any(headers):
        raise ReadError(f"{path.name}: the first line holds no column names")
    names = [f"c{i}" for i in range(len(headers))]

    def chunks(staged: Staged) -> Iterator[tuple[pa.Table, int, int | None]]:
        def on_bad(row: Any) -> str:
            staged.bad_lines.append(
                BadLine(
                    row=int(row.number) if row.number is not None else 0,
                    text=str(row.text)[:MAX_REJECT_TEXT],
                    reason=f"expected {row.expected_columns} fields, found {row.actual_columns}",
                )
            )
            return "skip"

        total = path.stat().st_size
        source = pa.OSFile(str(path))
        reader = pcsv.open_csv(
            source,
            read_options=pcsv.ReadOptions(
                column_names=names,
                skip_rows=1,
                encoding=encoding,
                block_size=CSV_BLOCK_BYTES,
                use_threads=False,  # the parser then reports line numbers of bad lines
            ),
            parse_options=pcsv.ParseOptions(
                delimiter=delimiter, invalid_row_handler=on_bad, ignore_empty_lines=False
            ),
            convert_options=pcsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()), strings_can_be_null=False
            ),
        )
        done = 0
        for batch in reader:
            table = unescape_table(pa.Table.from_batches([batch]))
            # Line of record k is k + 2 until a bad line shifts it; fixed after staging.
            yield _with_row(table, done + 2), min(source.tell(), total), total
            done += table.num_rows
        source.close()

    return headers, chunks


def _renumber_after_bad_lines(
    con: duckdb.DuckDBPyConnection, table: str, bad_lines: list[BadLine]
) -> None:
    # Good record k sits on line k + 2 + (bad lines before it). With bad lines at record
    # positions r_0 < r_1 < ..., record k moves down by #{i : r_i - i <= k}.
    shifts = sorted(b.row - 2 for b in bad_lines if b.row > 0)
    adjusted = [r - i for i, r in enumerate(shifts)]
    con.execute("CREATE OR REPLACE TEMP TABLE _ecohub_shift (adj BIGINT)")
    con.executemany("INSERT INTO _ecohub_shift VALUES (?)", [[a] for a in adjusted])
    con.execute(
        f"UPDATE {table} SET _row = _row + "
        f"(SELECT count(*) FROM _ecohub_shift WHERE adj <= {table}._row - 2)"
    )
    con.execute("DROP TABLE _ecohub_shift")


def _cell_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value).strip()


# openpyxl reports a damaged workbook through whatever its zip, zlib and XML layers raise
# (zlib.error, BadZipFile, XML parse errors, NotImplementedError for unknown compression, ...);
# every one of them means the same to the user: this file is not a readable workbook.
_XLSX_ERRORS = (Exception,)


def _xlsx_chunks(path: Path, sheet: str | None) -> tuple[list[str], Chunks]:
    from openpyxl import load_workbook
    from openpyxl.utils import get_column_letter

    def damaged(exc: Exception) -> ReadError:
        return ReadError(f"{path.name}: not a readable XLSX workbook ({type(exc).__name__}: {exc})")

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
        # The same sheet with formulas: a formula cell whose cached value is missing (a
        # workbook written by a program, never opened in Excel) reads as empty above.
        wf = load_workbook(path, read_only=True, data_only=False)
    except _XLSX_ERRORS as exc:
        raise damaged(exc) from exc
    if sheet is not None and sheet not in wb.sheetnames:
        raise ReadError(
            f"{path.name}: no sheet {shorten(sheet)!r} (sheets: {', '.join(wb.sheetnames)})"
        )
    ws = wb[sheet] if sheet is not None else wb.worksheets[0]
    rows = ws.iter_rows(values_only=True)
    formulas = wf[ws.title].iter_rows(values_only=True)
    try:
        header_row = next(rows, None)
        next(formulas, None)
    except _XLSX_ERRORS as exc:
        raise damaged(exc) from exc
    if header_row is None:
        raise ReadError(f"{path.name}: sheet {ws.title!r} is empty")
    headers = [_cell_text(h) or "" for h in header_row]
    width = len(headers)
    total = ws.max_row

    def chunks(staged: Staged) -> Iterator[tuple[pa.Table, int, int | None]]:
        cols: list[list[str | None]] = [[] for _ in range(width)]
        numbers: list[int] = []
        # openpyxl is row-based; this loop is the one per-row Python step, and only for XLSX.
        try:
            for number, (values, raw) in enumerate(zip(rows, formulas, strict=False), start=2):
                numbers.append(number)
                for i in range(width):
                    value = values[i] if i < len(values) else None
                    if value is None and i < len(raw) and _is_formula(raw[i]):
                        staged.bad_cells.append(
                            BadCell(
                                number,
                                headers[i],
                                str(raw[i]),
                                f"formula without a cached value in cell "
                                f"{get_column_letter(i + 1)}{number} (open and save the "
                                "workbook in a spreadsheet program to compute it)",
                            )
                        )
                    cols[i].append(_cell_text(value))
                if len(numbers) >= XLSX_CHUNK_ROWS:
                    yield _xlsx_table(cols, numbers), number, total
                    cols, numbers = [[] for _ in range(width)], []
        except _XLSX_ERRORS as exc:
            raise damaged(exc) from exc
        finally:
            wb.close()
            wf.close()
        if numbers:
            yield _xlsx_table(cols, numbers), numbers[-1], total

    return headers, chunks


def _is_formula(raw: Any) -> bool:
    from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula

    return isinstance(raw, ArrayFormula | DataTableFormula) or (
        isinstance(raw, str) and raw.startswith("=")
    )


def _xlsx_table(cols: list[list[str | None]], numbers: list[int]) -> pa.Table:
    table = pa.table({f"c{i}": pa.array(c, pa.string()) for i, c in enumerate(cols)})
    return _with_row(table, 0, numbers)
