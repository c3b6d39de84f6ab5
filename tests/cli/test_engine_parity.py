"""``ECOHUB_ENGINE=spark`` from the CLI: every analytic runs on PySpark (local mode) through the
analytics backend and stores the same results as DuckDB.

Each command runs twice through Typer's CliRunner, on two copies of one small store: once with
``ECOHUB_ENGINE=duckdb``, once with ``ECOHUB_ENGINE=spark``; what they print, export and store
must match. The data are kept small (Spark's cost here is per query, not per row): a week of
one station of the bundled Beijing sample for the air results, one station-parameter of the
sample for the trend, a year of three generated water sections, 60 generated registry records.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from typer.testing import CliRunner

from ecohub.cli.main import app
from ecohub.settings import get_settings
from ecohub.store.db import connect

# Spark on two shared cores: a run is tens of Spark jobs, minutes when the machine is busy.
pytestmark = [pytest.mark.spark, pytest.mark.timeout(1800)]

runner = CliRunner()
ENGINES = ("duckdb", "spark")
# Tests move kilobytes: two shuffle partitions keep Spark's per-task overhead small.
SPARK_CONF = json.dumps({"spark.sql.shuffle.partitions": "2"})


@pytest.fixture(scope="module", autouse=True)
def _spark_present() -> None:
    import pyspark  # noqa: F401  (part of the test install: a missing engine fails, never skips)


def _sample() -> tuple[pd.DataFrame, Path]:
    data = resources.files("ecohub.sample").joinpath("data")
    return pd.read_parquet(str(data.joinpath("prsa_hourly.parquet"))), Path(
        str(data.joinpath("stations.csv"))
    )


def _stores(root: Path, fill: object) -> dict[str, Path]:
    """One store filled by ``fill(con, root)``, copied once per engine; their data folders."""
    base = root / "base"
    base.mkdir()
    con = connect(base / "ecohub.duckdb")
    fill(con, root)  # type: ignore[operator]
    con.close()
    out = {}
    for engine in ENGINES:
        shutil.copytree(base, root / engine)
        out[engine] = root / engine
    return out


def cli(data_dir: Path, engine: str, *args: str) -> str:
    get_settings.cache_clear()
    env = {
        "ECOHUB_DATA_DIR": str(data_dir),
        "ECOHUB_DB_PATH": str(data_dir / "ecohub.duckdb"),
        "ECOHUB_ENGINE": engine,
        "ECOHUB_SPARK_CONF": SPARK_CONF,
        "COLUMNS": "250",
    }
    try:
        r = runner.invoke(app, list(args), env=env)
    finally:
        get_settings.cache_clear()
    assert r.exit_code == 0, f"{engine}: {' '.join(args)}\n{r.output}"
    return r.output


def _table(data_dir: Path, sql: str) -> pd.DataFrame:
    con = duckdb.connect(str(data_dir / "ecohub.duckdb"), read_only=True)
    try:
        return con.execute(sql).df()
    finally:
        con.close()


def _same(frames: dict[str, pd.DataFrame], keys: list[str]) -> None:
    a, b = (frames[e].sort_values(keys).reset_index(drop=True) for e in ENGINES)
    assert len(a) > 0
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-12)


# ---------------------------------------------------------------- air


@pytest.fixture(scope="module")
def air(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    def fill(con: duckdb.DuckDBPyConnection, root: Path) -> None:
        from ecohub.ingest.files import load_observations, load_stations

        hourly, stations = _sample()
        week = hourly[
            (hourly.station == "Aotizhongxin")
            & (hourly.time_local >= "2013-03-01")
            & (hourly.time_local < "2013-03-08")
        ]
        week.to_parquet(root / "week.parquet", index=False)
        load_stations(con, stations, network="air", source="t", write_rejects=False)
        load_observations(con, root / "week.parquet", period="1h", source="t",
                          write_rejects=False)  # fmt: skip

    yield _stores(tmp_path_factory.mktemp("air"), fill)


_AIR_TABLES = {
    "air_hourly_aqi": ["scope", "code", "time"],
    "air_daily": ["scope", "code", "date"],
    "air_period_stat": ["scope", "code", "year", "month", "pollutant"],
    "air_category_days": ["scope", "code", "year", "month"],
}


def test_air_compute_then_assess_same_on_spark(air: dict[str, Path]) -> None:
    """``air compute`` writes the same ``air_*`` tables; ``air assess`` prints and exports the
    same assessment from them."""
    printed = {e: cli(d, e, "air", "compute") for e, d in air.items()}
    assert "(full)" in printed["spark"] and printed["spark"] == printed["duckdb"]
    for name, keys in _AIR_TABLES.items():
        _same({e: _table(d, f"SELECT * FROM {name}") for e, d in air.items()}, keys)
    out = {e: _unpath(cli(d, e, "air", "assess", "--year", "2013", "--out", str(d / "a.csv")), d)
           for e, d in air.items()}  # fmt: skip
    assert "HJ663statistics2013" in out["spark"] and out["spark"] == out["duckdb"]
    _same({e: pd.read_csv(d / "a.csv") for e, d in air.items()}, ["scope", "code", "pollutant"])


def _unpath(text: str, data_dir: Path) -> str:
    """``text`` without the folder it names (each engine writes into its own)."""
    return "".join(text.split()).replace("".join(str(data_dir).split()), "<dir>")


# ---------------------------------------------------------------- trend


@pytest.fixture(scope="module")
def trend_stores(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    def fill(con: duckdb.DuckDBPyConnection, root: Path) -> None:
        from ecohub.ingest.files import load_observations, load_stations

        hourly, stations = _sample()
        one = hourly[hourly.station == "Dongsi"][["station", "time_local", "pm25"]]
        one.to_parquet(root / "pm25.parquet", index=False)
        load_stations(con, stations, network="air", source="t", write_rejects=False)
        load_observations(con, root / "pm25.parquet", period="1h", source="t",
                          write_rejects=False)  # fmt: skip
        # Two days confirmed as set aside by the review: the reviewed record leaves them out.
        con.execute(
            "INSERT INTO review_flag (station_id, parameter, period, time, value, rule, reason, "
            "status) SELECT station_id, parameter, period, time, value, 'range', 'test', "
            "'confirmed' FROM observation WHERE time >= TIMESTAMPTZ '2014-05-01 00:00:00+08' "
            "AND time < TIMESTAMPTZ '2014-05-03 00:00:00+08'"
        )

    return _stores(tmp_path_factory.mktemp("trend"), fill)


def test_trend_same_on_spark(trend_stores: dict[str, Path]) -> None:
    out = {e: _unpath(cli(d, e, "trend", "--out", str(d / "t.csv")), d)
           for e, d in trend_stores.items()}  # fmt: skip
    assert "SeasonalKendall" in out["spark"] and out["spark"] == out["duckdb"]
    tables = {e: pd.read_csv(d / "t.csv") for e, d in trend_stores.items()}
    _same(tables, ["station_id"])
    # The reviewed record (the default): the 48 values set aside are left out on both
    # engines (the anti-join with review_flag runs on Spark too).
    assert tables["spark"].record.tolist() == ["reviewed"]
    assert tables["spark"].n_set_aside.tolist() == [48]
    cols = "station_id, parameter, test, record, n_set_aside, period_from, period_to, n, s, z, "
    cols += "p, tau, slope_per_year"
    _same({e: _table(d, f"SELECT {cols} FROM trend_result") for e, d in trend_stores.items()},
          ["station_id", "parameter"])  # fmt: skip


# ---------------------------------------------------------------- water


@pytest.fixture(scope="module")
def water(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    def fill(con: duckdb.DuckDBPyConnection, root: Path) -> None:
        from ecohub.analytics._testdata import water_observations, water_stations

        st = water_stations(2, 1)
        obs = water_observations(st, start="2023-01", months=12)
        obs.loc[0, "value"] = -1.0  # one bad sample: listed, not averaged, on both engines
        con.register("st", st)
        con.execute(
            "INSERT INTO station (station_id, name, network, region_code, basin, waterbody, "
            "lon, lat) SELECT * FROM st"
        )
        con.register("obs", obs)
        con.execute("INSERT INTO observation BY NAME SELECT * FROM obs")

    return _stores(tmp_path_factory.mktemp("water"), fill)


def test_water_assess_same_on_spark(water: dict[str, Path]) -> None:
    out = {e: _unpath(cli(d, e, "water", "assess", "--year", "2023", "--out", str(d / "w.csv")), d)
           for e, d in water.items()}  # fmt: skip
    assert "value:negativeconcentration" in out["spark"] and out["spark"] == out["duckdb"]
    _same({e: pd.read_csv(d / "w.csv") for e, d in water.items()}, ["station_id"])
    _same({e: _table(d, "SELECT * EXCLUDE (computed_at) FROM water_class_annual")
           for e, d in water.items()}, ["station_id", "year", "method"])  # fmt: skip


# ---------------------------------------------------------------- registry


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    def fill(con: duckdb.DuckDBPyConnection, root: Path) -> None:
        from ecohub.registry import generator, records

        bench = generator.generate(60, seed=11)
        for system, df in bench.systems.items():
            records.load_frame(con, system, df, crs=bench.crs[system])

    return _stores(tmp_path_factory.mktemp("registry"), fill)


def test_registry_link_same_clusters_on_spark(registry: dict[str, Path]) -> None:
    runs = {e: json.loads(cli(d, e, "registry", "link", "--json")) for e, d in registry.items()}
    assert runs["spark"]["engine"] == "spark" and runs["duckdb"]["engine"] == "duckdb"
    assert runs["spark"]["clusters"] == runs["duckdb"]["clusters"] > 0
    groups = {}
    for e, d in registry.items():
        codes = _table(d, "SELECT system || '|' || record_id AS rec, source_code FROM "
                          "source_record")  # fmt: skip
        groups[e] = {frozenset(g.rec) for _, g in codes.groupby("source_code")}
    assert groups["spark"] == groups["duckdb"]
