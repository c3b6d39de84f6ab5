"""One background writer for the audit entries of API requests: many entries per commit.

A commit of the store costs a WAL sync (about 10 ms on the test machine), so one commit per
request would cap the API at ~100 audited requests/s. The writer takes entries from a queue
and appends whatever has gathered while the previous commit ran, in one transaction — the same
group commit as the HJ 212 writer. Order is kept: entries are chained in the order submitted.

The price: an entry is committed a few milliseconds *after* its response was sent, so a
SIGKILL can lose the entries of the last moments (a clean stop flushes them: :meth:`close`).
"""

from __future__ import annotations

import logging
import queue
import threading
from pathlib import Path

import duckdb

from ecohub.access.audit import Entry, append, head_path

log = logging.getLogger(__name__)

MAX_BATCH = 2000


class AuditWriter:
    """Appends submitted entries from one thread, in submission order."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self._cur = con.cursor()
        self._head_file: Path | None = head_path(self._cur)
        self._queue: queue.SimpleQueue[Entry | threading.Event | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="audit-writer", daemon=True)
        self._closed = False
        self._thread.start()

    def submit(self, entry: Entry) -> None:
        """Queue ``entry``; it is committed within one commit's time (never blocks)."""
        if self._closed:
            raise RuntimeError("audit writer is closed")
        self._queue.put(entry)

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
            while True:
                if item is None:
                    stop = True
                elif isinstance(item, threading.Event):
                    events.append(item)
                else:
                    batch.append(item)
                if len(batch) >= MAX_BATCH:
                    break
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
            self._write(batch)
            for event in events:
                event.set()

    def _write(self, batch: list[Entry]) -> None:
        if not batch:
            return
        try:
            append(self._cur, batch, self._head_file)
        except Exception:
            # Never silently: the entries go to the log in full so an operator can restore them.
            log.exception("audit: could not commit %d entries: %r", len(batch), batch)
