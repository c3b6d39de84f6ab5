"""The data lake: settled rows as hive-partitioned Parquet that DuckDB and Spark read natively.

Layout (docs/design.md "The data lake")::

    <lake>/<table>/month=YYYY-MM/bucket=H/<node>-<batch>-<i>.parquet

``month`` is the calendar month of the row's time in China Standard Time; ``bucket`` is the
first hex digit of the MD5 of the device (``mn``) or station id, so one device's rows sit in
one of 16 folders a month. Compaction adds files; a partition is rewritten only as a whole
(merging its files, or a reloaded observation replacing a value: :mod:`ecohub.store.lake_swap`).
Each file names the node and the compaction batch that wrote it, so several ingest nodes can
share one lake. Names starting with ``_`` (the lock, staging, the schema file) are skipped by
Spark's reader.

This module knows where the lake is and how to read it; :mod:`ecohub.store.lake_compact`
moves rows into it.
"""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from ecohub.cst import CST
from ecohub.settings import Settings

log = logging.getLogger(__name__)


class LakeError(Exception):
    """The lake cannot be used as asked (a remote URL where a folder is needed, ...)."""


@dataclass(frozen=True)
class Spec:
    """How one hot table maps to the lake: its key, time column and bucketing column.

    ``winner`` is the hot table's own rule for a key stored twice, which the lake keeps:
    ``first`` (emissions: a resent packet is ignored) or ``last`` (observations: a reloaded
    file updates the value). ``compare``: for ``last``, the columns whose change makes a
    reloaded row an update (the loader's rule, ecohub.ingest.upsert); an identical reload is
    dropped at compaction like a resent emission.
    """

    table: str
    keys: tuple[str, ...]
    time: str
    bucket_by: str
    json_columns: tuple[str, ...] = ()
    winner: str = "first"
    compare: tuple[str, ...] = ()


SPECS: dict[str, Spec] = {
    "emission": Spec("emission", ("mn", "cn", "data_time", "pollutant"), "data_time", "mn",
                     ("fields",)),
    "observation": Spec("observation", ("station_id", "parameter", "period", "time"), "time",
                        "station_id", winner="last",
                        compare=("value", "unit", "flag", "below_detection")),
}  # fmt: skip

# Partition folder values are text to both readers (DuckDB would guess numbers for some buckets).
HIVE = (
    "hive_partitioning = true, union_by_name = true, "
    "hive_types = {'month': VARCHAR, 'bucket': VARCHAR}"
)
# The empty file that gives the DuckDB view its columns before any row has settled (read_parquet
# refuses a glob that matches nothing). Spark skips it: its name starts with '_'.
SCHEMA_DIR = "month=0000-00/bucket=0"
SCHEMA_FILE = "_schema.parquet"


def spec(table: str) -> Spec:
    try:
        return SPECS[table]
    except KeyError:
        raise LakeError(f"table: {table!r} is not kept in the lake ({', '.join(SPECS)})") from None


def is_remote(location: str) -> bool:
    """True for a URL (``s3://``, ``hdfs://`` ...) rather than a folder path."""
    return "://" in location and not location.startswith("file://")


def root(settings: Settings, table: str) -> str:
    """The folder (or URL) of one table in the lake: what Spark's ``read.parquet`` takes."""
    spec(table)
    base = settings.lake_root.rstrip("/")
    if base.startswith("file://"):
        base = base[len("file://") :]
    return f"{base}/{table}"


def glob(settings: Settings, table: str) -> str:
    """The glob of every data file of ``table`` (DuckDB's ``read_parquet`` takes it)."""
    return f"{root(settings, table)}/month=*/bucket=*/*.parquet"


def paths(settings: Settings, table: str) -> list[str]:
    """Every data file of ``table`` now in a local lake, sorted (empty before the first
    compaction). For Spark: ``spark.read.option("basePath", root(...)).parquet(*paths(...))``,
    or simply ``spark.read.parquet(root(...))``, which finds the same files and partitions."""
    base = Path(root(settings, table))
    if is_remote(str(base)) or not base.is_dir():
        return []
    return sorted(
        str(p) for p in base.glob("month=*/bucket=*/*.parquet") if not p.name.startswith("_")
    )


def months(con: duckdb.DuckDBPyConnection, settings: Settings, table: str) -> list[str] | None:
    """The CST months holding rows of ``table``, hot or in a local lake, newest first (from the
    lake's folder names and the hot rows; no lake file is read). None for a URL lake, whose
    folders cannot be listed here."""
    s = spec(table)
    base = root(settings, table)
    if is_remote(base):
        return None
    found = {r[0] for r in con.execute(f"SELECT DISTINCT {month_sql(s)} FROM {table}").fetchall()}
    folder = Path(base)
    if folder.is_dir():
        found |= {
            p.name.removeprefix("month=")
            for p in folder.glob("month=*")
            if p.name != SCHEMA_DIR.split("/")[0] and any(_has_data(b) for b in p.iterdir())
        }
    return sorted(found, reverse=True)


def _has_data(folder: Path) -> bool:
    return folder.is_dir() and any(
        f.suffix == ".parquet" and not f.name.startswith("_") for f in folder.iterdir()
    )


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """The instants a CST month ``YYYY-MM`` starts and ends (end excluded)."""
    y, m = (int(x) for x in month.split("-"))
    start = datetime(y, m, 1, tzinfo=CST)
    end = datetime(y + m // 12, m % 12 + 1, 1, tzinfo=CST)
    return start, end


def month_of(t: datetime) -> str:
    """The ``month`` partition of a time: its calendar month in China Standard Time."""
    return t.astimezone(CST).strftime("%Y-%m")


def bucket_of(key: str) -> str:
    """The ``bucket`` partition of a device or station id: first hex digit of its MD5."""
    return hashlib.md5(key.encode("utf-8")).hexdigest()[0]


def month_sql(s: Spec) -> str:
    """SQL for :func:`month_of`: China Standard Time is UTC+8 all year (no daylight saving since
    1991), so a fixed offset on the epoch gives the local month without a per-row time-zone
    lookup (several times faster in DuckDB)."""
    return f"strftime(make_timestamp(epoch_us({s.time}) + 28800000000), '%Y-%m')"


def partition_sql(s: Spec) -> str:
    """SQL columns ``month, bucket`` computed as :func:`month_of` and :func:`bucket_of` do."""
    return f"{month_sql(s)} AS month, substr(md5({s.bucket_by}), 1, 1) AS bucket"


def value_columns_sql(s: Spec) -> str:
    """The hot table's columns as written to Parquet: JSON as plain text (Spark reads no JSON
    logical type)."""
    replace = ", ".join(f"{c}::VARCHAR AS {c}" for c in s.json_columns)
    return f"* REPLACE ({replace})" if replace else "*"


def lake_columns_sql(s: Spec) -> str:
    """:func:`value_columns_sql` plus the partition columns."""
    return f"{value_columns_sql(s)}, {partition_sql(s)}"


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def ensure(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    """Create the lake's folders and each table's schema file (local lakes only)."""
    for table, s in SPECS.items():
        base = root(settings, table)
        if is_remote(base):
            continue
        folder = Path(base) / SCHEMA_DIR
        target = folder / SCHEMA_FILE
        if target.exists():
            continue
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f"_schema.{os.getpid()}.tmp"
        con.execute(
            f"COPY (SELECT {value_columns_sql(s)} FROM {table} LIMIT 0) "
            f"TO {_sql_text(str(tmp))} (FORMAT parquet)"
        )
        os.replace(tmp, target)


def attach(con: duckdb.DuckDBPyConnection, settings: Settings) -> bool:
    """Point the store's ``<table>_lake`` and ``<table>_all`` views at the configured lake.

    ``<table>_all`` is the hot table and the lake as one table, what readers that need history
    query. Returns False (views left as they were: hot data only, or the last lake attached)
    when the lake cannot be read from here, which is logged.
    """
    try:
        ensure(con, settings)
        for table, s in SPECS.items():
            cast = ", ".join(f"{c}::JSON AS {c}" for c in s.json_columns)
            star = f"* REPLACE ({cast})" if cast else "*"
            con.execute(
                f"CREATE OR REPLACE VIEW {table}_lake AS SELECT {star} FROM "
                f"read_parquet({_sql_text(glob(settings, table))}, {HIVE})"
            )
            con.execute(f"CREATE OR REPLACE VIEW {table}_all AS {history_sql(table)}")
    except (duckdb.Error, OSError) as exc:
        log.warning("lake %s not attached: %s", settings.lake_root, exc)
        return False
    return True


def history_sql(table: str, prefix: str = "") -> str:
    """SQL of ``table``'s whole history: the hot rows and the lake's, each key once.

    For a ``first``-wins table the two sides never share a key (the writer's lake check and
    compaction see to it) and are simply appended. For a ``last``-wins table a hot row may be a
    newer load of a key the lake holds: the lake's row is hidden by it until compaction rewrites
    the partition. The lake's ``month`` and ``bucket`` columns are kept (NULL on hot rows), so a
    reader can name the partitions it needs (:func:`ecohub.store.lake_where.partition_where`).
    ``prefix`` qualifies the table names (``"db".main.``).
    """
    s = spec(table)
    lake_rows = f"SELECT * FROM {prefix}{table}_lake"
    if s.winner == "last":
        keys = ", ".join(s.keys)
        lake_rows += f" ANTI JOIN (SELECT {keys} FROM {prefix}{table}) USING ({keys})"
    return f"SELECT {HOT_PARTITIONS} FROM {prefix}{table} UNION ALL BY NAME {lake_rows}"


#: The partition columns of a hot row in ``<table>_all``: NULL, "in no lake file" (see
#: :func:`ecohub.store.lake_where.partition_where`). A constant, so a partition predicate costs
#: a hot row nothing.
HOT_PARTITIONS = "*, NULL::VARCHAR AS month, NULL::VARCHAR AS bucket"


def footprint(settings: Settings, table: str) -> list[dict[str, object]]:
    """Per month partition of ``table`` in a local lake: ``month``, ``files``, ``rows``,
    ``bytes``, ``time_from``/``time_to`` (from the Parquet footers' statistics: nothing is
    scanned), ``url`` (the partition folder). Empty for a URL lake or before any compaction."""
    import pyarrow.parquet as pq

    s = spec(table)
    months: dict[str, dict[str, object]] = {}
    for f in paths(settings, table):
        month = Path(f).parent.parent.name.removeprefix("month=")
        try:
            meta = pq.ParquetFile(f).metadata
        except (OSError, ValueError) as exc:  # pyarrow.ArrowInvalid is a ValueError
            log.warning("lake file %s unreadable, left out of the footprint: %s", f, exc)
            continue
        m = months.setdefault(month, {"month": month, "files": 0, "rows": 0, "bytes": 0,
                                      "time_from": None, "time_to": None,
                                      "url": Path(f).parent.parent.as_uri()})  # fmt: skip
        m["files"] = int(m["files"]) + 1  # type: ignore[call-overload]
        m["rows"] = int(m["rows"]) + meta.num_rows  # type: ignore[call-overload]
        m["bytes"] = int(m["bytes"]) + Path(f).stat().st_size  # type: ignore[call-overload]
        names = meta.schema.names
        if s.time not in names:
            continue
        col = names.index(s.time)
        for g in range(meta.num_row_groups):
            st = meta.row_group(g).column(col).statistics
            if st is None or not st.has_min_max:
                continue
            lo, hi = st.min, st.max
            if m["time_from"] is None or lo < m["time_from"]:
                m["time_from"] = lo
            if m["time_to"] is None or hi > m["time_to"]:
                m["time_to"] = hi
    return [months[k] for k in sorted(months)]


def status(settings: Settings) -> dict[str, object]:
    """Where the lake is and, per table, its files, rows and months (from Parquet footers)."""
    tables: dict[str, object] = {}
    for table in SPECS:
        parts = footprint(settings, table)
        tables[table] = {
            "root": root(settings, table),
            "files": sum(int(p["files"]) for p in parts),  # type: ignore[call-overload]
            "rows": sum(int(p["rows"]) for p in parts),  # type: ignore[call-overload]
            "months": [p["month"] for p in parts],
        }
    return {"lake": settings.lake_root, "node": settings.node, "tables": tables}
