"""The ``silent`` rule (a device silent past its interval) in the stream: silence is the time since
the device's newest packet of any kind arrived, not since the DataTime of its newest minute value.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from datetime import datetime, timedelta
from pathlib import Path

from ecohub.cst import CST
from ecohub.ingest.after_commit import AfterCommit
from ecohub.ingest.devices import register_device
from ecohub.ingest.hj212_server import Hj212Server
from ecohub.ingest.simulator import SimDevice, simulate
from ecohub.ingest.work import Work
from ecohub.settings import Settings
from ecohub.store.db import connect
from ecohub.supervision import Detector
from ecohub.supervision.service import select_rules
from tests.supervision.series import MN, store

NOW = datetime(2026, 3, 2, 10, 0, 5, tzinfo=CST)


def _minute(received_at: datetime, data_time: datetime) -> Work:
    """A 2051 upload of one SO2 minute value as the server hands it to the writer."""
    w = Work("data", received_at, "127.0.0.1:1", b"", mn=MN, st="31", cn="2051")
    w.data_time = data_time
    w.values = [("a21026", None, 30.0, 29.0, 31.0, None, None, None, "N", {}, False)]
    return w


def _beat(received_at: datetime) -> Work:
    """A packet that carries no minute value (a real-time 2011 upload, say)."""
    return Work("data", received_at, "127.0.0.1:1", b"", mn=MN, st="31", cn="2011")


def test_a_backlog_arriving_now_is_no_silence() -> None:
    # A unit resending its last hours (the `ecohub up` backfill, a logger's 补发) talks now,
    # although the DataTime of its newest minute value is hours old.
    con = store()
    det = Detector(flush_s=0, alerts=False)
    det.on_batch(con, [_minute(NOW, NOW - timedelta(hours=8) + i * timedelta(minutes=1))
                       for i in range(30)])  # fmt: skip
    assert det.check_silent(con, NOW + timedelta(seconds=1)) == 0
    # Packets without minute values keep it talking too (interval_s 60: 600 s allowed).
    det.on_batch(con, [_beat(NOW + timedelta(minutes=9))])
    assert det.check_silent(con, NOW + timedelta(minutes=18)) == 0
    assert det.check_silent(con, NOW + timedelta(minutes=20)) == 1
    (row,) = con.execute("SELECT start, \"end\" FROM anomaly WHERE rule = 'silent'").fetchall()
    assert row == (NOW + timedelta(minutes=9), NOW + timedelta(minutes=20))
    assert det.errors == 0


def test_a_live_outlet_is_not_silent_and_one_that_stops_is(tmp_path: Path) -> None:
    # Real server, real writer, the detector wired as `ecohub up` wires it; two simulated units
    # sending live real-time packets every second (a 2051 only at each minute mark). The
    # interval is 2 s here so that a few seconds are "long enough": 2 x 2 s, at least 5 s.
    talker = SimDevice("SILENT000000000000000001", "gas")
    quitter = SimDevice("SILENT000000000000000002", "gas")
    con = connect(tmp_path / "s.duckdb")
    for dev in (talker, quitter):
        register_device(con, dev.mn, st=dev.st, pw=dev.pw, interval_s=2)
    rules = [dataclasses.replace(r, threshold_2=5.0) if r.rule == "silent" else r
             for r in select_rules()]  # fmt: skip
    detector = Detector(rules, flush_s=0.5, alerts=False)
    after = AfterCommit(con, detector.on_batch, tick=detector.tick, flush=detector.flush,
                        tick_s=0.2)  # fmt: skip
    server = Hj212Server(con, Settings(data_dir=tmp_path, hj212_commit_interval_ms=2.0))
    server.writer.after_commit.append(after.submit)
    after.start()

    def silent() -> set[str]:
        cur = con.cursor()
        try:
            rows = cur.execute("SELECT DISTINCT mn FROM anomaly WHERE rule = 'silent'")
            return {mn for (mn,) in rows.fetchall()}
        finally:
            cur.close()

    async def run() -> set[str]:
        _, port = await server.start("127.0.0.1", 0)
        try:
            began = time.monotonic()
            talking = asyncio.create_task(
                simulate("127.0.0.1", port, [talker], rate=1.0, duration=14.0, live=True)
            )
            stopped = await simulate("127.0.0.1", port, [quitter], rate=1.0, duration=2.0,
                                     live=True, seed=7)  # fmt: skip
            assert stopped.acked >= 1
            # 11 s in, the talker has streamed for twice the allowance and is still at it;
            # the quitter has been quiet for 9 s
            await asyncio.sleep(max(0.0, began + 11.0 - time.monotonic()))
            seen = silent()
            report = await talking
            assert report.acked >= 10 and report.unanswered == 0
            return seen
        finally:
            await server.stop()

    try:
        seen = asyncio.run(run())
    finally:
        after.close()
        detector.close()
        con.close()
    assert seen == {quitter.mn}
    assert detector.errors == 0
