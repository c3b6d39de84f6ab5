"""``ecohub load cases FILE`` and ``ecohub load eia FILE``: enforcement cases and EIA approvals.

Promises:

- CSV (UTF-8 or GBK), XLSX or Parquet, headers in Chinese or English (:mod:`.fields`,
  rows parsed by :mod:`.rows`).
- A row that cannot be used goes to the reject file (``row, column, value, reason``; ``row`` is
  the line number with the header as line 1) and the other rows load. A file without a required
  column, or unreadable, loads nothing and says why (:class:`LoadError`).
- Idempotent: the same file again is recognised (``load_log``) and skipped unless ``force``; a
  row already stored unchanged is not rewritten; a changed row (same case number / approval
  number) is updated. A file whose every row was rejected is not entered in ``load_log``.
- Linked through the registry: each row is also a registry record (:mod:`.links`); after the
  rows are stored the registry's link run gives them source codes, puts doubtful pairs in the
  review queue, and the report counts the file's rows per link state.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from ecohub.enterprise.rows import KINDS, Kind, parse
from ecohub.ingest.rejects import default_reject_path
from ecohub.ingest.report import LoadError, shorten
from ecohub.queries.export import write_csv

__all__ = ["LoadError", "load_cases", "load_eia"]


def _row_hash(ok: pd.DataFrame) -> pd.Series:
    cols = sorted(ok.columns)
    joined = (
        ok[cols].astype(object).where(ok[cols].notna(), "\x00").astype(str).agg("\x1f".join, axis=1)
    )
    return joined.map(lambda s: hashlib.sha1(s.encode("utf-8")).hexdigest())


def _write_rejects(rejects: list[dict[str, Any]], target: Path) -> None:
    frame = pd.DataFrame(rejects, columns=["row", "column", "value", "reason"])
    frame["value"] = frame["value"].map(lambda v: shorten(v, 200) if isinstance(v, str) else v)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        write_csv(frame.sort_values(["row", "column"]), target)
    except OSError as exc:
        raise LoadError(
            f"--reject {target}: cannot write the reject file, nothing was stored: "
            f"{exc.strerror or exc}"
        ) from exc


def _upsert(con: duckdb.DuckDBPyConnection, kind: Kind, ok: pd.DataFrame) -> dict[str, int]:
    cols = list(ok.columns)
    con.register("_incoming", ok)
    try:
        row = con.execute(
            f"SELECT count(*) FILTER (WHERE t.{kind.key} IS NULL), "
            f"count(*) FILTER (WHERE t.row_hash <> i.row_hash), "
            f"count(*) FILTER (WHERE t.row_hash = i.row_hash) "
            f"FROM _incoming i LEFT JOIN {kind.table} t USING ({kind.key})"
        ).fetchone()
        names = ", ".join(cols)
        updates = ", ".join(f"{c} = excluded.{c}" for c in cols if c != kind.key)
        con.execute(
            f"INSERT INTO {kind.table} ({names}, loaded_at) SELECT {names}, now() FROM _incoming i "
            f"WHERE NOT EXISTS (SELECT 1 FROM {kind.table} t WHERE t.{kind.key} = i.{kind.key} "
            f"AND t.row_hash = i.row_hash) "
            f"ON CONFLICT ({kind.key}) DO UPDATE SET {updates}, loaded_at = excluded.loaded_at"
        )
    finally:
        con.unregister("_incoming")
    new, changed, same = (int(v) for v in row) if row else (0, 0, 0)
    return {"new": new, "updated": changed, "unchanged": same}


def _registry_frame(kind: Kind, ok: pd.DataFrame) -> pd.DataFrame:
    """The rows as registry records (the registry's own English headers)."""
    return pd.DataFrame(
        {
            "record_id": ok[kind.key],
            "name": ok["unit_name"],
            "uscc": ok["uscc"],
            "address": ok["address"],
            "industry": ok.get("industry"),
        }
    ).astype(object)


def _load(
    con: duckdb.DuckDBPyConnection,
    kind: Kind,
    path: Path,
    *,
    reject_path: Path | None,
    force: bool,
    actor: str,
    link: bool,
) -> dict[str, Any]:
    from ecohub.registry import records

    if not path.is_file():
        raise LoadError(f"{path}: no such file")
    data = path.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    log_kind = f"enterprise:{kind.name}"
    seen = con.execute(
        "SELECT rows_ok, loaded_at FROM load_log WHERE file_sha256 = ? AND kind = ?",
        [sha, log_kind],
    ).fetchone()
    report: dict[str, Any] = {"kind": kind.name, "path": str(path), "already_loaded": False}
    if seen is not None and not force:
        return {**report, "already_loaded": True, "unchanged": int(seen[0] or 0),
                "loaded_at": seen[1].isoformat()}  # fmt: skip
    try:
        frame = records.read_table(path)
    except ValueError as exc:
        raise LoadError(str(exc)) from None
    try:
        ok, rejects = parse(frame, kind)
    except LoadError as exc:
        raise LoadError(f"{path.name}: {exc}") from None
    target = reject_path or default_reject_path(path)
    if rejects:
        _write_rejects(rejects, target)  # before anything is stored
    counts = {"new": 0, "updated": 0, "unchanged": 0}
    con.execute("BEGIN")
    try:
        if len(ok):
            ok["row_hash"] = _row_hash(ok)
            ok["file_sha256"] = sha
            counts = _upsert(con, kind, ok)
            records.load_frame(con, kind.system, _registry_frame(kind, ok), file_sha256=sha)
        # A file whose every row was rejected is not marked loaded: it loads again once the
        # cause is fixed (docs/operations.md, "Idempotent").
        if len(ok):
            con.execute(
                "INSERT OR REPLACE INTO load_log VALUES (?, ?, ?, ?, ?, ?)",
                [sha, log_kind, str(path), datetime.now().astimezone(), len(ok), len(rejects)],
            )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    run = None
    if link and (counts["new"] or counts["updated"]):
        from ecohub.registry.service import link as link_run

        run = link_run(con, actor=actor)["run_id"]
    states: dict[str, int] = {}
    if len(ok):
        con.register("_ids", pd.DataFrame({"id": ok[kind.key]}))
        try:
            states = dict(
                con.execute(
                    f"SELECT link_status, count(*) FROM ({kind.linked_sql}) x "
                    f"WHERE x.{kind.key} IN (SELECT id FROM _ids) GROUP BY 1 ORDER BY 1"
                ).fetchall()
            )
        finally:
            con.unregister("_ids")
    return {
        **report,
        "rows_read": len(frame),
        **counts,
        "rejected": len(rejects),
        "first_rejects": rejects[:20],
        "reject_path": str(target) if rejects else None,
        "link_run": run,
        "linked": states.get("linked", 0),
        "review": states.get("review", 0),
        "unmatched": states.get("unmatched", 0),
        "pending": states.get("pending", 0),
    }


def load_cases(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    *,
    reject_path: Path | None = None,
    force: bool = False,
    actor: str = "system",
    link: bool = True,
) -> dict[str, Any]:
    """Load inspection and penalty records (date, unit, credit code, address, violation type,
    legal basis, penalty amount, status; an optional case number) and link them; a plain
    report. ``link=False`` leaves the link run to the caller (several files, one run)."""
    return _load(con, KINDS["cases"], path, reject_path=reject_path, force=force, actor=actor,
                 link=link)  # fmt: skip


def load_eia(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    *,
    reject_path: Path | None = None,
    force: bool = False,
    actor: str = "system",
    link: bool = True,
) -> dict[str, Any]:
    """Load EIA approvals (project, unit, credit code, address, approval number and date,
    capacity; an optional industry code) and link them; a plain report."""
    return _load(con, KINDS["eia"], path, reject_path=reject_path, force=force, actor=actor,
                 link=link)  # fmt: skip
