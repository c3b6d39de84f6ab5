"""The platform as a district analyst meets it: ``ecohub up`` (a real process, port 0),
simulated HJ 212 outlets sending, an analyst of Chaoyang (110105) who logs in and gets the
district's AQI and assessment and nothing outside it; the CLI's answers through the running
server match the API's.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery"
CHAOYANG = {"Aotizhongxin", "Nongzhanguan"}  # the sample's stations in 110105
OTHER = "Wanliu"  # Haidian, 110108


def cli(data_dir: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ECOHUB_DATA_DIR": str(data_dir), "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "ecohub.cli.main", *args],
        env=env, capture_output=True, text=True, timeout=300, input=stdin,
    )  # fmt: skip


def sample_slice(tmp: Path) -> tuple[Path, Path]:
    """The sample's station list, and January 2014 of three of its stations."""
    data = resources.files("ecohub.sample").joinpath("data")
    with resources.as_file(data.joinpath("prsa_hourly.parquet")) as hourly:
        t = pq.read_table(hourly)
    keep = pc.and_(
        pc.is_in(t["station"], value_set=__import__("pyarrow").array([*CHAOYANG, OTHER])),
        pc.equal(pc.strftime(t["time_local"], "%Y-%m"), "2014-01"),
    )
    part = tmp / "jan2014.parquet"
    pq.write_table(t.filter(keep), part)
    with resources.as_file(data.joinpath("stations.csv")) as st:
        stations = tmp / "stations.csv"
        stations.write_bytes(st.read_bytes())
    return stations, part


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[tuple[Path, str, subprocess.Popen[str]]]:
    data = tmp_path / "data"
    env = {**os.environ, "ECOHUB_DATA_DIR": str(data), "ECOHUB_HJ212_HOST": "127.0.0.1"}
    # The analyst is created before the server starts (the CLI then runs the app in-process),
    # in the store of an earlier start (with none, only a load or `ecohub up` makes one).
    from ecohub.store.db import connect

    connect(data / "ecohub.duckdb").close()
    added = cli(data, "user", "add", "ana", "--role", "analyst", "--region", "110105",
                "--password-stdin", stdin=PASSWORD + "\n")  # fmt: skip
    assert added.returncode == 0, added.stderr
    proc = subprocess.Popen(
        [sys.executable, "-m", "ecohub.cli.main", "up", "--no-sample", "--simulate", "2",
         "--hj212-port", "0", "--http-port", "0"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        state = data / "server.json"
        deadline = time.monotonic() + 120
        while not state.exists():
            assert proc.poll() is None, proc.stderr.read()  # type: ignore[union-attr]
            assert time.monotonic() < deadline, "ecohub up did not come up"
            time.sleep(0.2)
        time.sleep(0.3)
        yield data, json.loads(state.read_text())["http"], proc
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        assert "stopped." in out


def _wait_job(client: httpx.Client, job: dict[str, Any]) -> dict[str, Any]:
    deadline = time.monotonic() + 240
    while job["state"] in ("queued", "running"):
        assert time.monotonic() < deadline, job
        time.sleep(0.3)
        job = client.get(f"/api/v1/jobs/{job['id']}").json()
    return job


def test_district_analyst_sees_the_district_and_nothing_else(
    platform: tuple[Path, str, subprocess.Popen[str]], tmp_path: Path
) -> None:
    data, url, _ = platform
    stations, part = sample_slice(tmp_path)
    # Loads through the running server (the CLI finds server.json and the local credential).
    loaded = cli(data, "load", "stations", str(stations))
    assert loaded.returncode == 0, loaded.stderr
    assert "12 stations stored" in loaded.stdout
    loaded = cli(data, "load", "observations", str(part))
    assert loaded.returncode == 0, loaded.stderr
    assert "values stored" in loaded.stdout

    cred = (data / "local.credential").read_text().strip()
    admin = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {cred}"}, timeout=60)
    job = admin.post("/api/v1/jobs", json={"kind": "air-compute"})
    assert job.status_code == 202, job.text
    done = _wait_job(admin, job.json())
    assert done["state"] == "done", done
    assert done["result"]["written"]["air_daily"] > 0, done["result"]

    login = httpx.post(url + "/api/v1/auth/token", data={"username": "ana", "password": PASSWORD})
    assert login.status_code == 200, login.text
    ana = httpx.Client(
        base_url=url, headers={"Authorization": f"Bearer {login.json()['access_token']}"},
        timeout=60,
    )  # fmt: skip

    daily = ana.get("/api/v1/air/aqi/daily", params={"from": "2014-01-01", "to": "2014-01-31"})
    assert daily.status_code == 200, daily.text
    codes = {r["code"] for r in daily.json()["items"]}
    assert codes == CHAOYANG
    every = admin.get("/api/v1/air/aqi/daily", params={"from": "2014-01-01", "to": "2014-01-31",
                                                       "limit": 10000}).json()["items"]  # fmt: skip
    assert {r["code"] for r in every if r["code"] in CHAOYANG | {OTHER}} == CHAOYANG | {OTHER}
    mine = [r for r in every if r["code"] in CHAOYANG]
    assert sorted(daily.json()["items"], key=lambda r: (r["code"], r["date"])) == sorted(
        mine, key=lambda r: (r["code"], r["date"])
    )  # the same rows the admin sees for them

    assessed = ana.get("/api/v1/air/assessments", params={"year": 2014})
    assert assessed.status_code == 200, assessed.text
    assert {r["code"] for r in assessed.json()["days"]} == CHAOYANG
    assert {r["code"] for r in assessed.json()["stats"]} == CHAOYANG
    # 达标 per pollutant: with January alone no annual statistic is valid (HJ 663 needs 324
    # days), so none is judged; each still stands beside its GB 3095-2012 class-2 limit.
    pm25 = [r for r in assessed.json()["compliance"] if r["pollutant"] == "PM2.5"]
    assert {r["code"] for r in pm25} == CHAOYANG
    assert all(r["meets"] is None and r["statistics"] == 2 for r in pm25), pm25
    limits = {
        (r["statistic"], r["limit"], r["meets"])
        for r in assessed.json()["stats"]
        if r["pollutant"] == "PM2.5"
    }
    assert limits == {("mean", 35, None), ("p95", 75, None)}
    # Beijing's city figures include other districts: not shown to a district analyst.
    city = ana.get("/api/v1/air/assessments", params={"year": 2014, "scope": "city"})
    assert city.json()["days"] == []

    # Outside the district: exactly the answer for a station that does not exist.
    outside = ana.get(f"/api/v1/stations/{OTHER}")
    unknown = ana.get("/api/v1/stations/NoSuchStation")
    assert outside.status_code == unknown.status_code == 404
    assert outside.json()["title"] == unknown.json()["title"]
    other = ana.get("/api/v1/air/aqi/daily", params={"station": OTHER})
    nosuch = ana.get("/api/v1/air/aqi/daily", params={"station": "NoSuchStation"})
    assert other.status_code == nosuch.status_code == 400
    assert other.json()["detail"].replace(OTHER, "X") == nosuch.json()["detail"].replace(
        "NoSuchStation", "X"
    )
    assert ana.get("/api/v1/observations", params={"station": OTHER}).json()["items"] == []
    obs = ana.get("/api/v1/observations", params={"region": "110108"}).json()
    assert obs["items"] == [] and obs["next_cursor"] is None
    listed = ana.get("/api/v1/stations").json()["items"]
    assert {s["station_id"] for s in listed} == CHAOYANG
    # An analyst may not start jobs or change device policy.
    assert ana.post("/api/v1/jobs", json={"kind": "air-compute"}).status_code == 403

    # HJ 212 data keeps arriving meanwhile.
    def answered() -> float:
        text = admin.get("/metrics").text
        lines = [ln for ln in text.splitlines() if ln.startswith("ecohub_hj212_answers_sent_total")]
        return float(lines[0].split()[-1]) if lines else 0.0

    before = answered()
    deadline = time.monotonic() + 60
    while answered() <= before:
        assert time.monotonic() < deadline, "no HJ 212 answers while the API was in use"
        time.sleep(0.5)

    # The CLI gives the same answers through the running server.
    devices = admin.get("/api/v1/hj212/devices").json()
    shown = cli(data, "hj212", "devices", "--json")
    assert shown.returncode == 0, shown.stderr
    assert {json.loads(x)["mn"] for x in shown.stdout.splitlines()} == {d["mn"] for d in devices}


def test_admin_and_supervision_commands_work_while_the_server_runs(
    platform: tuple[Path, str, subprocess.Popen[str]],
) -> None:
    data, url, _ = platform
    # Users, keys and the audit log: once "store in use", now through the running server.
    added = cli(data, "user", "add", "insp", "--role", "inspector", "--region", "110105",
                "--password-stdin", stdin=PASSWORD + "\n")  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert "added insp (inspector, 110105)" in added.stdout
    listed = cli(data, "user", "list", "--json")
    assert {json.loads(x)["name"] for x in listed.stdout.splitlines()} == {"ana", "insp"}
    key = cli(data, "apikey", "create", "--user", "insp")
    assert key.returncode == 0 and key.stdout.startswith("ehk_"), key.stderr
    insp = httpx.Client(
        base_url=url, headers={"Authorization": f"Bearer {key.stdout.strip()}"}, timeout=60
    )
    assert insp.get("/api/v1/me").json()["role"] == "inspector"
    verified = cli(data, "audit", "verify")
    assert verified.returncode == 0 and "audit log intact" in verified.stdout, verified.stderr
    shown = cli(data, "audit", "show", "--json", "--user", "local")
    routes = [json.loads(x)["route"] for x in shown.stdout.splitlines()]
    assert "/api/v1/users" in routes and "/api/v1/apikeys" in routes
    assert PASSWORD not in shown.stdout
    # Supervision and review: jobs and listings through the same door.
    day = ["--from", "2014-01-01", "--to", "2014-01-01"]
    detected = cli(data, "supervise", "detect", *day)
    assert detected.returncode == 0, detected.stderr
    assert json.loads(detected.stdout)["from"] == "2014-01-01T00:00:00+08:00"
    anomalies = cli(data, "supervise", "anomalies", "--format", "json")
    assert anomalies.returncode == 0 and isinstance(json.loads(anomalies.stdout), list)
    reviewed = cli(data, "review", "run", *day)
    assert reviewed.returncode == 0, reviewed.stderr
    flags = cli(data, "review", "flags", "--format", "csv")
    assert flags.returncode == 0, flags.stderr
    header = "\ufeffstation_id,parameter,period,time,value,rule,reason,status"  # BOM: for Excel
    assert flags.stdout.startswith(header)
