"""Producers register what they make: each one's run is in the lineage, with its inputs.

Expected file hashes are computed here from the bytes written; expected devices and counts
from the packets this test hands the writer.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import timedelta
from importlib import resources as pkg
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from ecohub.access.principal import Principal
from ecohub.catalog import lineage
from ecohub.catalog.produce import code_of
from ecohub.ingest.files import load_observations, load_stations
from ecohub.ingest.metrics import IngestMetrics
from ecohub.ingest.writer import StoreWriter
from ecohub.store.db import connect
from tests.ingest.test_writer import T0, data_work

BOSS = Principal("boss", "admin", None)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    con = connect(tmp_path / "s.duckdb")
    yield con
    con.close()


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    """Two days of the bundled sample for two stations, and the station list."""
    data = pkg.files("ecohub.sample").joinpath("data")
    t = pq.read_table(str(data.joinpath("prsa_hourly.parquet"))).slice(0, 48)
    obs = tmp_path / "obs.parquet"
    pq.write_table(t, obs)
    st = tmp_path / "stations.csv"
    st.write_bytes(data.joinpath("stations.csv").read_bytes())
    return {"obs": obs, "stations": st}


def _runs(con: duckdb.DuckDBPyConnection, table: str, kind: str) -> list[dict[str, Any]]:
    return [r for r in lineage.walk(con, table)["runs"] if r["kind"] == kind]


def test_file_loads_register_the_file_by_hash(
    store: duckdb.DuckDBPyConnection, files: dict[str, Path]
) -> None:
    load_stations(store, files["stations"], network="air", write_rejects=False)
    load_observations(store, files["obs"], period="1h", write_rejects=False)
    (st,) = _runs(store, "station", "load")
    assert st["inputs"] == [
        {"kind": "file", "ref": _sha(files["stations"]), "path": str(files["stations"]),
         "rows_ok": 12, "rows_rejected": 0}
    ]  # fmt: skip
    assert st["params"]["load_kind"] == "stations" and not st["derived"]
    tree = lineage.walk(store, "observation")
    assert [f["sha256"] for f in tree["files"]] == [_sha(files["obs"])]
    # The same file again changes nothing and registers nothing.
    load_observations(store, files["obs"], period="1h", write_rejects=False)
    assert len(_runs(store, "observation", "load")) == 1


def test_air_compute_registers_its_tables_made_from_the_observations(
    store: duckdb.DuckDBPyConnection, files: dict[str, Path]
) -> None:
    from ecohub.analytics.air_service import compute

    load_stations(store, files["stations"], network="air", write_rejects=False)
    load_observations(store, files["obs"], period="1h", write_rejects=False)
    compute(store, full=True)
    (run,) = _runs(store, "air_daily", "air-compute")
    assert run["params"]["full"] is True and run["params"]["written"]["air_daily"] > 0
    refs = {(i["kind"], i["ref"]) for i in run["inputs"]}
    # The reviewed record is made from the review's flags too (the values they set aside).
    flags = ("resource", "30100101-00008")
    assert refs == {("resource", code_of("observation")), ("resource", code_of("station")), flags}
    (given,) = [i for i in run["inputs"] if (i["kind"], i["ref"]) == flags]
    assert isinstance(given["set_aside"], dict)
    tree = lineage.walk(store, "air_hourly_aqi")
    assert {f["sha256"] for f in tree["files"]} == {_sha(files["obs"]), _sha(files["stations"])}
    # Nothing stale: nothing written, nothing registered.
    compute(store)
    assert len(_runs(store, "air_daily", "air-compute")) == 1
    # The raw record is not made from the flags.
    compute(store, full=True, reviewed=False)
    raw = [r for r in _runs(store, "air_daily", "air-compute") if not r["params"]["reviewed"]]
    assert {(i["kind"], i["ref"]) for i in raw[0]["inputs"]} == refs - {flags}


def test_a_job_names_itself_and_its_parameters(
    store: duckdb.DuckDBPyConnection, files: dict[str, Path]
) -> None:
    from ecohub.jobs.files import JobFiles
    from ecohub.jobs.runner import JobRunner

    # A runner reads files from its import folders only: here, the test's files' folder.
    folder = files["stations"].parent
    runner = JobRunner(store, files=JobFiles((folder,), folder / "rejects"))
    try:
        job = runner.submit(BOSS, "load-stations", {"path": str(files["stations"])})
        runner.wait(job["id"])
        assert runner.get(BOSS, job["id"])["state"] == "done"
    finally:
        runner.shutdown()
    (run,) = _runs(store, "station", "load")
    jobs = [i for i in run["inputs"] if i["kind"] == "job"]
    assert [j["ref"] for j in jobs] == [job["id"]] and jobs[0]["job_kind"] == "load-stations"
    assert jobs[0]["params"]["path"] == str(files["stations"]) and run["params"]["job"] == job["id"]


def test_stored_trends_and_water_classes_register_their_parameters(
    store: duckdb.DuckDBPyConnection,
) -> None:
    from ecohub.analytics.trend import store_trends

    row = {"station_id": "Dongsi", "parameter": "a34004", "test": "mann-kendall",
           "period_from": pd.Timestamp("2013-03-01"), "period_to": pd.Timestamp("2017-02-01"),
           "unit": "ug/m3", "n": 48, "trend": "decreasing", "alpha": 0.05}  # fmt: skip
    store_trends(store, pd.DataFrame([row]))
    (run,) = _runs(store, "trend_result", "trend")
    assert run["params"]["parameters"] == ["a34004"] and run["params"]["stations"] == ["Dongsi"]
    assert [(i["kind"], i["ref"]) for i in run["inputs"]] == [("resource", code_of("observation"))]


def test_water_assessment_registers_both_tables() -> None:
    from ecohub.analytics._testdata import water_observations, water_stations
    from ecohub.analytics.water_assess import assess, store_assessment
    from ecohub.store.engine import ibis_duckdb
    from tests.analytics.test_water import _load

    con = connect(":memory:")
    st = water_stations(3, 1)
    backend = ibis_duckdb(con)
    _load(backend, st, water_observations(st, start="2023-01", months=2))
    store_assessment(con, assess(backend, month="2023-01"))
    sections = con.execute("SELECT count(*) FROM water_class_monthly").fetchall()[0][0]
    for table in ("water_class_monthly", "water_item_result"):
        (run,) = _runs(con, table, "water-assess")
        assert run["params"]["period"] == "2023-01" and run["params"]["sections"] == sections > 0
    con.close()


def test_registry_link_and_review_register_their_runs(tmp_path: Path) -> None:
    from ecohub.registry import generator, records, review, service

    con = connect(":memory:")
    bench = generator.generate(30, seed=5)
    shas = set()
    for system in ("permit", "tax"):
        path = tmp_path / f"{system}.csv"
        bench.systems[system].to_csv(path, index=False)
        records.load_records(con, system, path, crs=bench.crs[system])
        shas.add(_sha(path))
    out = service.link(con)
    (run,) = _runs(con, "source", "link-run")
    assert ("run", out["run_id"]) in {(i["kind"], i["ref"]) for i in run["inputs"]}
    assert {f["sha256"] for f in lineage.walk(con, "source")["files"]} == shas
    a, b = con.execute(
        "SELECT system || ':' || record_id FROM source_record ORDER BY ALL LIMIT 2"
    ).fetchall()
    review.decide(con, a[0], b[0], "nonmatch", by="tester")
    (dec,) = _runs(con, "review_decision", "registry-review")
    assert dec["actor"] == "tester" and dec["params"]["decision"] == "nonmatch"
    con.close()


def test_the_hj212_writer_counts_devices_per_flush_not_per_packet(tmp_path: Path) -> None:
    con = connect(tmp_path / "s.duckdb")
    w = StoreWriter(con, lambda _: None, IngestMetrics())
    w.write([data_work("MN1", "20260301115930", {"a21026": "1"}),
             data_work("MN1", "20260301115830", {"a21026": "2"}),
             data_work("MN2", "20260301115930", {"a21026": "3"})])  # fmt: skip
    later = data_work("MN1", "20260301120030", {"a21026": "4"})
    later.received_at = T0 + timedelta(minutes=1)
    w.write([later])
    got = con.execute(
        "SELECT table_name, mn, first_seen, last_seen, packets FROM catalog_device ORDER BY mn"
    ).fetchall()
    assert got == [
        ("emission", "MN1", T0, T0 + timedelta(minutes=1), 3),
        ("emission", "MN2", T0, T0, 1),
    ]
    tree = lineage.walk(con, "emission")
    assert [d["mn"] for d in tree["devices"]] == ["MN1", "MN2"]
    con.close()


def test_loaded_csv_headers_are_the_lineage_path(
    store: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    # A CSV written here (not a bundled file): its hash is what the lineage names.
    path = tmp_path / "one.csv"
    pacsv.write_csv(
        pq.read_table(str(pkg.files("ecohub.sample").joinpath("data", "prsa_hourly.parquet")))
        .slice(0, 3)
        .drop(["co_ugm3"]),
        path,
    )
    load_observations(store, path, period="1h", write_rejects=False)
    files = lineage.walk(store, "observation")["files"]
    assert files == [{"sha256": _sha(path), "path": str(path)}]


def test_coverage_follows_what_producers_write(
    store: duckdb.DuckDBPyConnection, files: dict[str, Path]
) -> None:
    from ecohub.catalog import service

    load_stations(store, files["stations"], network="air", write_rejects=False)
    obs, pm25 = code_of("observation"), "30100101-00003"
    assert service.show(store, BOSS, obs)["coverage"]["rows"] == 0  # measured now: empty
    load_observations(store, files["obs"], period="1h", write_rejects=False)
    # Read again at once (well within the 5-minute age): the load's run makes it current.
    n = store.execute("SELECT count(*) FROM observation").fetchall()[0][0]
    n_pm25 = store.execute(
        "SELECT count(*) FROM observation WHERE parameter = 'a34004'"
    ).fetchall()[0][0]
    assert service.show(store, BOSS, obs)["coverage"]["rows"] == n > 0
    assert service.show(store, BOSS, pm25)["coverage"]["rows"] == n_pm25 > 0
