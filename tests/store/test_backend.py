"""The analytics backend (store/backend.py): chosen by the settings, the only place that knows
DuckDB from Spark, and a faithful carrier of store tables to Spark and of results back."""

from __future__ import annotations

import io
import json
import tokenize
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

import ecohub
from ecohub.settings import Settings
from ecohub.store.backend import SparkBackend, duckdb_backend, open_backend
from ecohub.store.db import connect

SRC = Path(ecohub.__file__).parent

# Names that open or address an engine directly; outside store/ they are a branch on the engine.
_ENGINE_NAMES = {"SparkAPI", "DuckDBAPI", "SparkSession", "pyspark", "ibis_duckdb", "ibis_spark",
                 "spark_session", "connect_engine"}  # fmt: skip


def _violations(path: Path, root: Path = SRC) -> list[str]:
    toks = [t for t in tokenize.generate_tokens(io.StringIO(path.read_text("utf-8")).readline)
            if t.type in (tokenize.NAME, tokenize.OP, tokenize.STRING)]  # fmt: skip
    found = []
    for i, t in enumerate(toks):
        where = f"{path.relative_to(root)}:{t.start[0]}"
        if t.type == tokenize.NAME and t.string in _ENGINE_NAMES:
            found.append(f"{where} {t.string}")
        if t.string in ("==", "!=") and i + 1 < len(toks):
            nxt = toks[i + 1].string.strip("'\"")
            if toks[i + 1].type == tokenize.STRING and nxt in ("spark", "duckdb"):
                found.append(f"{where} compares with {nxt!r}")
        attr = toks[i + 2].string if i + 2 < len(toks) else ""
        if attr in ("duckdb", "pyspark") and t.string == "ibis" and toks[i + 1].string == ".":
            found.append(f"{where} ibis.{attr}")
    return found


def test_only_the_store_knows_the_engines() -> None:
    """No module outside store/ opens an engine or branches on its name (strings and comments
    aside): the services take the analytics backend."""
    bad = []
    for path in sorted(SRC.rglob("*.py")):
        if path.relative_to(SRC).parts[0] != "store":
            bad += _violations(path)
    assert bad == []


def test_the_scan_finds_a_branch(tmp_path: Path) -> None:
    """The scan above is not vacuous: a branch on the engine's name is found."""
    f = tmp_path / "probe.py"
    f.write_text(
        'def go(e):\n    if e.name == "spark":  # ibis_spark\n        return ibis_spark()\n'
    )
    assert len(_violations(f, tmp_path)) == 2


def test_open_backend_follows_the_settings(tmp_path: Path) -> None:
    assert open_backend(Settings(data_dir=tmp_path)) is duckdb_backend()
    spark = Settings(data_dir=tmp_path, engine="spark", spark_master="local[1]",
                     spark_conf={"spark.sql.shuffle.partitions": "2"})  # fmt: skip
    first = open_backend(spark)
    assert isinstance(first, SparkBackend) and first.name == "spark"
    assert first.master == "local[1]" and first.conf == {"spark.sql.shuffle.partitions": "2"}
    assert first.work_dir == (tmp_path / "spark-work").resolve()
    # One backend (so one SparkSession, started on first use) per process and settings.
    assert open_backend(spark) is first


def _store() -> object:
    con = connect(":memory:")
    con.execute(
        "INSERT INTO station (station_id, network, region_code, attrs) "
        """VALUES ('s1', 'air', '110105', '{"height_m": 12}')"""
    )
    con.execute(
        "INSERT INTO observation (station_id, parameter, period, time, value, unit, flag, "
        "source, below_detection) VALUES ('s1', 'a34004', '1h', "
        "TIMESTAMPTZ '2026-03-01 00:00:00+08', 35.5, 'ug/m3', 'N', 't', false)"
    )
    con.execute("CREATE TABLE out_t (station_id VARCHAR, time TIMESTAMPTZ, v DOUBLE)")
    return con


@pytest.mark.spark
@pytest.mark.parametrize("engine", ["duckdb", "spark"])
def test_a_run_reads_store_tables_and_writes_results_back(engine: str, tmp_path: Path) -> None:
    """A store table (with a JSON column) reaches the engine; an expression's rows come back
    into a store table inside the caller's transaction, instants unchanged."""
    import pyspark  # noqa: F401  (part of the test install: a missing engine fails, never skips)

    backend = duckdb_backend() if engine == "duckdb" else SparkBackend("local[2]", tmp_path)
    con = _store()
    with backend.run(con, ["observation", "station"]) as run:  # type: ignore[arg-type]
        st = run.ibis.table("station").to_pandas()
        # JSON reaches Spark as its text (Parquet readers know no DuckDB JSON type).
        attrs = st["attrs"].iloc[0]
        assert (json.loads(attrs) if isinstance(attrs, str) else attrs) == {"height_m": 12}
        obs = run.ibis.table("observation")
        expr = obs.select("station_id", "time", v=obs.value * 2)
        got = run.ibis.to_pandas(expr)
        assert got.time.tolist() == [pd.Timestamp("2026-02-28 16:00", tz="UTC")]
        run.store.execute("BEGIN")
        assert run.insert("out_t", expr) == 1
        run.store.execute("COMMIT")
    row = con.execute("SELECT station_id, time, v FROM out_t").fetchall()  # type: ignore[attr-defined]
    assert row[0][0] == "s1" and row[0][2] == 71.0
    assert row[0][1].astimezone(UTC) == datetime(2026, 2, 28, 16, tzinfo=UTC)
    if engine == "spark":
        assert not any(tmp_path.iterdir())  # the run's Parquet exchange is cleaned up
