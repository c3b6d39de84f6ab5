"""One background writer for the audit entries of API requests: many entries per commit.

A commit of the store costs a WAL sync (about 10 ms on the test machine), so one commit per
request would cap the API at ~100 audited requests/s. The writer takes entries from a queue
and appends whatever has gathered while the previous commit ran, in one transaction — the same
group commit as the HJ 212 writer. Order is kept: entries are chained in the order submitted.

Two kinds of entries go through it:

- *durable* ones (writes, exports, refused credentials): :meth:`submit` gets an ``on_commit``
  callback and the API holds the response until it is called, so an answered write or export
  is always in the log, even after a SIGKILL. Concurrent durable entries share one commit.
- *batched* ones (non-open reads): committed within :data:`READ_LINGER_S` (50 ms) plus one
  commit *after* the response, so a SIGKILL can lose the read entries of that last window (a
  clean stop flushes them: :meth:`close`). That window is documented in docs/api.md.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from pathlib import Path

import duckdb

from ecohub.access.audit import Entry, append, head_path

log = logging.getLogger(__name__)

MAX_BATCH = 2000
#: How long a batch of read entries waits for more before its commit. A commit costs a WAL
#: sync and DuckDB's commit work whether it holds one entry or a hundred; under load, reads
#: arriving a few ms apart would otherwise each pay one. A SIGKILL can lose at most this
#: window of read entries (plus the commit in flight); durable entries never wait for it.
READ_LINGER_S = 0.05
_Item = Entry | tuple[Entry, Callable[[bool], None]] | threading.Event | None


class AuditWriter:
    """Appends submitted entries from one thread, in submission order."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self._cur = con.cursor()
        self._head_file: Path | None = head_path(self._cur)
        self._queue: queue.SimpleQueue[_Item] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="audit-writer", daemon=True)
        self._closed = False
        self._thread.start()

    def submit(self, entry: Entry, on_commit: Callable[[bool], None] | None = None) -> None:
        """Queue ``entry``; it is committed within one commit's time (never blocks).

        ``on_commit(ok)`` is called from the writer's thread once the commit that holds the
        entry has ended (``ok`` False when it failed: the entry is then only in the log)."""
        if self._closed:
            raise RuntimeError("audit writer is closed")
        self._queue.put(entry if on_commit is None else (entry, on_commit))

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until everything submitted so far is committed; False on timeout."""
        done = threading.Event()
        self._queue.put(done)
        return done.wait(timeout)

    def close(self, timeout: float = 10.0) -> None:
        """Commit what is queued and stop the thread."""
        if self._closed:
            return
        self._closed = True
        self._queue.put(None)
        self._thread.join(timeout)
        self._cur.close()

    def _run(self) -> None:
        stop = False
        while not stop:
            item = self._queue.get()
            batch: list[Entry] = []
            events: list[threading.Event] = []
            callbacks: list[Callable[[bool], None]] = []
            # A batch of reads only waits up to READ_LINGER_S for more entries; anything that
            # someone waits for (a durable entry, a flush, the stop) ends the wait at once.
            linger_until = time.monotonic() + READ_LINGER_S
            while True:
                if item is None:
                    stop = True
                elif isinstance(item, threading.Event):
                    events.append(item)
                elif isinstance(item, tuple):
                    batch.append(item[0])
                    callbacks.append(item[1])
                else:
                    batch.append(item)
                if len(batch) >= MAX_BATCH:
                    break
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    wait = linger_until - time.monotonic()
                    if stop or events or callbacks or wait <= 0:
                        break
                    try:
                        item = self._queue.get(timeout=wait)
                    except queue.Empty:
                        break
            ok = self._write(batch)
            for callback in callbacks:
                try:
                    callback(ok)
                except Exception:
                    log.exception("audit: a commit callback failed")
            for event in events:
                event.set()

    def _write(self, batch: list[Entry]) -> bool:
        if not batch:
            return True
        try:
            append(self._cur, batch, self._head_file)
            return True
        except Exception:
            # Never silently: the entries go to the log in full so an operator can restore them.
            log.exception("audit: could not commit %d entries: %r", len(batch), batch)
            return False
