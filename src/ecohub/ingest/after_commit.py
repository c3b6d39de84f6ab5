"""Work done on committed HJ 212 batches, off the writer's thread (the anomaly detector).

The writer hands each committed batch to :meth:`AfterCommit.submit` (a queue put, so answers and
the next commit never wait); one thread here calls the consumers with its own DuckDB cursor,
calls ``tick`` about every ``tick_s`` seconds (also when no data comes: silent devices), and on
:meth:`close` works off what is queued and calls ``flush``. A consumer that raises is logged and
counted; the batch is already stored and answered.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import duckdb

from ecohub.cst import CST

__all__ = ["AfterCommit"]

log = logging.getLogger(__name__)

Cursor = duckdb.DuckDBPyConnection


class AfterCommit:
    """One thread feeding committed batches to ``on_batch(cursor, batch)``."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        on_batch: Callable[[Cursor, list[Any]], Any],
        *,
        tick: Callable[[Cursor, datetime], Any] | None = None,
        flush: Callable[[Cursor], Any] | None = None,
        tick_s: float = 1.0,
    ) -> None:
        self._cur = con.cursor()
        # A cursor does not inherit the store connection's zone: the detectors' days (daily
        # limits, day rules, permits in force) are China Standard Time days, as in a batch run.
        self._cur.execute("SET TimeZone = 'Asia/Shanghai'")
        self._on_batch = on_batch
        self._tick = tick
        self._flush = flush
        self._tick_s = tick_s
        self._queue: queue.SimpleQueue[list[Any] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="ecohub-after-commit", daemon=True)
        self.errors = 0
        self.batches = 0

    def start(self) -> None:
        self._thread.start()

    def submit(self, batch: list[Any]) -> None:
        """The writer's hook: queue one committed batch (returns at once)."""
        self._queue.put(batch)

    def close(self, timeout: float | None = 60.0) -> None:
        """Work off the queue, flush, end the thread, close the cursor."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join(timeout)
            if self._thread.is_alive():  # still judging a backlog: leave its cursor open
                log.error("after-commit work still running after %s s; not waited for", timeout)
                return
        self._cur.close()

    def depth(self) -> int:
        """Committed batches not yet handed to the consumer (a backlog means it lags)."""
        return self._queue.qsize()

    def _call(self, fn: Callable[..., Any], *args: Any) -> None:
        try:
            fn(self._cur, *args)
        except Exception:
            self.errors += 1
            log.exception("after-commit work failed")

    def _run(self) -> None:
        next_tick = time.monotonic() + self._tick_s
        while True:
            try:
                batch = self._queue.get(timeout=max(0.0, next_tick - time.monotonic()))
            except queue.Empty:
                batch = []
            if batch is None:
                break
            if batch:
                self.batches += 1
                self._call(self._on_batch, batch)
            if self._tick is not None and time.monotonic() >= next_tick:
                self._call(self._tick, datetime.now(CST))
                next_tick = time.monotonic() + self._tick_s
        if self._flush is not None:
            self._call(self._flush)
