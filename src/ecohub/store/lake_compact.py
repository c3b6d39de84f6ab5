"""Compaction: settled hot rows move into the lake, each key once.

Rule (docs/design.md "The data lake"): the lake keeps **the hot table's own rule** for a key
stored twice. Emissions: the copy stored first wins (the writer ignores a resent packet's key),
so a settled hot row whose key the lake already holds (a device resent last month's data, or
sent it to another ingest node that compacted first) is dropped. Observations: the last load
wins (a reloaded file updates the value), so a settled hot row identical to the lake's is
dropped, and one that differs replaces the lake's: its partition is rewritten
(:mod:`ecohub.store.lake_swap`). The other rows are written as new files.

Order of a compaction, so that a process killed at any point loses nothing and doubles nothing
once :func:`recover` has run (at the next compaction or ``ecohub up``):

1. under the table's lake lock, snapshot the settled hot rows (whole CST days before
   ``lake_settle_hours`` ago) and find the lake rows sharing their keys;
2. write the new rows, and the rewritten partitions, under ``_staging/<batch>/`` (invisible to
   readers);
3. commit a ``lake_batch`` row ``moving``;
4. rename each staged file into its partition folder (one atomic rename per file) and swap each
   rewritten partition in (one atomic exchange per partition);
5. in one transaction delete the snapshot's rows from the hot table and mark the batch ``done``.

Killed before 3: the staging folder is deleted, the rows are still hot. Between 3 and 5: the
hot rows found in the batch's files now in the lake are deleted, what is still staged is
deleted (those rows are still hot and go with the next compaction).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
import shutil
from collections.abc import Callable, Generator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from ecohub.cst import CST
from ecohub.settings import Settings
from ecohub.store import lake_merge, lake_swap
from ecohub.store.lake import (
    LakeError,
    Spec,
    is_remote,
    month_sql,
    root,
    spec,
    value_columns_sql,
)

#: Tables compaction moves (docs/design.md "The data lake").
COMPACTED = ("emission", "observation")

Progress = Callable[[int | None, int | None, str], None]


def _quiet(done: int | None, total: int | None, message: str) -> None:
    return None


def _local_root(settings: Settings, table: str) -> Path:
    base = root(settings, table)
    if is_remote(base):
        raise LakeError(
            f"lake ({settings.lake_root}): compaction writes files and renames them, which needs "
            "a folder (a local disk, NFS, or an HDFS/object store mounted as a folder), not a URL"
        )
    return Path(base)


@contextlib.contextmanager
def locked(folder: Path) -> Generator[None, None, None]:
    """Hold the table's lake lock (``<table>/_lock``): one compaction at a time per table,
    across processes and, on a shared folder, across nodes."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "_lock", "a+b") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _row_match(s: Spec, left: str, right: str) -> str:
    """The same key and, for a last-wins table, the same compared values: a hot row a newer
    load changed after the snapshot is not the row the lake now holds, and stays hot."""
    return " AND ".join(
        [f"{left}.{k} = {right}.{k}" for k in s.keys]
        + [f"{left}.{c} IS NOT DISTINCT FROM {right}.{c}" for c in s.compare]
    )


def _data_files(folder: Path) -> list[str]:
    if not folder.is_dir():
        return []
    return sorted(
        str(p) for p in folder.iterdir() if p.suffix == ".parquet" and not p.name.startswith("_")
    )


def recover(con: duckdb.DuckDBPyConnection, settings: Settings, table: str = "emission") -> int:
    """Finish what a killed compaction of this node left; returns the batches finished."""
    s = spec(table)
    base = _local_root(settings, table)
    node = settings.node
    cur = con.cursor()
    try:
        pending = [
            r[0]
            for r in cur.execute(
                "SELECT batch FROM lake_batch WHERE tbl = ? AND node = ? AND state = 'moving'",
                [table, node],
            ).fetchall()
        ]
        for batch in pending:
            # Files still staged never became visible: their rows are still hot. A partition
            # swap cut between its two renames is completed first.
            lake_swap.finish(base, batch)
            files = sorted(str(p) for p in base.glob(f"month=*/bucket=*/{batch}-*.parquet"))
            cur.execute("BEGIN")
            try:
                if files:
                    cur.execute(
                        f"DELETE FROM {table} h USING read_parquet(?, union_by_name = true, "
                        f"hive_partitioning = false) f WHERE {_row_match(s, 'h', 'f')}",
                        [files],
                    )
                cur.execute(
                    "UPDATE lake_batch SET state = 'done', files = ?, finished_at = now() "
                    "WHERE batch = ?",
                    [len(files), batch],
                )
                cur.execute("COMMIT")
            except Exception:
                cur.execute("ROLLBACK")
                raise
        staging = base / "_staging"
        if staging.is_dir():  # staged before the batch was recorded: nothing left the hot store
            for leftover in staging.glob(f"{node}-*"):
                shutil.rmtree(leftover, ignore_errors=True)
        return len(pending)
    finally:
        cur.close()


def compact(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    *,
    now: datetime | None = None,
    tables: tuple[str, ...] = COMPACTED,
    progress: Progress = _quiet,
) -> dict[str, dict[str, Any]]:
    """Move hot rows older than ``lake_settle_hours`` into the lake; per table, what moved.

    Each table's result: ``batch``, ``cutoff``, ``settled`` (hot rows that were old enough),
    ``moved`` (written to the lake), ``known`` (dropped: the lake held their key, or for
    observations the same row), ``files``, ``rewritten`` (partitions rebuilt because a newer
    observation load replaced rows they held), ``recovered`` (batches of a killed compaction
    finished first), ``merged`` (partitions whose files were merged into one:
    :func:`ecohub.store.lake_merge.merge`).
    """
    for table in tables:
        if table not in COMPACTED:
            raise LakeError(f"table: {table!r} is not compacted (only {', '.join(COMPACTED)})")
    cutoff = settled_before(now or datetime.now(UTC), settings.lake_settle_hours)
    out: dict[str, dict[str, Any]] = {}
    for i, table in enumerate(tables):
        base = _local_root(settings, table)
        progress(i, len(tables), f"compacting {table}")
        with locked(base):
            recovered = recover(con, settings, table)
            result = _compact_table(con, settings, spec(table), base, cutoff)
            merged = lake_merge.merge(con, settings, spec(table), base, settings.lake_merge_files)
        out[table] = {**result, "recovered": recovered, "merged": merged}
    progress(len(tables), len(tables), "compacted")
    return out


def _compact_table(
    con: duckdb.DuckDBPyConnection, settings: Settings, s: Spec, base: Path, cutoff: datetime
) -> dict[str, Any]:
    table, t = s.table, s.time
    batch = f"{settings.node}-{datetime.now(UTC):%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"
    cur = con.cursor()
    try:
        cur.execute("SET TimeZone = 'Asia/Shanghai'")
        # MD5 once per device, not per row.
        b = s.bucket_by
        cur.execute(
            f"CREATE OR REPLACE TEMP TABLE _lake_hot AS "
            f"SELECT h.*, {month_sql(s)} AS month, d.bucket FROM {table} h JOIN ("
            f"SELECT {b}, substr(md5({b}), 1, 1) AS bucket FROM "
            f"(SELECT DISTINCT {b} FROM {table} WHERE {t} < ?)) d USING ({b}) WHERE {t} < ?",
            [cutoff, cutoff],
        )
        settled = _count(cur, "SELECT count(*) FROM _lake_hot")
        result: dict[str, Any] = {"batch": None, "cutoff": cutoff.isoformat(), "settled": settled,
                                  "moved": 0, "known": 0, "files": 0,
                                  "rewritten": 0}  # fmt: skip
        if settled == 0:
            return result
        keys = ", ".join(s.keys)
        cols = ", ".join((*s.keys, *s.compare))
        # The lake's rows sharing a key with the snapshot, read only from the partitions and
        # times concerned (Parquet row-group statistics skip the rest).
        reads, params = [], []
        partition_files: dict[tuple[str, str], list[str]] = {}
        for month, bucket, lo, hi in cur.execute(
            f"SELECT month, bucket, min({t}), max({t}) FROM _lake_hot GROUP BY ALL"
        ).fetchall():
            files = _data_files(base / f"month={month}" / f"bucket={bucket}")
            if files:
                partition_files[(month, bucket)] = files
                reads.append(
                    f"SELECT {cols} FROM read_parquet(?, union_by_name = true, "
                    f"hive_partitioning = false) WHERE {t} BETWEEN ? AND ?"
                )
                params += [files, lo, hi]
        seen_sql = " UNION ALL ".join(reads) or f"SELECT {cols} FROM _lake_hot WHERE false"
        cur.execute(f"CREATE OR REPLACE TEMP TABLE _lake_seen AS {seen_sql}", params)
        same = " AND ".join(
            [f"h.{k} = k.{k}" for k in s.keys]
            + [f"h.{c} IS NOT DISTINCT FROM k.{c}" for c in s.compare]
        )
        # Known: the lake holds the key (first wins) or the very same row (last wins): dropped.
        cur.execute(
            f"CREATE OR REPLACE TEMP TABLE _lake_known AS SELECT {keys} FROM _lake_hot h "
            f"SEMI JOIN _lake_seen k ON {same}"
        )
        known = _count(cur, "SELECT count(*) FROM _lake_known")
        # Changed (last wins only): a newer load of a key the lake holds; its partition is
        # rewritten with the hot row in place of the lake's.
        only_last = "" if s.winner == "last" else " WHERE false"
        cur.execute(
            f"CREATE OR REPLACE TEMP TABLE _lake_changed AS SELECT {keys}, month, bucket "
            f"FROM _lake_hot SEMI JOIN _lake_seen USING ({keys}) "
            f"ANTI JOIN _lake_known USING ({keys}){only_last}"
        )
        rewrite = cur.execute(
            "SELECT DISTINCT month, bucket FROM _lake_changed ORDER BY ALL"
        ).fetchall()
        moved = settled - known
        staged = base / "_staging" / batch
        files_written: list[Path] = []
        # Rows of a rewritten partition go into its rewrite, not into a new file.
        outside = (
            " ANTI JOIN (SELECT DISTINCT month, bucket FROM _lake_changed) USING (month, bucket)"
            if rewrite
            else ""
        )
        new_rows = _count(cur, f"SELECT count(*) FROM _lake_hot ANTI JOIN _lake_known USING "
                               f"({keys}){outside}")  # fmt: skip
        if new_rows:
            staged.mkdir(parents=True, exist_ok=True)
            cur.execute(
                f"COPY (SELECT {value_columns_sql(s)} FROM _lake_hot ANTI JOIN _lake_known "
                f"USING ({keys}){outside} ORDER BY month, bucket, {s.bucket_by}, {t}) "
                f"TO '{lake_swap.sql_path(staged)}' (FORMAT parquet, PARTITION_BY (month, bucket), "
                f"FILENAME_PATTERN '{batch}-{{i}}')"
            )
            files_written = sorted(staged.glob("month=*/bucket=*/*.parquet"))
        for month, bucket in rewrite:
            files_written.append(
                _stage_rewrite(cur, s, base, batch, month, bucket, partition_files[(month, bucket)])
            )
        for f in files_written:
            lake_swap.fsync_file(f)
        cur.execute(
            "INSERT INTO lake_batch (batch, tbl, node, cutoff, rows_moved, rows_known, files, "
            "state, started_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'moving', now())",
            [batch, table, settings.node, cutoff, moved, known, len(files_written)],
        )
        for f in sorted(staged.glob("month=*/bucket=*/*.parquet")):
            rel = f.relative_to(staged)
            (base / rel.parent).mkdir(parents=True, exist_ok=True)
            os.replace(f, base / rel)
        lake_swap.put_in_place(base, batch)
        cur.execute("BEGIN")
        try:
            cur.execute(f"DELETE FROM {table} h USING _lake_hot s WHERE {_row_match(s, 'h', 's')}")
            cur.execute(
                "UPDATE lake_batch SET state = 'done', finished_at = now() WHERE batch = ?",
                [batch],
            )
            cur.execute("COMMIT")
        except Exception:
            cur.execute("ROLLBACK")
            raise
        shutil.rmtree(staged, ignore_errors=True)
        for temp in ("_lake_hot", "_lake_seen", "_lake_known", "_lake_changed"):
            cur.execute(f"DROP TABLE IF EXISTS {temp}")
        return {**result, "batch": batch, "moved": moved, "known": known,
                "files": len(files_written), "rewritten": len(rewrite)}  # fmt: skip
    finally:
        cur.close()


def _stage_rewrite(
    cur: duckdb.DuckDBPyConnection, s: Spec, base: Path, batch: str, month: str, bucket: str,
    files: list[str],
) -> Path:  # fmt: skip
    """Stage partition ``month``/``bucket`` rebuilt: its lake rows, less those a settled hot
    row replaces, plus the settled hot rows not already there; one file, sorted."""
    keys = ", ".join(s.keys)
    folder = lake_swap.staged(base, batch) / f"month={month}" / f"bucket={bucket}"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{batch}-r.parquet"
    cur.execute(
        f"COPY (SELECT * FROM read_parquet(?, union_by_name = true, hive_partitioning = false) "
        f"ANTI JOIN (SELECT {keys} FROM _lake_changed WHERE month = ? AND bucket = ?) "
        f"USING ({keys}) UNION ALL BY NAME "
        f"SELECT {value_columns_sql(s)} FROM (SELECT * EXCLUDE (month, bucket) FROM (SELECT * "
        f"FROM _lake_hot ANTI JOIN _lake_known USING ({keys}) WHERE month = ? AND bucket = ?)) "
        f"ORDER BY {s.bucket_by}, {s.time}) TO '{lake_swap.sql_path(target)}' (FORMAT parquet)",
        [files, month, bucket, month, bucket],
    )
    return target


def settled_before(now: datetime, settle_hours: float) -> datetime:
    """The compaction cutoff: the start (CST midnight) of the day ``settle_hours`` before
    ``now``. Whole days move, so each compaction adds one file per partition for a day's data
    rather than many small ones."""
    day = (now - timedelta(hours=settle_hours)).astimezone(CST)
    return day.replace(hour=0, minute=0, second=0, microsecond=0)


def _count(cur: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = cur.execute(sql).fetchone()
    return int(row[0]) if row else 0
