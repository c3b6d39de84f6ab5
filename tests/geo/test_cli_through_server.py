"""`ecohub geo …` while `ecohub up` owns the store: every command goes through the running server
(once "store … is in use by another process") and prints what it printed with no server running.
One server start (slow): the read commands run first in-process, then through the server, then
the writes (load, reorder, install) as jobs on the server."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ecohub.store.db import StoreError, connect
from tests.platform_up import ecohub_up

pytestmark = pytest.mark.e2e

READS = [
    ("geo", "list"),
    ("geo", "list", "--kind", "key_region"),
    ("geo", "county", "116.3975", "39.9087"),
    ("geo", "in", "110000", "--what", "sources", "--json"),
    ("geo", "in", "110101", "--what", "sources"),
    ("geo", "in", "--point", "116.4605,39.9087", "--distance", "500", "--what", "sources"),
    ("geo", "summary", "110000", "--what", "sources"),
    ("geo", "summary", "jjj-2+26", "--what", "air", "--from", "2024-01-01", "--to", "2024-01-31"),
]


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ecohub.cli.main", *args],
        env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def test_geo_commands_through_the_running_server(base_store: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(base_store, data / "ecohub.duckdb")  # boundaries and key regions installed
    con = connect(data / "ecohub.duckdb")
    con.executemany(
        "INSERT INTO source (source_code, region_code, industry, lon, lat) VALUES (?, ?, ?, ?, ?)",
        [("S1", "110101", "4411", 116.3975, 39.9087), ("S2", "110105", "4411", 116.4605, 39.9087)],
    )
    con.close()
    env = {**os.environ, "ECOHUB_DATA_DIR": str(data), "ECOHUB_HJ212_HOST": "127.0.0.1",
           "COLUMNS": "200"}  # fmt: skip
    env.pop("ECOHUB_DB_PATH", None)
    alone = {}
    for args in READS:
        r = cli(env, *args)
        assert r.returncode == 0, (args, r.stderr)
        alone[args] = r.stdout
    assert alone[READS[2]].strip() == "110101 东城区"
    assert {row["source_code"] for row in json.loads(alone[READS[3]])} == {"S1", "S2"}
    area = tmp_path / "area.geojson"
    ring = [[116.455, 39.905], [116.465, 39.905], [116.465, 39.915], [116.455, 39.915]]
    area.write_text(json.dumps({"type": "Polygon", "coordinates": [[*ring, ring[0]]]}))

    with ecohub_up(data, "--no-sample", env=env) as up:
        for args in READS:
            r = cli(env, *args)
            assert r.returncode == 0, (args, r.stderr)
            assert r.stdout == alone[args], args
        # Errors: one line on stderr naming the option, a non-zero exit.
        r = cli(env, "geo", "summary", "110000", "--what", "water")
        assert r.returncode == 1 and "--year: is required for what=water" in r.stderr, r.stderr
        r = cli(env, "geo", "county", "122.8", "31.0")
        assert r.returncode == 1 and "122.8,31 is in no county" in r.stderr, r.stderr
        # The writes are jobs on the server.
        r = cli(env, "geo", "load", str(area), "--name", "测试区", "--kind", "custom",
                "--code", "custom-test")  # fmt: skip
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout)["code"] == "custom-test"
        r = cli(env, "geo", "list", "--kind", "custom")
        assert "custom-test" in r.stdout and "测试区" in r.stdout, r.stdout
        r = cli(env, "geo", "in", "测试区", "--what", "sources", "--json")
        assert [row["source_code"] for row in json.loads(r.stdout)] == ["S2"], r.stderr
        r = cli(env, "geo", "reorder")
        assert r.returncode == 0 and json.loads(r.stdout) == {"sources": 2}, r.stderr
        r = cli(env, "geo", "install")
        assert r.returncode == 0 and json.loads(r.stdout)["regions"] > 3000, r.stderr
        # The server owns the store meanwhile: the CLI could not have opened it itself.
        with pytest.raises(StoreError, match="in use"):
            connect(data / "ecohub.duckdb")
        assert up.url
    assert up.returncode == 0, up.err
