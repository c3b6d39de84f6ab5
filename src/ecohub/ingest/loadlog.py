"""The ``load_log`` table: has this file (by sha256) been loaded already, and record a load.

A file whose sha256 and kind are in ``load_log`` is not read again unless ``force``. Only a
load that kept some rows (new, updated or unchanged) is recorded: a file whose every row was
rejected (its stations not loaded yet, say) must load again once the cause is fixed, without
``--force``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from ecohub.ingest.readers import sha256_file
from ecohub.ingest.report import LoadError, LoadReport

__all__ = ["kept", "note_load", "record_load", "start_load", "store_and_record"]


def start_load(
    con: duckdb.DuckDBPyConnection,
    path: Path | str,
    kind: str,
    force: bool,
    label: str | None = None,
) -> tuple[Path, LoadReport]:
    """Check the file, hash it and start its report; ``already_loaded`` when ``load_log`` has it.
    ``label``: how the lineage and ``load_log`` name the file instead of ``path``."""
    file = Path(path)
    if not file.exists():
        raise LoadError(f"{file}: no such file")
    if not file.is_file():
        raise LoadError(f"{file}: not a file")
    try:
        digest = sha256_file(file)
    except OSError as exc:
        raise LoadError(f"{file}: cannot read: {exc.strerror or exc}") from exc
    report = LoadReport(kind=kind, path=str(file), sha256=digest, label=label)
    if not force:
        row = con.execute(
            "SELECT loaded_at, rows_ok, rows_rejected FROM load_log "
            "WHERE file_sha256 = ? AND kind = ?",
            [digest, kind],
        ).fetchone()
        if row is not None:
            report.already_loaded = True
            report.loaded_at = row[0]
            report.unchanged = row[1] or 0
    return file, report


def kept(report: LoadReport) -> bool:
    """Whether the load kept any row of the file (stored it, or found it stored already)."""
    return report.new + report.updated + report.unchanged > 0


def record_load(con: duckdb.DuckDBPyConnection, report: LoadReport, file: Path) -> None:
    """Record the finished load in ``load_log`` (replacing an earlier entry of the same file)."""
    con.execute(
        "INSERT OR REPLACE INTO load_log VALUES (?, ?, ?, ?, ?, ?)",
        [
            report.sha256,
            report.kind,
            report.label or str(file),
            datetime.now(UTC),
            report.new + report.updated + report.unchanged,
            report.rejected,
        ],
    )


def note_load(con: duckdb.DuckDBPyConnection, report: LoadReport, table: str) -> None:
    """Register the load's lineage: this file (by SHA-256) made (a version of) ``table``.
    Called inside the load's transaction, so the run is recorded with the rows."""
    from ecohub.catalog.produce import note

    detail = {
        "path": report.label or report.path,
        "rows_ok": report.new + report.updated + report.unchanged,
        "rows_rejected": report.rejected,
    }
    params = {"load_kind": report.kind, "new": report.new, "updated": report.updated}
    note(con, table, "load", [("file", report.sha256, detail)], params)


def store_and_record(
    con: duckdb.DuckDBPyConnection,
    report: LoadReport,
    file: Path,
    write: Callable[[], None],
) -> None:
    """Run ``write`` (the upsert) and :func:`record_load` in one transaction: the stored rows
    and their ``load_log`` row land together or not at all. A load that kept no row is not
    recorded (an earlier record of the same file, from a load that kept rows, stays)."""
    con.execute("BEGIN")
    try:
        write()
        if kept(report):
            record_load(con, report, file)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
