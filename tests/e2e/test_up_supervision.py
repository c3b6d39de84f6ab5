"""`ecohub up --simulate 4`: within a minute of start the platform has found its misbehaving
simulated outlets (stuck analyser, faked flat line) and the exceedance of the demo permit."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from ecohub.access.principal import SYSTEM
from ecohub.ingest.simulator import demo_outlets
from ecohub.store.db import connect
from ecohub.supervision.listings import anomalies, exceedances

pytestmark = pytest.mark.e2e


def test_up_simulate_finds_the_misbehaving_outlets(tmp_path: Path) -> None:
    env = {**os.environ, "ECOHUB_DATA_DIR": str(tmp_path), "ECOHUB_HTTP_HOST": "127.0.0.1",
           "ECOHUB_HJ212_HOST": "127.0.0.1", "COLUMNS": "200"}  # fmt: skip
    proc = subprocess.Popen(
        [sys.executable, "-m", "ecohub.cli.main", "up", "--simulate", "4", "--no-sample",
         "--hj212-port", "0", "--http-port", "0"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    out: list[str] = []
    backfilled = threading.Event()

    def read() -> None:
        for line in proc.stdout:  # type: ignore[union-attr]
            out.append(line)
            if "backfilled" in line:
                backfilled.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert backfilled.wait(60), "no backfill within 60 s:\n" + "".join(out)
        # a few live packets and silence checks (once a second) after the backfill: the
        # outlets are talking, none may be reported silent
        time.sleep(5)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=120)
    reader.join(10)
    assert proc.returncode == 0, "".join(out)
    stuck, flat, exceed, normal = (d.mn for d in demo_outlets(4))
    con = connect(tmp_path / "ecohub.duckdb")
    try:
        found = {(a["mn"], a["rule"], a["pollutant"]) for a in anomalies(con, SYSTEM)}
        events = exceedances(con, SYSTEM)
        emission = con.execute("SELECT min(data_time), max(data_time) FROM emission").fetchone()
    finally:
        con.close()
    assert (stuck, "constant", "a21026") in found
    assert (flat, "drop_flat", "a21026") in found
    assert {(e["mn"], e["pollutant"]) for e in events} == {(exceed, "a21026")}
    # the healthy outlet has no finding at all, and no outlet was silent (they all kept sending)
    assert not any(mn == normal for mn, _, _ in found), sorted(found)
    assert not any(rule == "silent" for _, rule, _ in found), sorted(found)
    # the simulated emission amounts are concentration x flow volume: no rate_mismatch alarm
    assert not any(rule == "rate_mismatch" for _, rule, _ in found), sorted(found)
    # the data times are the last hours, not 1966 (the simulator's old clock bug)
    assert emission is not None
    assert time.time() - emission[0].timestamp() < 10 * 3600
    assert abs(time.time() - emission[1].timestamp()) < 600
