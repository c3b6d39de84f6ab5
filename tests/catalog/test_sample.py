"""The sample store's catalogue: every table, current coverage, lineage to files and devices.

Expected values come from the bundled files themselves (read here with pyarrow / csv and hashed
with hashlib), not from the catalogue.
"""

from __future__ import annotations

from datetime import datetime
from importlib import resources as pkg

import pyarrow.parquet as pq
import pytest

from ecohub.access.principal import SYSTEM
from ecohub.catalog import lineage, service
from ecohub.catalog.resources import store_tables
from ecohub.cst import CST
from ecohub.queries import QueryError
from tests.catalog.conftest import Sample

OBS, PM25, STATION, EMISSION = (
    "30100101-00002",
    "30100101-00003",
    "30100101-00001",
    "30100202-00002",
)
POLLUTANTS = ("pm25", "pm10", "so2", "no2", "co_ugm3", "o3")


def _parquet():  # type: ignore[no-untyped-def]
    data = pkg.files("ecohub.sample").joinpath("data", "prsa_hourly.parquet")
    with pkg.as_file(data) as path:
        return pq.read_table(path)


def test_every_table_is_a_resource_with_current_coverage(sample: Sample) -> None:
    out = service.list_resources(sample.con, SYSTEM)
    tables = {s["table"] for s in out["items"]}
    assert set(store_tables(sample.con)) <= tables
    assert all(s["rows"] is not None for s in out["items"]), "coverage of every resource"
    counts = {
        t: sample.con.execute(f'SELECT count(*) FROM "{t}"').fetchall()[0][0]
        for t in store_tables(sample.con)
        if not t.startswith("catalog_")
    }
    for s in out["items"]:
        if s["kind"] == "table" and s["table"] in counts:
            assert s["rows"] == counts[s["table"]], s["table"]


def test_observation_coverage_matches_the_bundled_file(sample: Sample) -> None:
    t = _parquet()
    values = sum(t.num_rows - t.column(c).null_count for c in POLLUTANTS)
    obs = service.show(sample.con, SYSTEM, OBS)["coverage"]
    assert obs["rows"] == values
    # The README: 2013-03-01 .. 2017-02-28, hourly, local time (UTC+8).
    assert datetime.fromisoformat(obs["time_from"]) == datetime(2013, 3, 1, 0, tzinfo=CST)
    assert datetime.fromisoformat(obs["time_to"]) == datetime(2017, 2, 28, 23, tzinfo=CST)
    districts = sorted({s["district_code"] for s in sample.stations})
    assert obs["regions"] == districts and obs["n_regions"] == len(districts)
    lons = [float(s["lon"]) for s in sample.stations]
    lats = [float(s["lat"]) for s in sample.stations]
    assert obs["bbox"] == pytest.approx([min(lons), min(lats), max(lons), max(lats)])
    pm = service.show(sample.con, SYSTEM, PM25)["coverage"]
    assert pm["rows"] == t.num_rows - t.column("pm25").null_count
    st = service.show(sample.con, SYSTEM, STATION)["coverage"]
    assert st["rows"] == len(sample.stations) and st["regions"] == districts


def test_lineage_goes_back_to_the_bundled_files(sample: Sample) -> None:
    obs = lineage.walk(sample.con, "observation")
    assert [f["sha256"] for f in obs["files"]] == [sample.files["prsa_hourly.parquet"]]
    assert obs["files"][0]["path"].endswith("prsa_hourly.parquet")
    st = lineage.walk(sample.con, STATION)
    assert [f["sha256"] for f in st["files"]] == [sample.files["stations.csv"]]
    # The PM2.5 product is made from the observations, and so from the parquet file.
    pm = lineage.walk(sample.con, PM25)
    assert pm["runs"][0]["inputs"][0]["ref"] == OBS
    assert [f["sha256"] for f in pm["files"]] == [sample.files["prsa_hourly.parquet"]]


def test_lineage_goes_back_to_the_simulated_devices(sample: Sample) -> None:
    tree = lineage.walk(sample.con, "emission")
    assert [d["mn"] for d in tree["devices"]] == sorted(sample.mns)
    run = tree["runs"][0]
    assert run["kind"] == "hj212-ingest"
    # The writer counts packets per device (not rows): each data packet is one (CN, DataTime).
    packets = {i["ref"]: i["packets"] for i in run["inputs"]}
    for mn in sample.mns:
        n = sample.con.execute(
            "SELECT count(DISTINCT (cn, data_time)) FROM emission WHERE mn = ?", [mn]
        ).fetchall()[0][0]
        assert packets[mn] == n > 0


def test_record_run_adds_to_the_lineage(sample: Sample) -> None:
    rid = lineage.record_run(
        sample.con,
        "air_daily",
        "job",
        params={"edition": 2026},
        inputs=[("resource", OBS), {"kind": "job", "ref": "j-test", "note": "by hand"}],
        actor="test",
    )
    tree = lineage.walk(sample.con, "30100101-00005")
    run = next(r for r in tree["runs"] if r["run_id"] == rid)
    assert run["params"] == {"edition": 2026} and not run["derived"]
    assert {(i["kind"], i["ref"]) for i in run["inputs"]} == {("resource", OBS), ("job", "j-test")}
    assert sample.files["prsa_hourly.parquet"] in [f["sha256"] for f in tree["files"]]
    with pytest.raises(QueryError, match="inputs"):
        lineage.record_run(sample.con, "air_daily", "job", inputs=[("tape", "x")])
    with pytest.raises(QueryError, match="resource"):
        lineage.record_run(sample.con, "no_such_table", "job")


def test_simulated_rows_are_in_emission_coverage(sample: Sample) -> None:
    cov = service.show(sample.con, SYSTEM, EMISSION)["coverage"]
    first, last = sample.con.execute(
        "SELECT min(data_time), max(data_time) FROM emission"
    ).fetchall()[0]
    assert cov["rows"] > 0
    assert datetime.fromisoformat(cov["time_from"]) == first
    assert datetime.fromisoformat(cov["time_to"]) == last
