"""The writer's after-commit hook and the thread that feeds the anomaly detector from it."""

from __future__ import annotations

import threading
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb

from ecohub.ingest.after_commit import AfterCommit
from ecohub.ingest.metrics import IngestMetrics
from ecohub.ingest.work import Work
from ecohub.ingest.writer import StoreWriter
from ecohub.store.db import connect
from tests.ingest.test_writer import data_work


def test_hooks_see_committed_batches_after_the_answers_and_a_failing_one_is_contained(
    tmp_path: Path,
) -> None:
    con = connect(tmp_path / "s.duckdb")
    order: list[str] = []
    seen: list[list[Work]] = []

    def answered(batch: list[Work]) -> None:
        order.append("answers")

    def broken(batch: list[Work]) -> None:
        order.append("broken")
        raise RuntimeError("a consumer bug")

    def good(batch: list[Work]) -> None:
        order.append("hook")
        # the rows are committed when the hook runs: another cursor sees them
        n = con.cursor().execute("SELECT count(*) FROM emission").fetchone()
        assert n == (1,)
        seen.append(batch)

    w = StoreWriter(con, answered, IngestMetrics())
    w.after_commit += [broken, good]
    w.start()
    w.submit(data_work("MN1", "20260301115930", {"a21026": "35.2"}))
    w.stop()
    assert order == ["answers", "broken", "hook"]
    assert len(seen) == 1 and seen[0][0].mn == "MN1"
    assert w.committed_batches == 1
    con.close()


def test_after_commit_thread_feeds_ticks_and_flushes_on_close(tmp_path: Path) -> None:
    con = connect(tmp_path / "s.duckdb")
    calls: list[tuple[str, Any]] = []
    ticked = threading.Event()

    def on_batch(cur: duckdb.DuckDBPyConnection, batch: list[Any]) -> None:
        if batch == ["bad"]:
            raise ValueError("judging failed")
        calls.append(("batch", batch))

    def tick(cur: duckdb.DuckDBPyConnection, now: datetime) -> None:
        assert now.utcoffset() is not None  # an aware time, for the silence rule
        ticked.set()

    def flush(cur: duckdb.DuckDBPyConnection) -> None:
        calls.append(("flush", cur.execute("SELECT 1").fetchone()))

    feed = AfterCommit(con, on_batch, tick=tick, flush=flush, tick_s=0.01)
    feed.start()
    feed.submit(["bad"])
    feed.submit([1, 2])
    assert ticked.wait(30)
    feed.submit([3])
    feed.close()
    assert calls == [("batch", [1, 2]), ("batch", [3]), ("flush", (1,))]
    assert feed.errors == 1 and feed.batches == 3
    con.close()


def test_the_detector_cursor_cuts_china_standard_time_days(tmp_path: Path) -> None:
    # The stream's daily limits and day rules use date_trunc('day', ...): 07:30 Beijing time on
    # 22 Nov belongs to 22 Nov (a UTC cursor put it in the day that began 21 Nov 08:00 CST).
    con = connect(tmp_path / "s.duckdb")
    days: list[Any] = []

    def on_batch(cur: duckdb.DuckDBPyConnection, batch: list[Any]) -> None:
        days.append(
            cur.execute(
                "SELECT strftime(date_trunc('day', TIMESTAMPTZ '2026-11-22 07:30:00+08'), "
                "'%Y-%m-%d %H:%M %z'), TIMESTAMPTZ '2026-11-22 07:30:00+08'::DATE"
            ).fetchone()
        )

    feed = AfterCommit(con, on_batch)
    feed.start()
    feed.submit([1])
    feed.close()
    assert days == [("2026-11-22 00:00 +08", date(2026, 11, 22))]
    con.close()
