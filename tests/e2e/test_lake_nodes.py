"""The lake end to end: SIGKILL while compactions run under load, and two ingest nodes sharing
one lake with a device that moves between them and resends."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from ecohub.cst import CST
from ecohub.ingest.simulator import demo_devices, simulate
from ecohub.settings import Settings
from ecohub.store import lake
from ecohub.store.db import connect
from ecohub.store.lake_compact import compact, recover

pytestmark = pytest.mark.e2e

# Data times ten days back: every packet is settled (older than the 48 h default) at once, so
# the nodes compact while the devices are still sending.
START = (datetime.now(CST) - timedelta(days=10)).replace(minute=0, second=0, microsecond=0)


def start_node(data_dir: Path, lake_dir: Path, node: str) -> tuple[subprocess.Popen[bytes], int]:
    env = {**os.environ, "ECOHUB_DATA_DIR": str(data_dir), "ECOHUB_HTTP_HOST": "127.0.0.1",
           "ECOHUB_HJ212_HOST": "127.0.0.1", "ECOHUB_LAKE": str(lake_dir),
           "ECOHUB_NODE_ID": node, "ECOHUB_LAKE_COMPACT_EVERY_S": "0.3"}  # fmt: skip
    proc = subprocess.Popen(
        [sys.executable, "-m", "ecohub.cli.main", "up", "--role", "ingest", "--hj212-port", "0",
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
                running = json.loads(state.read_text())
                assert running["role"] == "ingest"  # what the CLI tells apart (no API)
                return proc, running["hj212"][1]
            except ValueError:
                pass
        time.sleep(0.1)
    proc.kill()
    raise AssertionError("ecohub up did not come up")


def settle(data_dir: Path, lake_dir: Path, node: str) -> tuple[Settings, object]:
    """Open a stopped node's store as the next start would: attach the lake, finish an
    interrupted compaction; then compact what is left."""
    s = Settings(data_dir=data_dir, lake=str(lake_dir), node_id=node)
    con = connect(s.database)
    assert lake.attach(con, s)
    recover(con, s)
    compact(con, s)
    return s, con


def duplicates(con: object) -> int:
    return con.execute(  # type: ignore[attr-defined]
        "SELECT count(*) - count(DISTINCT (mn, cn, data_time, pollutant)) FROM emission_all"
    ).fetchone()[0]


def missing(con: object, acked: list[tuple[str, str, str]]) -> int:
    con.execute("CREATE OR REPLACE TEMP TABLE acked (mn VARCHAR, cn VARCHAR, dt VARCHAR)")  # type: ignore[attr-defined]
    con.executemany("INSERT INTO acked VALUES (?, ?, ?)", acked)  # type: ignore[attr-defined]
    return con.execute(  # type: ignore[attr-defined]
        "SELECT count(*) FROM acked a WHERE NOT EXISTS (SELECT 1 FROM emission_all e "
        "WHERE e.mn = a.mn AND e.cn = a.cn AND strftime(e.data_time, '%Y%m%d%H%M%S') = a.dt)"
    ).fetchone()[0]


def test_sigkill_while_compacting_under_load_loses_and_doubles_nothing(tmp_path: Path) -> None:
    lake_dir = tmp_path / "lake"
    lake_dir.mkdir()  # a configured lake must exist (ecohub makes only its default one)
    proc, port = start_node(tmp_path / "a", lake_dir, "a")

    async def kill_while_compacting() -> None:
        # Once compactions are running (files in the lake), kill at the next few tenths.
        while not lake.paths(Settings(lake=str(lake_dir)), "emission"):
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.4)
        os.kill(proc.pid, signal.SIGKILL)

    async def load() -> list[tuple[str, str, str]]:
        killer = asyncio.create_task(kill_while_compacting())
        rep = await simulate("127.0.0.1", port, 40, rate=0, duration=8, record=True, window=4,
                             answer_timeout=1.0, start=START)  # fmt: skip
        killer.cancel()
        return rep.acked_keys

    acked = asyncio.run(load())
    proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL
    assert len(acked) > 100, "the load should have been under way when the node died"
    assert lake.paths(Settings(lake=str(lake_dir)), "emission"), "no compaction ran under load"
    _, con = settle(tmp_path / "a", lake_dir, "a")
    assert missing(con, acked) == 0
    assert duplicates(con) == 0
    assert con.execute("SELECT count(*) FROM emission").fetchone() == (0,)  # type: ignore[attr-defined]


def test_two_ingest_nodes_one_lake_device_moves_and_resends(tmp_path: Path) -> None:
    lake_dir = tmp_path / "lake"
    lake_dir.mkdir()
    a, port_a = start_node(tmp_path / "a", lake_dir, "a")
    b, port_b = start_node(tmp_path / "b", lake_dir, "b")
    devs = demo_devices(10, prefix="TWO")
    try:

        async def load() -> tuple[list[tuple[str, str, str]], list[tuple[str, str, str]]]:
            # The same devices, the same packets from the same start: first to node a, then,
            # after a reconnect, all again (and more) to node b, while both compact.
            first = await simulate("127.0.0.1", port_a, devs, rate=20, duration=1.5, record=True,
                                   window=2, start=START)  # fmt: skip
            await asyncio.sleep(0.7)  # node a compacts some of it
            second = await simulate("127.0.0.1", port_b, devs, rate=20, duration=3.0,
                                    record=True, window=2, start=START)  # fmt: skip
            return first.acked_keys, second.acked_keys

        acked_a, acked_b = asyncio.run(load())
    finally:
        for p in (a, b):
            p.send_signal(signal.SIGTERM)
        for p in (a, b):
            p.wait(timeout=60)
    assert len(acked_a) > 50 and len(acked_b) > len(acked_a)
    assert set(acked_a) <= set(acked_b), "node b should have been sent every packet again"
    _, con_a = settle(tmp_path / "a", lake_dir, "a")
    con_a.close()  # type: ignore[attr-defined]
    _, con_b = settle(tmp_path / "b", lake_dir, "b")
    files = lake.paths(Settings(lake=str(lake_dir)), "emission")
    assert {Path(f).name.split("-")[0] for f in files} == {"a", "b"}, "both nodes wrote the lake"
    assert missing(con_b, acked_b) == 0
    assert duplicates(con_b) == 0
    # Every row of the devices is in the lake once: the hot stores of both nodes are empty.
    assert con_b.execute("SELECT count(*) FROM emission").fetchone() == (0,)  # type: ignore[attr-defined]
