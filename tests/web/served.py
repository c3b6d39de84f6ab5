"""A running platform for the browser tests: a temp store with the sample's stations, three
months of their hours, air results, two registry sources (one per district) tied to the two
simulated outlets, three analysts; then ``ecohub up --no-sample`` on port 0."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq

PASSWORD = "correct horse battery"
# (user, region): a Chaoyang analyst, a Haidian analyst, a Beijing analyst.
USERS = (("ana", "110105"), ("hai", "110108"), ("bei", "110000"))
CHAOYANG = {"Aotizhongxin", "Nongzhanguan"}  # the sample's stations coded 110105
HAIDIAN = {"Wanliu"}
SOURCES = """record_id,name,address,region_code,industry,lon,lat,mn
P001,北京示例热电有限公司,北京市朝阳区示例路1号,110105,4411,116.47,39.94,SIM000000000000000000000
P002,北京示例污水处理厂,北京市海淀区示例路2号,110108,4620,116.29,39.99,SIM000000000000000000001
"""


def cli(data_dir: Path, *args: str, stdin: str | None = None) -> str:
    env = {**os.environ, "ECOHUB_DATA_DIR": str(data_dir), "COLUMNS": "200"}
    done = subprocess.run(
        [sys.executable, "-m", "ecohub.cli.main", *args],
        env=env, capture_output=True, text=True, timeout=600, input=stdin,
    )  # fmt: skip
    assert done.returncode == 0, (args, done.stdout, done.stderr)
    return done.stdout


def prepare(data: Path) -> None:
    """Fill an empty store (the CLI opens it directly: no server runs yet)."""
    work = data.parent / "inputs"
    work.mkdir(parents=True, exist_ok=True)
    sample = resources.files("ecohub.sample").joinpath("data")
    with resources.as_file(sample.joinpath("prsa_hourly.parquet")) as hourly:
        t = pq.read_table(hourly)
    month = pc.strftime(t["time_local"], "%Y-%m")
    keep = pc.is_in(month, value_set=__import__("pyarrow").array(["2014-01", "2014-02", "2014-03"]))
    pq.write_table(t.filter(keep), work / "q1-2014.parquet")
    with resources.as_file(sample.joinpath("stations.csv")) as st:
        (work / "stations.csv").write_bytes(st.read_bytes())
    (work / "sources.csv").write_text(SOURCES, encoding="utf-8")
    for name, region in USERS:
        cli(data, "user", "add", name, "--role", "analyst", "--region", region,
            "--password-stdin", stdin=PASSWORD + "\n")  # fmt: skip
    cli(data, "load", "stations", str(work / "stations.csv"))
    cli(data, "load", "observations", str(work / "q1-2014.parquet"))
    cli(data, "air", "compute")
    cli(data, "registry", "load", "--system", "permit", str(work / "sources.csv"))
    cli(data, "registry", "link")


@contextmanager
def running(data: Path) -> Iterator[str]:
    """``ecohub up`` over ``data`` with two simulated outlets; yields the HTTP base URL."""
    env = {**os.environ, "ECOHUB_DATA_DIR": str(data), "ECOHUB_HJ212_HOST": "127.0.0.1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "ecohub.cli.main", "up", "--no-sample", "--simulate", "2",
         "--hj212-port", "0", "--http-port", "0"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        state = data / "server.json"
        deadline = time.monotonic() + 180
        while not state.exists():
            assert proc.poll() is None, proc.stderr.read()  # type: ignore[union-attr]
            assert time.monotonic() < deadline, "ecohub up did not come up"
            time.sleep(0.2)
        time.sleep(0.3)
        yield json.loads(state.read_text())["http"]
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=120)
