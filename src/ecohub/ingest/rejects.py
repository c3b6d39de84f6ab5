"""The rejects of a load: count them, keep the first few in the report, write the reject file.

The reject file is the platform's CSV (:func:`ecohub.queries.export.write_csv`: UTF-8 with a
byte-order mark) with the columns ``row, column, value, reason``, sorted by row and column;
by default it sits beside the loaded file as ``<name>.rejects.csv``. Cell text longer than
:data:`~ecohub.ingest.report.MAX_SHOWN_CHARS` is cut in the file and the report alike.

The reject file is written before anything is stored, so a file that cannot be written stops
the load with nothing loaded; a path given by the user is checked before the file is read.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from ecohub.ingest.readers import Staged
from ecohub.ingest.report import MAX_SHOWN_CHARS, LoadError, LoadReport, Reject
from ecohub.queries.export import write_csv

__all__ = [
    "REJECT_PREVIEW",
    "check_reject_path",
    "collect_rejects",
    "default_reject_path",
    "reject_target",
]

REJECT_PREVIEW = 20  # rejects kept in the report for display; the file has them all


def _shown(col: str) -> str:
    """SQL twin of :func:`~ecohub.ingest.report.shorten`."""
    n = MAX_SHOWN_CHARS
    return (
        f"CASE WHEN length({col}) > {n} THEN left({col}, {n}) || '… (' "
        f"|| length({col}) || ' characters)' ELSE {col} END"
    )


# The reject file's columns; staged as row_no/col_name because ROW and COLUMN are SQL keywords.
_REJECT_COLS = (
    f'row_no AS "row", {_shown("col_name")} AS "column", {_shown("value")} AS value, '
    f"{_shown('reason')} AS reason"
)


def default_reject_path(file: Path) -> Path:
    """The reject file of ``file`` when none is named: ``<name>.rejects.csv`` beside it."""
    return file.with_name(file.name + ".rejects.csv")


def reject_target(file: Path, reject_path: Path | str | None, write_rejects: bool) -> Path | None:
    """Where the reject file goes (None: not written); a path the user gave is checked now."""
    if not write_rejects:
        return None
    if reject_path is None:
        return default_reject_path(file)
    target = Path(reject_path)
    check_reject_path(target)
    return target


def check_reject_path(target: Path) -> None:
    """Raise :class:`LoadError` unless ``target`` can be written (tried, then left as it was)."""
    if target.is_dir():
        raise LoadError(f"--reject {target}: is a directory, not a file")
    existed = target.exists()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("a", encoding="utf-8"):
            pass
    except OSError as exc:
        raise LoadError(f"--reject {target}: cannot write: {exc.strerror or exc}") from exc
    if not existed:
        target.unlink(missing_ok=True)


def collect_rejects(
    con: duckdb.DuckDBPyConnection, staged: Staged, report: LoadReport, target: Path | None
) -> None:
    """Add unreadable lines and cells to the rejects, report them and write the reject file."""
    if staged.bad_lines:
        con.executemany(
            "INSERT INTO _ecohub_rejects VALUES (?, '', ?, ?)",
            [[b.row, b.text, b.reason] for b in staged.bad_lines],
        )
    if staged.bad_cells:
        con.executemany(
            "INSERT INTO _ecohub_rejects VALUES (?, ?, ?, ?)",
            [[b.row, b.column, b.text, b.reason] for b in staged.bad_cells],
        )
    report.rows_read += len(staged.bad_lines)
    count = con.execute("SELECT count(*) FROM _ecohub_rejects").fetchone()
    report.rejected = int(count[0]) if count else 0
    rows = con.execute(
        f"SELECT {_REJECT_COLS} FROM _ecohub_rejects ORDER BY row_no, col_name "
        f"LIMIT {REJECT_PREVIEW}"
    ).fetchall()
    report.first_rejects = [Reject(int(r[0]), r[1], r[2], r[3]) for r in rows]
    if report.rejected and target is not None:
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            reader = con.execute(
                f"SELECT {_REJECT_COLS} FROM _ecohub_rejects ORDER BY row_no, col_name"
            ).fetch_record_batch()
            write_csv(reader, target)
        except (duckdb.IOException, OSError) as exc:
            raise LoadError(
                f"--reject {target}: cannot write the reject file, nothing was stored "
                f"(choose another path with --reject): {exc}"
            ) from exc
        report.reject_path = target
