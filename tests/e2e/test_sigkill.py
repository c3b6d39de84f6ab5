"""Killing the server with SIGKILL mid-load loses no acknowledged packet."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ecohub.ingest.simulator import simulate
from ecohub.store.db import connect

pytestmark = pytest.mark.e2e


def start_platform(data_dir: Path) -> tuple[subprocess.Popen[bytes], dict]:  # type: ignore[type-arg]
    env = {**os.environ, "ECOHUB_DATA_DIR": str(data_dir), "ECOHUB_HTTP_HOST": "127.0.0.1",
           "ECOHUB_HJ212_HOST": "127.0.0.1"}  # fmt: skip
    proc = subprocess.Popen(
        [sys.executable, "-m", "ecohub.cli.main", "up", "--no-sample", "--hj212-port", "0",
         "--http-port", "0"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    state = data_dir / "server.json"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"ecohub up exited: {proc.stderr.read().decode()}")  # type: ignore[union-attr]
        if state.exists():
            try:
                return proc, json.loads(state.read_text())
            except ValueError:
                pass
        time.sleep(0.1)
    proc.kill()
    raise AssertionError("ecohub up did not come up")


def test_sigkill_mid_load_loses_no_acknowledged_packet(tmp_path: Path) -> None:
    proc, state = start_platform(tmp_path)
    port = state["hj212"][1]

    async def load() -> list[tuple[str, str, str]]:
        loop = asyncio.get_running_loop()
        loop.call_later(1.5, os.kill, proc.pid, signal.SIGKILL)
        report = await simulate("127.0.0.1", port, 40, rate=0, duration=3.0, record=True,
                                window=4, answer_timeout=1.0)  # fmt: skip
        return report.acked_keys

    acked = asyncio.run(load())
    proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL
    assert len(acked) > 100, "the load should have been under way when the server died"
    con = connect(tmp_path / "ecohub.duckdb")
    con.execute("CREATE TEMP TABLE acked (mn VARCHAR, cn VARCHAR, dt VARCHAR)")
    con.executemany("INSERT INTO acked VALUES (?, ?, ?)", acked)
    missing = con.execute(
        """
        SELECT count(*) FROM acked a WHERE NOT EXISTS (
            SELECT 1 FROM emission e WHERE e.mn = a.mn AND e.cn = a.cn
              AND strftime(e.data_time, '%Y%m%d%H%M%S') = a.dt)
        """
    ).fetchone()[0]
    assert missing == 0
    con.close()
