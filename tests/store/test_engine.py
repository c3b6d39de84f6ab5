"""The Ibis engine handle: the same expression on DuckDB and on PySpark."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from ecohub.settings import Settings
from ecohub.store.db import connect
from ecohub.store.engine import connect_engine, ibis_spark, spark_session


def _frame() -> pd.DataFrame:
    return pd.DataFrame({"station": ["a", "a", "b"], "value": [1.0, 3.0, 5.0]})


def _mean_by_station(backend, name: str):  # type: ignore[no-untyped-def]
    t = backend.table(name)
    expr = t.group_by("station").aggregate(mean=t.value.mean()).order_by("station")
    return backend.execute(expr).reset_index(drop=True)


def test_duckdb_engine_over_the_store(tmp_path: Path) -> None:
    con = connect(tmp_path / "s.duckdb")
    df = _frame()
    con.register("_df", df)
    con.execute("CREATE TABLE t AS SELECT * FROM _df")
    backend = connect_engine(Settings(data_dir=tmp_path), con=con)
    assert "observation" in backend.list_tables()
    assert _mean_by_station(backend, "t")["mean"].tolist() == [2.0, 5.0]
    con.close()


@pytest.mark.spark
def test_spark_engine_gives_the_same_answer(tmp_path: Path) -> None:
    session = spark_session("local[1]")
    backend = ibis_spark(session)
    session.createDataFrame(_frame()).createOrReplaceTempView("t")
    assert _mean_by_station(backend, "t")["mean"].tolist() == [2.0, 5.0]
