"""The ``engine`` fixture: every analytics test runs on DuckDB and on PySpark local mode.

``engine`` is an Ibis backend. On DuckDB it sits on a fresh, migrated in-memory store (so
store tables such as ``observation`` exist); on Spark it shares one session-scoped
``SparkSession`` (``local[2]``, few shuffle partitions) and a fresh database per test.
Put data in with ``put(engine, name, df)``; read results with ``expr.to_pandas()``.
Spark params carry ``@pytest.mark.spark``: deselect them with ``-m "not spark"``.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest

_counter = itertools.count()


@pytest.fixture(scope="session")
def spark_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    import pyspark  # noqa: F401  (part of the test install: a missing engine fails, never skips)

    from ecohub.store.engine import spark_session as make_session

    # Managed tables in a fresh folder: a table left in ./spark-warehouse fails the next run.
    warehouse = str(tmp_path_factory.mktemp("spark-warehouse"))
    session = make_session("local[2]", app="ecohub-tests", warehouse=warehouse)
    # Tests move kilobytes: two partitions keep shuffles from dominating the run time.
    session.conf.set("spark.sql.shuffle.partitions", "2")
    yield session
    session.stop()


@pytest.fixture(params=["duckdb", pytest.param("spark", marks=pytest.mark.spark)])
def engine(request: pytest.FixtureRequest) -> Iterator[Any]:
    """An Ibis backend: DuckDB over a migrated in-memory store, or PySpark local[2]."""
    if request.param == "duckdb":
        from ecohub.store.db import connect
        from ecohub.store.engine import ibis_duckdb

        con = connect(":memory:")
        backend = ibis_duckdb(con)
        backend.name_of_engine = "duckdb"  # type: ignore[attr-defined]
        yield backend
        con.close()
    else:
        from ecohub.store.engine import ibis_spark

        session = request.getfixturevalue("spark_session")
        db = f"t{next(_counter)}"
        session.sql(f"CREATE DATABASE IF NOT EXISTS {db}")
        session.catalog.setCurrentDatabase(db)
        backend = ibis_spark(session)
        backend.name_of_engine = "spark"  # type: ignore[attr-defined]
        yield backend
        session.sql(f"DROP DATABASE IF EXISTS {db} CASCADE")
        session.catalog.setCurrentDatabase("default")


def put(engine: Any, name: str, df: pd.DataFrame) -> Any:
    """Create (or replace) table ``name`` from ``df`` on ``engine``; return the Ibis table."""
    return engine.create_table(name, df, overwrite=True)


def _clear_table_caches() -> None:
    """Forget everything derived from the standards tables (functools caches of the
    standards and analytics modules), so the next call reads the tables again."""
    import sys

    for name, module in list(sys.modules.items()):
        if not name.startswith(("ecohub.standards", "ecohub.analytics")):
            continue
        for obj in vars(module).values():
            clear = getattr(obj, "cache_clear", None)
            if callable(clear):
                clear()


@pytest.fixture
def edit_table(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """``edit_table(name, old_row, new_row)``: use a copy of a standards CSV with one row
    replaced (the correction a new edition's text would bring), for this test only."""
    from importlib import resources

    from ecohub.standards.editions import use_table_dir

    folder = tmp_path_factory.mktemp("tables")

    def edit(name: str, old: str, new: str) -> None:
        path = folder / name
        if not path.exists():
            src = resources.files("ecohub.standards").joinpath("data", name)
            path.write_text(src.read_text(encoding="utf-8"), encoding="utf-8")
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        assert lines.count(old) == 1, f"{name}: row {old!r} not found once"
        lines[lines.index(old)] = new
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        use_table_dir(folder)
        _clear_table_caches()

    yield edit
    use_table_dir(None)
    _clear_table_caches()
