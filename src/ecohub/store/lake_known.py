"""The ingest writer's guard against a second copy: rows whose key the lake already holds are
dropped from a hot-bound batch (:class:`KnownFilter`), and those resent with other values than
the lake's are reported (``conflicts``)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from ecohub.cst import CST
from ecohub.settings import Settings
from ecohub.store.emission_diff import differ_sql, values_text
from ecohub.store.lake import bucket_of, is_remote, root, spec

__all__ = ["KnownFilter"]


class KnownFilter:
    """Drops from a batch of hot-bound rows those whose key the lake already holds.

    The ingest writer calls it on every batch: a device resending data old enough to have been
    compacted must not put a second copy in the hot store (the lake's copy was stored first and
    wins, as a resent key does in the hot table). Rows newer than ``lake_settle_hours`` cannot be
    in the lake and are not looked up, so live traffic never reads the lake.
    """

    def __init__(self, settings: Settings, table: str = "emission") -> None:
        self._settings = settings
        self._spec = spec(table)
        self._base = None if is_remote(root(settings, table)) else Path(root(settings, table))
        self.lookups = 0  # batches that had to read the lake (for tests and metrics)
        #: Of the last batch, the dropped rows whose values differ from the lake's copy: key,
        #: the lake's values and the batch's as text (ecohub.ingest.conflicts makes evidence).
        self.conflicts: list[tuple[Any, ...]] = []

    def __call__(self, cur: duckdb.DuckDBPyConnection, rows: pa.Table) -> pa.Table:
        self.conflicts = []
        if self._base is None or rows.num_rows == 0:
            return rows
        s = self._spec
        horizon = datetime.now(CST) - timedelta(hours=self._settings.lake_settle_hours)
        times = rows.column(s.time)
        oldest = pc.min(times).as_py()
        if oldest is None or oldest >= horizon:
            return rows
        old = rows.filter(pc.less(times, pa.scalar(horizon, type=times.type)))
        # Month of each row in CST, computed by Arrow: per-row Python cost ~0.1 ms a row.
        local = old.column(s.time).cast(pa.timestamp("us", tz="Asia/Shanghai"))
        pairs = (
            pa.table({"k": old.column(s.bucket_by), "m": pc.strftime(local, format="%Y-%m")})
            .group_by(["k", "m"])
            .aggregate([])
            .to_pylist()
        )
        files = self._files(pairs)
        if not files:
            return rows
        self.lookups += 1
        keys = ", ".join(s.keys)
        lo, hi = pc.min(old.column(s.time)).as_py(), pc.max(old.column(s.time)).as_py()
        # The devices as constants too: files are sorted by device, so the row groups of other
        # devices are skipped by their statistics (every device shares the time span).
        devices = pc.unique(old.column(s.bucket_by)).to_pylist()
        only = f"AND {s.bucket_by} IN ({', '.join('?' * len(devices))})" if devices else ""
        cur.register("_ecohub_lake_check", rows)
        try:
            for attempt in (1, 2):
                try:
                    args = [sorted(set(files)), lo, hi, *devices]
                    kept = cur.execute(
                        f"SELECT * FROM _ecohub_lake_check ANTI JOIN (SELECT DISTINCT {keys} "
                        f"FROM read_parquet(?, union_by_name = true) WHERE {s.time} BETWEEN ? "
                        f"AND ? {only}) USING ({keys})",
                        args,
                    ).fetch_arrow_table()
                    if kept.num_rows < rows.num_rows and s.table == "emission":
                        # Some keys are in the lake: those resent with other values.
                        on = " AND ".join(f"l.{k} = b.{k}" for k in s.keys)
                        self.conflicts = cur.execute(
                            f"SELECT b.mn, b.cn, b.data_time, b.pollutant, {values_text('l')}, "
                            f"{values_text('b')} FROM _ecohub_lake_check b JOIN (SELECT * FROM "
                            f"read_parquet(?, union_by_name = true) WHERE {s.time} BETWEEN ? "
                            f"AND ? {only}) l ON {on} WHERE {differ_sql('l', 'b')} "
                            "ORDER BY ALL",
                            args,
                        ).fetchall()
                    break
                except duckdb.IOException:
                    # A merge swapped a partition between the listing and the read (its old
                    # files are gone): list again, once.
                    if attempt == 2:
                        raise
                    files = self._files(pairs)
        finally:
            cur.unregister("_ecohub_lake_check")
        return kept.select(rows.schema.names).cast(rows.schema)

    def _files(self, pairs: list[dict[str, str]]) -> list[str]:
        assert self._base is not None
        files: list[str] = []
        for pair in pairs:
            folder = self._base / f"month={pair['m']}" / f"bucket={bucket_of(pair['k'])}"
            if folder.is_dir():
                files += [str(p) for p in folder.glob("*.parquet") if not p.name.startswith("_")]
        return files
