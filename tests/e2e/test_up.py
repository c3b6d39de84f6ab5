"""`ecohub up` as a user runs it: a real process, sample data, simulated outlets, HTTP, SIGTERM."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from importlib import resources
from pathlib import Path

import pytest

from ecohub.store.db import connect

pytestmark = pytest.mark.e2e


def get(url: str, credential: str | None = None) -> bytes:
    headers = {"Authorization": f"Bearer {credential}"} if credential else {}
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10) as resp:
        return resp.read()


def cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ECOHUB_DATA_DIR": str(data_dir), "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "ecohub.cli.main", *args],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_up_loads_sample_serves_and_stops_cleanly(tmp_path: Path) -> None:
    env = {**os.environ, "ECOHUB_DATA_DIR": str(tmp_path), "ECOHUB_HJ212_HOST": "127.0.0.1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "ecohub.cli.main", "up", "--simulate", "2", "--hj212-port", "0",
         "--http-port", "0"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        state_file = tmp_path / "server.json"
        deadline = time.monotonic() + 240
        while not state_file.exists():
            assert proc.poll() is None, proc.stderr.read()  # type: ignore[union-attr]
            assert time.monotonic() < deadline, "ecohub up did not come up"
            time.sleep(0.2)
        time.sleep(0.3)
        url = json.loads(state_file.read_text())["http"]
        health = json.loads(get(url + "/healthz"))
        assert health["status"] == "ok"
        assert health["anomaly_backlog"] >= 0  # batches waiting for the anomaly detector
        # everything but health and open data needs credentials; the server wrote its local one
        with pytest.raises(urllib.error.HTTPError) as denied:
            get(url + "/api/v1/hj212/devices")
        assert denied.value.code == 401
        cred = (tmp_path / "local.credential").read_text().strip()
        assert (tmp_path / "local.credential").stat().st_mode & 0o077 == 0
        # the simulated outlets' packets land and are answered
        deadline = time.monotonic() + 60
        while True:
            metrics = get(url + "/metrics", cred).decode()
            answered = [ln for ln in metrics.splitlines()
                        if ln.startswith("ecohub_hj212_answers_sent_total")]  # fmt: skip
            if answered and float(answered[0].split()[-1]) >= 4:
                break
            assert time.monotonic() < deadline, metrics
            time.sleep(0.5)
        # the sample's air results are computed by a server-side job queued at start
        deadline = time.monotonic() + 180
        while True:
            jobs = json.loads(get(url + "/api/v1/jobs", cred))
            air = [j for j in jobs if j["kind"] == "air-compute" and j["owner"] == "system"]
            assert len(air) == 1 and air[0]["state"] != "failed", air
            if air[0]["state"] == "done":
                break
            assert time.monotonic() < deadline, air
            time.sleep(0.5)
        devices = json.loads(get(url + "/api/v1/hj212/devices", cred))
        assert len(devices) == 2 and all(d["online"] and d["registered"] for d in devices)
        # the CLI finds the store locked and asks the running server instead
        listed = cli(tmp_path, "hj212", "devices", "--json")
        assert listed.returncode == 0, listed.stderr
        assert {json.loads(line)["mn"] for line in listed.stdout.splitlines()} == {
            d["mn"] for d in devices
        }
        # the catalogue walks back to the bundled files (by hash) and the simulated devices
        lin = cli(tmp_path, "catalog", "lineage", "emission", "--json")
        assert lin.returncode == 0, lin.stderr
        assert {d["mn"] for d in json.loads(lin.stdout)["devices"]} == {d["mn"] for d in devices}
        lin = cli(tmp_path, "catalog", "lineage", "air_daily", "--json")
        assert lin.returncode == 0, lin.stderr
        bundled = resources.files("ecohub.sample").joinpath("data")
        assert {f["sha256"] for f in json.loads(lin.stdout)["files"]} == {
            hashlib.sha256(bundled.joinpath(n).read_bytes()).hexdigest()
            for n in ("stations.csv", "prsa_hourly.parquet")
        }
        switched = cli(tmp_path, "hj212", "policy", devices[0]["mn"], "lenient")
        assert switched.returncode == 0, switched.stderr
        # the sample's sources with cases and EIA approvals: a watch list and an unapproved list
        watch = cli(tmp_path, "source", "watchlist", "--region", "110000", "--format", "json")
        assert watch.returncode == 0, watch.stderr
        assert len(json.loads(watch.stdout)) >= 1
        unapproved = cli(tmp_path, "source", "unapproved", "--region", "110000", "--format", "json")
        assert unapproved.returncode == 0, unapproved.stderr
        assert len(json.loads(unapproved.stdout)) >= 1
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "stopped." in out
    assert not (tmp_path / "server.json").exists()
    con = connect(tmp_path / "ecohub.duckdb")
    try:
        assert con.execute("SELECT count(*) FROM observation").fetchone()[0] == 2_454_305
        assert con.execute("SELECT count(DISTINCT station_id) FROM station").fetchone()[0] == 12
        assert con.execute("SELECT count(*) FROM emission").fetchone()[0] > 0
        assert con.execute("SELECT count(*) FROM air_hourly_aqi").fetchone()[0] > 0
        assert con.execute("SELECT count(*) FROM region WHERE kind = 'division'").fetchone()[0] > 0
        linked = con.execute("SELECT count(*) FROM source_record WHERE system IN "
                             "('enforcement', 'eia_approval')").fetchone()  # fmt: skip
        assert linked is not None and linked[0] > 0
        policies = dict(con.execute("SELECT mn, policy FROM monitor_point").fetchall())
        assert policies[devices[0]["mn"]] == "lenient"
    finally:
        con.close()


def test_cli_device_tools_on_a_stopped_store(tmp_path: Path) -> None:
    connect(tmp_path / "ecohub.duckdb").close()  # the store a stopped server left
    mn = "010000A8900016F000169DC0"
    assert (
        cli(tmp_path, "hj212", "register", mn, "--name", "1# stack", "--pw", "654321").returncode
        == 0
    )
    out = cli(tmp_path, "hj212", "devices", "--json")
    assert out.returncode == 0
    (row,) = [json.loads(line) for line in out.stdout.splitlines()]
    assert row["mn"] == mn and row["registered"] and not row["online"]
    assert cli(tmp_path, "hj212", "devices", "--status", "offline", "--json").stdout.strip()
    bad = cli(tmp_path, "hj212", "policy", mn, "sloppy")
    assert bad.returncode != 0 and "policy" in bad.stderr and "Traceback" not in bad.stderr
    assert cli(tmp_path, "hj212", "deviations").returncode == 0


def test_busy_port_is_a_clear_error(tmp_path: Path) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = str(busy.getsockname()[1])
        for flag in ("--http-port", "--hj212-port"):
            other = "--hj212-port" if flag == "--http-port" else "--http-port"
            env = {**os.environ, "ECOHUB_DATA_DIR": str(tmp_path / flag.strip("-")),
                   "ECOHUB_HJ212_HOST": "127.0.0.1"}  # fmt: skip
            done = subprocess.run(
                [sys.executable, "-m", "ecohub.cli.main", "up", "--no-sample", flag, port, other,
                 "0"],
                env=env, capture_output=True, text=True, timeout=120,
            )  # fmt: skip
            assert done.returncode == 1, done.stderr
            assert "cannot listen" in done.stderr and "Traceback" not in done.stderr
