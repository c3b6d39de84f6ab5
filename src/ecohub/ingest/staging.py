"""The staged file and the loaders' temporary tables: stage, skip blank rows, drop afterwards.

The file is read into the temporary table :data:`STAGE` by :mod:`ecohub.ingest.readers`; every
later step is SQL over it in temporary tables named ``_ecohub_*``, dropped when a load ends.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from ecohub.ingest import _sql as sql
from ecohub.ingest.readers import ProgressFn, ReadError, Staged, stage
from ecohub.ingest.report import LoadError, LoadReport

__all__ = ["NO_TEXT", "STAGE", "blank_filter", "drop_temps", "stage_file"]

STAGE = "_ecohub_stage"
NO_TEXT = "CAST(NULL AS VARCHAR)"


def stage_file(
    con: duckdb.DuckDBPyConnection,
    file: Path,
    sheet: str | None,
    progress: ProgressFn | None,
    report: LoadReport,
) -> Staged:
    """Read ``file`` into :data:`STAGE`; a read error becomes a :class:`LoadError`."""
    try:
        staged = stage(con, file, STAGE, sheet=sheet, progress=progress)
    except ReadError as exc:
        raise LoadError(str(exc)) from exc
    report.format = staged.format
    return staged


def blank_filter(staged: Staged) -> str:
    """SQL predicate that keeps rows with any non-blank cell (blank lines are skipped)."""
    if staged.format == "parquet" or not staged.headers:
        return "TRUE"
    return "(" + " OR ".join(f"{sql.text(c)} IS NOT NULL" for c in staged.headers) + ")"


def drop_temps(con: duckdb.DuckDBPyConnection) -> None:
    """Drop every temporary ``_ecohub_*`` table of this connection."""
    names = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE temporary AND table_name LIKE '_ecohub_%'"
    ).fetchall()
    for (name,) in names:
        con.execute(f"DROP TABLE IF EXISTS {name}")
