"""Merging a lake partition's files into one.

Each compaction adds a file per partition it touches (a day's rows of one node), so a month
partition gathers tens of files, more with several ingest nodes. When a partition holds more
than ``ECOHUB_LAKE_MERGE_FILES`` data files, ``ecohub lake compact`` rewrites them as one file
sorted by device and time, and swaps it in (:mod:`ecohub.store.lake_swap`: readers see the old
files or the new one, never both).

The rows are copied as they are: compaction keeps each key once in the lake, so a merge neither
adds nor drops a row. The merge is a ``lake_batch`` of its own (``rows_moved`` 0), so a process
killed during it is finished by :func:`ecohub.store.lake_compact.recover` like a compaction.
Run under the table's lake lock, by :func:`ecohub.store.lake_compact.compact`.
"""

from __future__ import annotations

import secrets
import shutil
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from ecohub.settings import Settings
from ecohub.store import lake_swap
from ecohub.store.lake import Spec


def crowded(base: Path, more_than: int) -> list[tuple[str, str, list[str]]]:
    """The partitions (month, bucket, files) holding more than ``more_than`` data files."""
    out = []
    for folder in sorted(base.glob("month=*/bucket=*")):
        files = sorted(str(p) for p in folder.glob("*.parquet") if not p.name.startswith("_"))
        if len(files) > more_than:
            month = folder.parent.name.removeprefix("month=")
            out.append((month, folder.name.removeprefix("bucket="), files))
    return out


def merge(
    con: duckdb.DuckDBPyConnection, settings: Settings, s: Spec, base: Path, more_than: int
) -> dict[str, int]:
    """Merge every partition of ``s.table`` with more than ``more_than`` files; ``partitions``
    merged, ``files_before`` they held, ``rows`` in them."""
    done = {"partitions": 0, "files_before": 0, "rows": 0}
    for month, bucket, files in crowded(base, more_than):
        batch = f"{settings.node}-{datetime.now(UTC):%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"
        folder = lake_swap.staged(base, batch) / f"month={month}" / f"bucket={bucket}"
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{batch}-m.parquet"
        cur = con.cursor()
        try:
            cur.execute(
                "COPY (SELECT * FROM read_parquet(?, union_by_name = true, "
                f"hive_partitioning = false) ORDER BY {s.bucket_by}, {s.time}) "
                f"TO '{lake_swap.sql_path(target)}' (FORMAT parquet)",
                [files],
            )
            row = cur.execute(
                "SELECT count(*) FROM read_parquet(?, hive_partitioning = false)", [str(target)]
            ).fetchone()
            rows = int(row[0]) if row else 0
            lake_swap.fsync_file(target)
            cur.execute(
                "INSERT INTO lake_batch (batch, tbl, node, cutoff, rows_moved, rows_known, "
                "files, state, started_at) VALUES (?, ?, ?, now(), 0, 0, 1, 'moving', now())",
                [batch, s.table, settings.node],
            )
            lake_swap.put_in_place(base, batch)
            cur.execute(
                "UPDATE lake_batch SET state = 'done', finished_at = now() WHERE batch = ?",
                [batch],
            )
        finally:
            cur.close()
        shutil.rmtree(base / "_staging" / batch, ignore_errors=True)
        done["partitions"] += 1
        done["files_before"] += len(files)
        done["rows"] += rows
    return done
