"""CLI commands beside a running ``ecohub up`` (a real process, port 0), walk J findings 2, 3,
4 and 9: a lake named to ``lake compact`` that the server does not use is refused (exit 2),
``hj212 simulate`` finds the server's HJ 212 port and sends under MNs of its own, and the
server's log lines stay whole in a redirected log."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ecohub.ingest.simulator import demo_outlets
from tests.platform_up import Up, ecohub_up

pytestmark = pytest.mark.e2e


def environ(**env: str) -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if not k.startswith("ECOHUB_")}
    out.pop("COLUMNS", None)  # the width of a log file: Rich's default 80
    return {**out, "ECOHUB_HJ212_HOST": "127.0.0.1", **env}


def cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ecohub.cli.main", *args],
                          env=environ(COLUMNS="200", **env), capture_output=True, text=True,
                          timeout=300)  # fmt: skip


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Up]]:
    data = tmp_path_factory.mktemp("j") / "data"
    with ecohub_up(data, "--no-sample", "--simulate", "2", "--history-hours", "0",
                   env=environ(ECOHUB_DATA_DIR=str(data))) as up:  # fmt: skip
        yield data, up


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def test_lake_compact_refuses_a_missing_lake_while_a_server_runs(
    served: tuple[Path, Up], tmp_path: Path
) -> None:
    data, _ = served
    missing = tmp_path / "nolake"
    r = cli("lake", "compact", ECOHUB_DATA_DIR=str(data), ECOHUB_LAKE=str(missing))
    assert r.returncode == 2 and "moved to the lake" not in r.stdout, r.stdout
    line = one_line(r.stderr)
    assert line.startswith(f"error: settings: lake (ECOHUB_LAKE): {missing}: no such directory")
    assert not missing.exists()


def test_lake_compact_refuses_a_lake_that_is_not_the_servers(
    served: tuple[Path, Up], tmp_path: Path
) -> None:
    data, up = served
    other = tmp_path / "shared-lake"
    other.mkdir()
    r = cli("lake", "compact", ECOHUB_DATA_DIR=str(data), ECOHUB_LAKE=str(other))
    assert r.returncode == 2, r.stdout
    line = one_line(r.stderr)
    server_lake = (data / "lake").resolve()  # the server's default lake, beside its store
    assert line.startswith(
        f"error: settings: lake (ECOHUB_LAKE): {other.resolve()}: not the "
        f"lake of the running server ({up.url}), which is {server_lake}"
    )
    assert list(other.iterdir()) == []
    # Naming the server's own lake is fine: the job runs there.
    same = cli("lake", "compact", ECOHUB_DATA_DIR=str(data), ECOHUB_LAKE=str(data / "lake"))
    assert same.returncode == 0 and same.stderr == "", same.stderr
    assert "emission: " in same.stdout


def _devices(data: Path) -> dict[str, dict[str, object]]:
    r = cli("hj212", "devices", "--json", ECOHUB_DATA_DIR=str(data))
    assert r.returncode == 0, r.stderr
    return {d["mn"]: d for d in map(json.loads, r.stdout.splitlines())}


def test_simulate_finds_the_servers_port_and_keeps_off_the_demo_outlets(
    served: tuple[Path, Up], tmp_path: Path
) -> None:
    data, _ = served
    port = json.loads((data / "server.json").read_text())["hj212"][1]
    assert port != 9212
    # From server.json of the data folder (no --port, no ECOHUB_HJ212_PORT) ...
    r = cli("hj212", "simulate", "--devices", "2", "--rate", "2", "--duration", "2",
            ECOHUB_DATA_DIR=str(data))  # fmt: skip
    assert r.returncode == 0, r.stderr
    # ... and from ECOHUB_HJ212_PORT where no server is found (another data folder).
    r = cli("hj212", "simulate", "--devices", "2", "--rate", "2", "--duration", "2",
            ECOHUB_DATA_DIR=str(tmp_path / "elsewhere"), ECOHUB_HJ212_PORT=str(port))  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "no unit could connect" not in r.stderr
    seen = _devices(data)
    load = ["LOAD00000000000000000000", "LOAD00000000000000000001"]
    assert all(mn in seen for mn in load), sorted(seen)
    # The demo outlets (flue gas, both) hold only flue-gas values: no waste-water code.
    for dev in demo_outlets(2):
        assert dev.medium == "gas"
        e = cli("hj212", "emissions", "--mn", dev.mn, "--format", "csv", "--all",
                ECOHUB_DATA_DIR=str(data))  # fmt: skip
        assert e.returncode == 0, e.stderr
        assert not re.search(r",w\d{5}", e.stdout), dev.mn


def test_up_log_lines_are_whole_in_a_redirected_log(tmp_path: Path) -> None:
    data = tmp_path / "data"
    # A store with an hour of observations and no air results: `up` computes them at start.
    stations, obs = tmp_path / "st.csv", tmp_path / "obs.csv"
    stations.write_text("station_id,name,region_code,lon,lat\nWJ009,九,110105,116.45,39.92\n")
    obs.write_text("station_id,time,PM2.5\nWJ009,2024-05-01 08:00,35\n")
    for args in (("load", "stations", str(stations)), ("load", "observations", str(obs))):
        assert cli(*args, ECOHUB_DATA_DIR=str(data)).returncode == 0
    with ecohub_up(data, "--no-sample", env=environ(ECOHUB_DATA_DIR=str(data))) as up:
        assert up.url
    assert up.returncode == 0, up.err
    lines = up.out.splitlines()
    job = [x for x in lines if "computing the air results" in x]
    assert len(job) == 1, up.out
    assert re.fullmatch(r"computing the air results in the background \(job [0-9a-f]{8,}\)",
                        job[0]), job  # fmt: skip
    assert any(x.startswith(f"store: {data / 'ecohub.duckdb'}  (open-file limit ") for x in lines)
