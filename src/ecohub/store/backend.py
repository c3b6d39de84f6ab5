"""The analytics backend: the one seam between the analytics services and the engine.

:func:`open_backend` reads ``ECOHUB_ENGINE`` (``duckdb`` | ``spark``) and returns a backend
that every analytics service takes. The services write engine-neutral Ibis expressions and
never ask which engine runs them; everything that differs lives here:

- **Reading the store's tables** — :meth:`run` opens one analytic run over a store
  connection. On DuckDB the Ibis backend sits on a cursor of the store itself; on Spark the
  tables the run names are exported from the store to Parquet in a per-run work folder and
  read by Spark as temporary views (or read straight from the Parquet files named in
  ``sources``, e.g. a data lake), in a Spark session of the run's own, so two runs never see
  each other's views.
- **Writing results into the store** — :meth:`Run.insert` appends an expression's rows to a
  store table inside the caller's transaction on :attr:`Run.store`: on DuckDB one
  ``INSERT … SELECT`` compiled from the expression; on Spark the executors write Parquet to
  the work folder and the store loads it.
- **Splink** — :meth:`splink_input` registers the record-linkage input with Splink's
  DuckDBAPI or SparkAPI; :attr:`dialect` names the SQL spelling the model's custom levels use.

The Spark session is created once per process (:func:`ecohub.store.engine.spark_session`);
each run gets a light child session of it (``newSession``: same executors and cache, own
views and settings).
"""

from __future__ import annotations

import contextlib
import itertools
import shutil
import tempfile
import threading
import uuid
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, Protocol

import duckdb

from ecohub.settings import Settings, get_settings

__all__ = [
    "AnalyticsBackend",
    "DuckDBBackend",
    "Run",
    "SparkBackend",
    "duckdb_backend",
    "open_backend",
]

# Column types Spark reads from Parquet as they are; any other (JSON, UUID, HUGEINT, INTERVAL,
# ENUM, nested) is exported as text.
_PLAIN_TYPES = (
    "VARCHAR", "DOUBLE", "FLOAT", "BIGINT", "INTEGER", "SMALLINT", "TINYINT", "BOOLEAN",
    "DATE", "TIMESTAMP", "TIMESTAMP WITH TIME ZONE",
)  # fmt: skip


class Run(Protocol):
    """One analytic run: where its inputs are read and through which its results are written."""

    #: The Ibis backend holding the store tables the run named (``ibis.table(name)``).
    ibis: Any
    #: The DuckDB connection of the store that results are written through; the caller opens
    #: and ends the transaction on it and registers the frames its delete conditions read.
    store: duckdb.DuckDBPyConnection

    def table(self, name: str) -> Any:
        """Store table ``name`` as the engine sees it now (read again after a write)."""

    def insert(self, name: str, expr: Any) -> int:
        """Append the rows of ``expr`` to store table ``name`` (by column name); rows added."""


class AnalyticsBackend(Protocol):
    """What the analytics services take: DuckDB on the store, or Spark."""

    name: str
    dialect: str

    def run(
        self, con: duckdb.DuckDBPyConnection, tables: Iterable[str] = ()
    ) -> contextlib.AbstractContextManager[Run]:
        """An analytic run over store connection ``con`` reading ``tables``."""

    def splink_input(self, frame: Any) -> Any:
        """``frame`` registered with this engine's Splink API (a Splink input table)."""


# ---------------------------------------------------------------- DuckDB


def _history(name: str) -> bool:
    """True for a table kept partly in the data lake: a run reads its whole history."""
    from ecohub.store.lake import SPECS

    return name in SPECS


class _DuckDBRun:
    def __init__(self, con: duckdb.DuckDBPyConnection, tables: Iterable[str] = ()) -> None:
        from ecohub.store.engine import ibis_duckdb

        self.ibis = ibis_duckdb(con)
        # A table kept partly in the lake is read with its history: Ibis's ``table(name)``
        # gives the store's ``<name>_all`` view (hot rows and the lake's, each key once).
        self.ibis.aliases = {name: f"{name}_all" for name in tables if _history(name)}
        # The cursor Ibis queries through: its temp tables (Table.cache) are visible only to it,
        # so writes that read them go through it too.
        self.store = self.ibis.con

    def table(self, name: str) -> Any:
        return self.ibis.table(name)

    def insert(self, name: str, expr: Any) -> int:
        cols = ", ".join(f'"{c}"' for c in expr.columns)
        self.ibis._run_pre_execute_hooks(expr)  # registers the memtables it reads
        # Compiled once to SQL and run as it is (Ibis's insert would parse it again).
        row = self.store.execute(f"INSERT INTO {name} ({cols}) {self.ibis.compile(expr)}")
        got = row.fetchone()
        return int(got[0]) if got else 0


class DuckDBBackend:
    """The store's own engine: expressions run where the data is; results never move."""

    name = "duckdb"
    dialect = "duckdb"

    @contextlib.contextmanager
    def run(self, con: duckdb.DuckDBPyConnection, tables: Iterable[str] = ()) -> Iterator[Run]:
        run = _DuckDBRun(con, tables)
        try:
            yield run
        finally:
            with contextlib.suppress(duckdb.Error):
                run.store.close()

    def splink_input(self, frame: Any) -> Any:
        from splink import DuckDBAPI

        return DuckDBAPI().register(frame)


# ---------------------------------------------------------------- Spark

_ids = itertools.count()


class _SparkRun:
    def __init__(
        self,
        backend: SparkBackend,
        con: duckdb.DuckDBPyConnection,
        session: Any,
        work: Path,
    ) -> None:
        from ecohub.store.engine import ibis_spark

        self._backend = backend
        self.store = con
        self.session = session
        self.work = work
        self.ibis = ibis_spark(session)
        # Parquet written by Spark is read back by DuckDB: instants as TIMESTAMP_MICROS
        # (UTC-adjusted), not Spark's legacy INT96.
        session.conf.set("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
        self._exposed: set[str] = set()

    def expose(self, name: str) -> None:
        """Make store table ``name`` a view of this run's session (from ``sources`` when the
        backend names Parquet files for it, else exported from the store now)."""
        source = self._backend.sources.get(name)
        if source is None:
            # A table kept partly in the lake is exported with its history (``<name>_all``).
            read = f"{name}_all" if _history(name) else name
            cols = self.store.execute(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_name = ? AND table_schema = 'main' ORDER BY ordinal_position",
                [read],
            ).fetchall()
            if not cols:
                return  # not in the store: the run reads it as absent, as on DuckDB
            select = ", ".join(
                f'"{c}"'
                if t in _PLAIN_TYPES or t.startswith("DECIMAL")
                else f'CAST("{c}" AS VARCHAR) AS "{c}"'
                for c, t in cols
            )
            path = self.work / f"in-{name}-{next(_ids)}.parquet"
            self.store.execute(f"COPY (SELECT {select} FROM {read}) TO '{path}' (FORMAT parquet)")
            source = str(path)
        self.session.read.parquet(source).createOrReplaceTempView(name)
        self._exposed.add(name)

    def table(self, name: str) -> Any:
        if name not in self._exposed:
            self.expose(name)
        return self.ibis.table(name)

    def insert(self, name: str, expr: Any) -> int:
        out = self.work / f"out-{name}-{next(_ids)}"
        self.ibis.to_parquet(expr, out)
        self._exposed.discard(name)  # the store's copy changed: read it again when asked
        files = sorted(out.glob("*.parquet"))
        if not files:
            return 0
        cols = ", ".join(f'"{c}"' for c in expr.columns)
        listed = ", ".join(f"'{f}'" for f in files)
        row = self.store.execute(
            f"INSERT INTO {name} ({cols}) SELECT {cols} FROM read_parquet([{listed}])"
        ).fetchone()
        return int(row[0]) if row else 0

    def close(self) -> None:
        for df in list(getattr(self.ibis, "_cached_dataframes", {}).values()):
            with contextlib.suppress(Exception):
                df.unpersist()
        for name in self._exposed:
            with contextlib.suppress(Exception):
                self.session.catalog.dropTempView(name)
        shutil.rmtree(self.work, ignore_errors=True)


class SparkBackend:
    """PySpark (``master``: ``local[N]`` here, a cluster URL in production).

    ``work_dir`` holds each run's Parquet exchange with the store; on a cluster it must be a
    folder every executor can read (a shared mount). ``sources`` maps a store table name to
    Parquet files Spark reads instead of an export (a path, a directory or a glob)."""

    name = "spark"
    dialect = "spark"

    def __init__(
        self,
        master: str = "local[2]",
        work_dir: Path | None = None,
        sources: Mapping[str, str] | None = None,
        session: Any | None = None,
        conf: Mapping[str, str] | None = None,
    ) -> None:
        self.master = master
        self.conf = dict(conf or {})
        self.work_dir = work_dir
        self.sources = dict(sources or {})
        self._session = session
        self._lock = threading.Lock()

    @property
    def session(self) -> Any:
        """The process's SparkSession (created on first use)."""
        with self._lock:
            if self._session is None:
                from ecohub.store.engine import spark_session

                self._session = spark_session(self.master, conf=self.conf)
            return self._session

    @contextlib.contextmanager
    def run(self, con: duckdb.DuckDBPyConnection, tables: Iterable[str] = ()) -> Iterator[Run]:
        if self.work_dir is not None:
            try:
                self.work_dir.mkdir(parents=True, exist_ok=True)
            except OSError as exc:  # --engine spark with ECOHUB_ENGINE=duckdb: not checked before
                from ecohub.store.db import StoreError

                raise StoreError(
                    f"spark_work_dir: {self.work_dir}: cannot create it ({exc.strerror or exc})"
                ) from None
        work = Path(tempfile.mkdtemp(prefix=f"run-{uuid.uuid4().hex[:8]}-", dir=self.work_dir))
        run = _SparkRun(self, con, self.session.newSession(), work)
        try:
            for name in tables:
                run.expose(name)
            yield run
        finally:
            run.close()

    def splink_input(self, frame: Any) -> Any:
        import pyarrow as pa
        from splink import SparkAPI

        session = self.session.newSession()
        # Java string-distance UDFs are not used by the registry model (registry/linkage.py).
        api = SparkAPI(
            spark_session=session,
            register_udfs_automatically=False,
            break_lineage_method="persist",  # no checkpoint directory needed in local mode
        )
        # Through Arrow: Spark cannot infer a schema for NumPy arrays in object columns.
        return api.register(
            session.createDataFrame(pa.Table.from_pandas(frame, preserve_index=False))
        )


# ---------------------------------------------------------------- opening

_DUCKDB = DuckDBBackend()


def duckdb_backend() -> DuckDBBackend:
    """The DuckDB backend (stateless: one per process)."""
    return _DUCKDB


_spark: dict[tuple[str, str], SparkBackend] = {}
_spark_lock = threading.Lock()


def open_backend(settings: Settings | None = None) -> AnalyticsBackend:
    """The analytics backend chosen by the settings (``ECOHUB_ENGINE``, ``ECOHUB_SPARK_MASTER``,
    ``ECOHUB_SPARK_WORK_DIR``, ``ECOHUB_SPARK_CONF``). Spark backends are kept per master
    and work folder, so a process opens one SparkSession however often it asks."""
    settings = settings or get_settings()
    if settings.engine == "duckdb":
        return _DUCKDB
    work = Path(settings.spark_work_dir or settings.data_dir / "spark-work").resolve()
    key = (settings.spark_master, str(work))
    with _spark_lock:
        if key not in _spark:
            _spark[key] = SparkBackend(
                settings.spark_master, work_dir=work, conf=settings.spark_conf
            )
        return _spark[key]
