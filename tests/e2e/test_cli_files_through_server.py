"""The CLI's file loads while ``ecohub up`` runs (a real process, port 0): the server's jobs
read only its import folder, yet ``ecohub load …`` still loads a file from anywhere its user
can read, and prints what it prints with no server running, rejects included, written where
they are written then (cli/server_files.py).

Two stores: one loaded by the CLI alone, one through the running server, the same files.
"""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.platform_up import ecohub_up

pytestmark = pytest.mark.e2e

# One good station and one whose longitude is out of range.
STATIONS = "station,name,region_code,lon,lat\nX1,甲,110105,116.4,39.9\nX2,乙,110105,999,39.9\n"
# Permit limits of sources the store does not know: every row rejected.
PERMITS = [
    ["permit_no", "source_code", "outlet_code", "pollutant", "limit", "unit", "period"],
    ["P1", "S9", "DA001", "a21026", "35", "mg/m3", "hour"],
    ["P2", "S8", "DA001", "a21026", "35", "mg/m3", "hour"],
]


def cli(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ECOHUB_DATA_DIR": str(data), "ECOHUB_HJ212_HOST": "127.0.0.1",
           "COLUMNS": "200"}  # fmt: skip
    env.pop("ECOHUB_DB_PATH", None)
    return subprocess.run([sys.executable, "-m", "ecohub.cli.main", *args],
                          env=env, capture_output=True, text=True, timeout=300)  # fmt: skip


def same(out: str) -> str:
    """The output without what differs between any two runs: the seconds a load took, the
    note of the first load alone that it made a new store, and Python's warnings about
    libraries (the in-process app imports the test client)."""
    out = re.sub(r"in \d+\.\d s", "in _ s", out)
    out = re.sub(r"^note: no running server found for .*: creating a new store there\n", "", out,
                 flags=re.M)  # fmt: skip
    return re.sub(r"^\S+: \w*Warning: .*\n(  .*\n)?", "", out, flags=re.M)


def run_all(data: Path, home: Path) -> dict[str, tuple[int, str, str, bytes | None]]:
    """Each command's exit code, output, error output and the reject file it left."""
    stations, permits = home / "站点 一月.csv", home / "permits.csv"
    stations.write_text(STATIONS, encoding="utf-8")
    with permits.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(PERMITS)
    mine = home / "out" / "mine.rejects.csv"
    commands = {
        "stations": (("load", "stations", str(stations)), home / "站点 一月.csv.rejects.csv"),
        "reject": (("load", "stations", str(stations), "--force", "--reject", str(mine)), mine),
        "permits": (("load", "permits", str(permits)), home / "permits.csv.rejects.csv"),
        "a folder as reject": (
            ("load", "stations", str(stations), "--force", "--reject", str(home)),
            None,
        ),
    }
    got = {}
    for name, (args, written) in commands.items():
        done = cli(data, *args)
        left = None
        if written is not None and written.exists():
            left = written.read_bytes()
            written.unlink()
        got[name] = (done.returncode, same(done.stdout), same(done.stderr), left)
    return got


def test_loads_through_the_server_take_the_users_files_and_print_the_same(tmp_path: Path) -> None:
    home = tmp_path / "home"  # the user's files: no import folder of any server
    home.mkdir()
    alone = run_all(tmp_path / "alone", home)
    assert alone["stations"][0] == 0, alone["stations"]
    assert "1 stations stored (1 new" in alone["stations"][1]
    assert f"rejects: {home / '站点 一月.csv.rejects.csv'}" in alone["stations"][1]
    assert alone["stations"][3] is not None and b'"999"' in alone["stations"][3]
    assert alone["permits"][0] == 0 and json.loads(alone["permits"][1])["rejected"] == 2
    assert alone["a folder as reject"][0] == 1
    assert "is a directory" in alone["a folder as reject"][2]

    data = tmp_path / "served"
    with ecohub_up(data, "--no-sample", env={**os.environ, "ECOHUB_DATA_DIR": str(data),
                                             "ECOHUB_HJ212_HOST": "127.0.0.1"}) as up:  # fmt: skip
        state = json.loads((data / "server.json").read_text(encoding="utf-8"))
        imports, rejects = Path(state["imports"]), Path(state["rejects"])
        assert imports == (data / "import").resolve() and rejects == (data / "rejects").resolve()
        assert (imports.stat().st_mode & 0o777, rejects.stat().st_mode & 0o777) == (0o700, 0o700)
        served = run_all(data, home)
        # The copies in the import folder are gone, and the rejects came home.
        assert list(imports.iterdir()) == []
        assert list(rejects.iterdir()) == []
        assert up.url
    assert up.returncode == 0, up.err
    for name, answer in alone.items():
        assert served[name] == answer, name
    # The lineage names the user's file, not the copy the job read (walk J, finding 8); the
    # same as a load without a server records.
    assert (
        _lineage_paths(data)
        == _lineage_paths(tmp_path / "alone")
        == {str((home / "站点 一月.csv").resolve())}
    )


def _lineage_paths(data: Path) -> set[str]:
    """The paths the station loads' lineage gives their files."""
    import duckdb

    with duckdb.connect(str(data / "ecohub.duckdb"), read_only=True) as con:
        rows = con.execute(
            "SELECT DISTINCT json_extract_string(i.detail, '$.path') FROM catalog_run_input i "
            "JOIN catalog_run r USING (run_id) WHERE i.input_kind = 'file' AND r.kind = 'load'"
        ).fetchall()
    return {r[0] for r in rows}
