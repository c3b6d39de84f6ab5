"""The rejects of a load: count them, keep the first few in the report, write the reject file.

The reject file is CSV with the columns ``row, column, value, reason``, sorted by row and column;
by default it sits beside the loaded file as ``<name>.rejects.csv``.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from ecohub.ingest import _sql as sql
from ecohub.ingest.readers import Staged
from ecohub.ingest.report import LoadError, LoadReport, Reject

__all__ = ["REJECT_PREVIEW", "collect_rejects"]

REJECT_PREVIEW = 20  # rejects kept in the report for display; the file has them all
# The reject file's columns; staged as row_no/col_name because ROW and COLUMN are SQL keywords.
_REJECT_COLS = 'row_no AS "row", col_name AS "column", value, reason'


def collect_rejects(
    con: duckdb.DuckDBPyConnection,
    staged: Staged,
    report: LoadReport,
    file: Path,
    reject_path: Path | str | None,
    write_rejects: bool,
) -> None:
    """Add unreadable lines to the rejects, report them and write the reject file."""
    if staged.bad_lines:
        con.executemany(
            "INSERT INTO _ecohub_rejects VALUES (?, '', ?, ?)",
            [[b.row, b.text, b.reason] for b in staged.bad_lines],
        )
    report.rows_read += len(staged.bad_lines)
    count = con.execute("SELECT count(*) FROM _ecohub_rejects").fetchone()
    report.rejected = int(count[0]) if count else 0
    rows = con.execute(
        f"SELECT {_REJECT_COLS} FROM _ecohub_rejects ORDER BY row_no, col_name "
        f"LIMIT {REJECT_PREVIEW}"
    ).fetchall()
    report.first_rejects = [Reject(int(r[0]), r[1], r[2], r[3]) for r in rows]
    if report.rejected and write_rejects:
        target = Path(reject_path) if reject_path else file.with_name(file.name + ".rejects.csv")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            con.execute(
                f"COPY (SELECT {_REJECT_COLS} FROM _ecohub_rejects "
                f"ORDER BY row_no, col_name) TO {sql.lit(str(target))} (HEADER, DELIMITER ',')"
            )
        except (duckdb.IOException, OSError) as exc:
            raise LoadError(f"--reject {target}: cannot write: {exc}") from exc
        report.reject_path = target
