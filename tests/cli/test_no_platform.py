"""A command run where neither a running server nor a store is found (walk J finding 1): a
second terminal in another folder must not make a new, empty store and report success; a
loader may begin a store, and says so; the in-process client prints no Starlette warning."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import ecohub
from ecohub.store.db import connect

SRC = str(Path(ecohub.__file__).resolve().parents[1])  # this checkout's code, from any folder

PASSWORD = "walk-tester-Quartz-19-Harbor\n"


def ecohub(cwd: Path, *args: str, stdin: str = "", **env: str) -> subprocess.CompletedProcess[str]:
    """``ecohub ARGS`` in a fresh interpreter run in ``cwd`` with no ECOHUB_* setting but
    ``env``: (exit code, stdout, stderr) as a second terminal would see them."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("ECOHUB_")}
    environ.update(env, COLUMNS="200", PYTHONPATH=SRC)
    return subprocess.run(
        [sys.executable, "-m", "ecohub.cli.main", *args],
        cwd=cwd, env=environ, input=stdin, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_user_add_in_another_folder_is_refused_and_makes_nothing(tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    r = ecohub(other, "user", "add", "lost", "--role", "admin", "--password-stdin",
               stdin=PASSWORD)  # fmt: skip
    assert r.returncode != 0 and r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith(
        f"error: no running server and no store were found at {other / 'ecohub-data'}: "
    )
    assert "ECOHUB_DATA_DIR" in lines[0] and "`ecohub up`" in lines[0]
    assert list(other.iterdir()) == []  # no ecohub-data, no store, no secret


def test_other_commands_are_refused_too_naming_a_set_data_folder(tmp_path: Path) -> None:
    data = tmp_path / "mistyped"
    for args in (("hj212", "devices"), ("lake", "compact"), ("user", "list")):
        r = ecohub(tmp_path, *args, ECOHUB_DATA_DIR=str(data))
        assert r.returncode == 1, (args, r.stdout, r.stderr)
        assert r.stderr.startswith(f"error: no running server and no store were found at {data}")
        assert "Traceback" not in r.stderr and not data.exists()


def test_a_loader_begins_a_store_and_says_so(tmp_path: Path) -> None:
    stations = tmp_path / "st.csv"
    stations.write_text("station_id,name,region_code,lon,lat\nWJ009,测试站九,110105,116.45,39.92\n")
    r = ecohub(tmp_path, "load", "stations", str(stations))
    assert r.returncode == 0, r.stderr
    store = tmp_path / "ecohub-data" / "ecohub.duckdb"
    assert r.stderr == (
        f"note: no running server found for {tmp_path / 'ecohub-data'} and no store at "
        f"{store}: creating a new store there\n"
    )
    assert "1 stations stored" in r.stdout and store.is_file()
    # The store is there now: the next command works in-process, and says nothing on stderr
    # (no note, no StarletteDeprecationWarning of the in-process client).
    again = ecohub(tmp_path, "user", "add", "first", "--role", "admin", "--password-stdin",
                   stdin=PASSWORD)  # fmt: skip
    assert again.returncode == 0 and again.stderr == "", again.stderr
    assert "added first" in again.stdout


def test_an_existing_store_is_used_in_process_without_a_warning(tmp_path: Path) -> None:
    connect(tmp_path / "ecohub.duckdb").close()
    r = ecohub(tmp_path, "hj212", "devices", ECOHUB_DATA_DIR=str(tmp_path))
    assert r.returncode == 0 and r.stderr == "", r.stderr
    assert "HJ 212 devices (0)" in r.stdout
