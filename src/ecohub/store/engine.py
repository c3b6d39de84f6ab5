"""The Ibis engine handle: the same analytics expressions on DuckDB (default) or PySpark.

Engine differences live here and nowhere else.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import weakref
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from ecohub.settings import Settings, get_settings


def ibis_duckdb(con: duckdb.DuckDBPyConnection) -> Any:
    """An Ibis backend over an open DuckDB connection of the store.

    Ibis sets its connection's time zone to UTC; it gets a cursor of its own so the store's
    connection keeps China Standard Time for everything else.

    ``Table.cache()`` makes temp tables that Ibis drops when their expression is garbage
    collected; one collected after the store connection closed is gone already (temp tables
    die with their connection), so that drop is allowed to find the connection closed.
    """
    return _duckdb_backend().from_connection(con.cursor())


@cache
def _duckdb_backend() -> Any:
    from ibis.backends.duckdb import Backend

    class DuckDBBackend(Backend):
        # Store table name -> what ``table(name)`` reads instead (set per analytic run).
        aliases: dict[str, str] = {}  # noqa: RUF012 (replaced per instance, never mutated)

        def table(self, name: str, /, *, database: Any = None) -> Any:
            return super().table(self.aliases.get(name, name), database=database)

        def _drop_cached_table(self, name: str) -> None:
            with contextlib.suppress(duckdb.ConnectionException):
                super()._drop_cached_table(name)

    return DuckDBBackend


def spark_session(
    master: str = "local[2]",
    app: str = "ecohub",
    warehouse: str | None = None,
    conf: dict[str, str] | None = None,
) -> Any:
    """A SparkSession (local mode unless ``master`` names a cluster), tuned small for one box.

    ``warehouse`` is where managed tables go (Spark's default is ./spark-warehouse); ``conf``:
    further Spark settings (``ECOHUB_SPARK_CONF``), applied last.
    """
    import sys

    from pyspark.sql import SparkSession

    # The context starts its Python workers with $PYSPARK_PYTHON (default `python3`, not this
    # virtual environment: no pyarrow there); the conf below is read by spark-submit only.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder
    if warehouse is not None:
        builder = builder.config("spark.sql.warehouse.dir", warehouse)
    builder = (
        builder.master(master)
        # Workers must run this interpreter (with pandas, pyarrow), not whatever `python3` is.
        .config("spark.pyspark.python", sys.executable)
        .config("spark.pyspark.driver.python", sys.executable)
        .appName(app)
        .config("spark.sql.session.timeZone", "Asia/Shanghai")
        .config("spark.sql.shuffle.partitions", "8")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.memory", "4g")
        # No progress bars on the terminal: CLI commands print their own output.
        .config("spark.ui.showConsoleProgress", "false")
    )
    for key, value in (conf or {}).items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


def ibis_spark(session: Any | None = None, master: str = "local[2]") -> Any:
    """An Ibis backend over a SparkSession.

    ``Table.cache()`` on Ibis's PySpark backend compiles the expression without registering
    the in-memory tables (``ibis.memtable``) it reads, so a cached expression over one fails
    with TABLE_OR_VIEW_NOT_FOUND; this backend registers them first, as executing does.
    """
    import ibis

    _ = ibis.pyspark  # loads the backend's entry point, which registers its options
    return _spark_backend()().connect(session or spark_session(master))


@cache
def _spark_backend() -> Any:
    import ibis
    from ibis.backends.pyspark import Backend

    class SparkBackend(Backend):
        def _create_cached_table(self, name: str, expr: Any) -> Any:
            self._run_pre_execute_hooks(expr)
            return super()._create_cached_table(name, expr)

        def get_schema(
            self, table_name: str, *, catalog: str | None = None, database: str | None = None
        ) -> Any:
            # Spark's TIMESTAMP is an instant (TIMESTAMP_NTZ is the wall-clock one), but Ibis
            # reads both as a naive timestamp: instants come back as naive UTC times, where
            # DuckDB's TIMESTAMPTZ gives UTC-aware ones. Typed as UTC here, both engines hand
            # the services the same values.
            schema = super().get_schema(table_name, catalog=catalog, database=database)
            if catalog is not None or database is not None:
                return schema
            from pyspark.sql.types import TimestampType

            spark = {f.name: f.dataType for f in self._session.table(table_name).schema.fields}
            return ibis.schema(
                {
                    n: t.copy(timezone="UTC")
                    if t.is_timestamp()
                    and t.timezone is None
                    and isinstance(spark.get(n), TimestampType)
                    else t
                    for n, t in schema.items()
                }
            )

    return SparkBackend


def map_groups(
    backend: Any,
    expr: Any,
    fn: Callable[[pa.Table], pa.Table],
    schema: pa.Schema,
    key: str,
    buckets: int = 64,
) -> Any:
    """The rows ``fn`` makes of ``expr``'s, as an Ibis table of ``backend`` (of ``schema``).

    ``fn`` takes an Arrow table of whole groups — every row of each value of the integer
    column ``key`` that it holds — and returns the rows those groups make; it is called once
    on DuckDB (every group, in memory: callers give it a bounded chunk), once per bucket of
    ``key % buckets`` on Spark (``applyInArrow`` in the executors; ``fn`` must pickle).
    """
    if isinstance(backend, _spark_backend()):
        from pyspark.sql import functions as F
        from pyspark.sql.pandas.types import from_arrow_schema

        backend._run_pre_execute_hooks(expr)
        df = backend._session.sql(str(backend.compile(expr)))

        def apply(table: pa.Table) -> pa.Table:  # pickled by Spark (cloudpickle)
            return fn(table.drop_columns(["_bucket"]))

        out = (
            df.withColumn("_bucket", F.col(key) % buckets)
            .groupBy("_bucket")
            .applyInArrow(apply, from_arrow_schema(schema))
        )
        name = f"_ecohub_groups_{next(_views)}"
        out.createOrReplaceTempView(name)
        return backend.table(name)
    # Registered with the store's connection, not an ``ibis.memtable``: an expression over
    # memtables alone runs on Ibis's default backend, where this run's temp tables are not.
    # Zero-copy; unregistered when the table's expression is collected (a ``cache()`` of it
    # holds it until released).
    name = f"_ecohub_groups_{next(_views)}"
    con = backend.con
    con.register(name, fn(backend.to_pyarrow(expr)))
    table = backend.table(name)
    weakref.finalize(table.op(), _unregister, con, name)
    return table


def _unregister(con: duckdb.DuckDBPyConnection, name: str) -> None:
    with contextlib.suppress(duckdb.Error):
        con.unregister(name)


_views = itertools.count()


def connect_engine(settings: Settings | None = None, con: Any | None = None) -> Any:
    """The bare Ibis backend chosen by ``ECOHUB_ENGINE``: DuckDB on the store, or PySpark.

    Services take the analytics backend of :func:`ecohub.store.backend.open_backend`
    instead, which also moves the store's tables to the engine and the results back."""
    settings = settings or get_settings()
    if settings.engine == "spark":
        return ibis_spark(master=settings.spark_master)
    if con is None:
        from ecohub.store.db import connect

        con = connect(Path(settings.database))
    return ibis_duckdb(con)
