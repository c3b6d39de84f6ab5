"""Group-commit writer: one thread owns the store's write path for the HJ 212 exchange.

Work items queue up from the event loop; the writer takes whatever has arrived (up to a batch
limit, waiting a few milliseconds when traffic is light), writes it in ONE transaction, and only
then hands the batch back to the loop, which sends the answers. An answer therefore never leaves
before its rows are durable; a failed commit answers nothing, so devices resend.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import duckdb
import orjson
import pyarrow as pa

from ecohub.ingest.metrics import IngestMetrics

log = logging.getLogger(__name__)

# Emission row layout; the order matches the `emission` table of migration 001.
EMISSION_COLUMNS = (
    "mn", "cn", "data_time", "pollutant", "rtd", "avg", "min", "max", "cou", "zs_rtd", "zs_avg",
    "flag", "fields", "qn", "st", "edition", "deviation", "registered", "received_at",
)  # fmt: skip
_TS = pa.timestamp("us", tz="Asia/Shanghai")
_EMISSION_SCHEMA = pa.schema(
    [
        ("mn", pa.string()), ("cn", pa.string()), ("data_time", _TS), ("pollutant", pa.string()),
        ("rtd", pa.float64()), ("avg", pa.float64()), ("min", pa.float64()),
        ("max", pa.float64()), ("cou", pa.float64()), ("zs_rtd", pa.float64()),
        ("zs_avg", pa.float64()), ("flag", pa.string()), ("fields", pa.string()),
        ("qn", pa.string()), ("st", pa.string()), ("edition", pa.string()),
        ("deviation", pa.string()), ("registered", pa.bool_()), ("received_at", _TS),
    ]
)  # fmt: skip
_MESSAGE_SCHEMA = pa.schema(
    [("received_at", _TS), ("peer", pa.string()), ("mn", pa.string()), ("st", pa.string()),
     ("cn", pa.string()), ("qn", pa.string()), ("edition", pa.string()),
     ("deviation", pa.string()), ("raw", pa.string())]
)  # fmt: skip
_REJECTED_SCHEMA = pa.schema(
    [("received_at", _TS), ("peer", pa.string()), ("mn", pa.string()), ("raw", pa.binary()),
     ("status", pa.string()), ("error", pa.string()), ("reason", pa.string()),
     ("would_pass", pa.string())]
)  # fmt: skip
_SEEN_SCHEMA = pa.schema(
    [("mn", pa.string()), ("last_seen", _TS), ("last_cn", pa.string()), ("last_peer", pa.string()),
     ("edition", pa.string()), ("registered", pa.bool_()), ("st", pa.string())]
)  # fmt: skip


@dataclass(slots=True)
class Work:
    """One received frame on its way to the store.

    ``kind`` is ``data`` (rows for `emission`), ``message`` (kept verbatim in `hj212_message`),
    ``seen`` (heartbeat: only the device's last-seen time) or ``rejected`` (`packet_log`).
    """

    kind: str
    received_at: datetime
    peer: str
    raw: bytes
    mn: str | None = None
    st: str | None = None
    cn: str | None = None
    qn: str | None = None
    edition: str | None = None
    deviation: str | None = None
    registered: bool = True
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    answer: bytes | None = None
    owner: Any = None  # the connection to answer on, if any
    error: str | None = None
    reason: str | None = None
    would_pass: str | None = None
    status: str = "rejected"


# Device last-seen times are written with a batch when the queue is idle, else at most this
# often (our choice): upserting every device on every batch cost as much as the data itself.
SEEN_FLUSH_S = 1.0


class StoreWriter:
    """Owns a DuckDB cursor in its own thread; commits batches and reports them back."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        on_committed: Callable[[list[Work]], None],
        metrics: IngestMetrics,
        *,
        max_batch: int = 2000,
        interval_ms: float = 5.0,
    ) -> None:
        self._cur = con.cursor()
        self._on_committed = on_committed
        self._metrics = metrics
        self._max_batch = max_batch
        self._interval = interval_ms / 1000.0
        self._queue: queue.SimpleQueue[Work | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="ecohub-writer", daemon=True)
        self._stopping = False
        self.committed_batches = 0
        # Last-seen times wait here until the queue is idle or SEEN_FLUSH_S has passed.
        self._seen: dict[str, tuple[Any, ...]] = {}
        self._seen_flushed = time.monotonic()

    def start(self) -> None:
        self._thread.start()

    def submit(self, work: Work) -> None:
        self._queue.put(work)

    def depth(self) -> int:
        return self._queue.qsize()

    def stop(self, timeout: float | None = 30.0) -> None:
        """Commit everything queued so far, then end the thread."""
        if not self._thread.is_alive():
            return
        self._stopping = True
        self._queue.put(None)
        self._thread.join(timeout)
        self._cur.close()

    # -- the thread -------------------------------------------------------------------------
    def _take_batch(self) -> tuple[list[Work], bool]:
        first = self._queue.get()
        if first is None:
            return [], True
        batch = [first]
        deadline = time.monotonic() + self._interval
        while len(batch) < self._max_batch:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                try:
                    item = self._queue.get(timeout=remaining)
                except queue.Empty:
                    break
            if item is None:
                return batch, True
            batch.append(item)
        return batch, False

    def _run(self) -> None:
        done = False
        while not done:
            batch, done = self._take_batch()
            if batch:
                self._commit_with_retry(batch)
        if self._seen:  # last-seen times still waiting for their flush
            self._commit_with_retry([])

    def _commit_with_retry(self, batch: list[Work]) -> None:
        for attempt in range(3):
            started = time.perf_counter()
            try:
                self.write(batch)
            except Exception:  # the store failed: answer nothing, devices will resend
                log.exception(
                    "group commit failed (attempt %d, %d packets)", attempt + 1, len(batch)
                )
                self._metrics.write_errors.inc()
                time.sleep(0.05 * (attempt + 1))
                continue
            self._metrics.commit_seconds.observe(time.perf_counter() - started)
            self._metrics.batch_packets.observe(len(batch))
            self.committed_batches += 1
            self._on_committed(batch)
            return
        for work in batch:
            work.answer = None  # never answer what was not stored
        self._on_committed(batch)

    def write(self, batch: list[Work]) -> None:
        """Write one batch in one transaction (idempotent on every natural key)."""
        cur = self._cur
        emission: dict[tuple[Any, ...], tuple[Any, ...]] = {}
        messages: list[tuple[Any, ...]] = []
        rejected: list[tuple[Any, ...]] = []
        seen = self._seen
        for w in batch:
            if w.kind == "data":
                for row in w.rows:
                    emission[(row[0], row[1], row[2], row[3])] = row
            elif w.kind == "message":
                messages.append(
                    (w.received_at, w.peer, w.mn, w.st, w.cn, w.qn, w.edition, w.deviation,
                     w.raw.decode("utf-8", "replace"))
                )  # fmt: skip
            elif w.kind == "rejected":
                rejected.append(
                    (w.received_at, w.peer, w.mn, w.raw, w.status, w.error, w.reason, w.would_pass)
                )
            if w.kind != "rejected" and w.mn:
                prev = seen.get(w.mn)
                if prev is None or prev[1] <= w.received_at:
                    seen[w.mn] = (w.mn, w.received_at, w.cn, w.peer, w.edition, w.registered, w.st)
        flush_seen = bool(seen) and (
            self._stopping
            or self._queue.empty()
            or time.monotonic() - self._seen_flushed >= SEEN_FLUSH_S
        )
        cur.execute("BEGIN")
        try:
            if emission:
                inserted = self._insert(
                    "INSERT OR IGNORE INTO emission SELECT * REPLACE (fields::JSON AS fields) "
                    "FROM _ecohub_batch",
                    _EMISSION_SCHEMA,
                    list(emission.values()),
                )
                self._metrics.rows.inc(inserted)
            if messages:
                self._insert(
                    "INSERT INTO hj212_message (received_at, peer, mn, st, cn, qn, edition, "
                    "deviation, raw) SELECT * FROM _ecohub_batch",
                    _MESSAGE_SCHEMA,
                    messages,
                )
                self._metrics.messages.inc(len(messages))
            if rejected:
                self._insert(
                    "INSERT INTO packet_log (received_at, peer, mn, raw, status, error, reason, "
                    "would_pass) SELECT * FROM _ecohub_batch",
                    _REJECTED_SCHEMA,
                    rejected,
                )
            if flush_seen:
                self._insert(
                    "INSERT INTO monitor_point AS m (mn, last_seen, last_cn, last_peer, edition, "
                    "registered, st) SELECT * FROM _ecohub_batch ON CONFLICT (mn) DO UPDATE SET "
                    "last_seen = greatest(m.last_seen, excluded.last_seen), "
                    "last_cn = excluded.last_cn, last_peer = excluded.last_peer, "
                    "edition = excluded.edition, st = coalesce(m.st, excluded.st)",
                    _SEEN_SCHEMA,
                    list(seen.values()),
                )
            cur.execute("COMMIT")
        except Exception:
            cur.execute("ROLLBACK")
            raise
        if flush_seen:
            seen.clear()
            self._seen_flushed = time.monotonic()

    def _insert(self, sql: str, schema: pa.Schema, rows: list[tuple[Any, ...]]) -> int:
        """Run ``sql`` over ``rows`` as one set-based statement (an Arrow table, not a loop)."""
        columns = list(zip(*rows, strict=True))
        table = pa.Table.from_arrays(
            [pa.array(col, type=schema.field(i).type) for i, col in enumerate(columns)],
            schema=schema,
        )
        cur = self._cur
        cur.register("_ecohub_batch", table)
        try:
            result = cur.execute(sql).fetchone()
        finally:
            cur.unregister("_ecohub_batch")
        return int(result[0]) if result else 0


def fields_json(fields: dict[str, str]) -> str:
    """The pollutant's fields as compact JSON text (orjson: this runs once per stored value)."""
    return orjson.dumps(fields).decode()
