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
from typing import Any

import duckdb
import orjson
import pyarrow as pa

from ecohub.catalog.produce import DEVICE_UPSERT, device_rows
from ecohub.ingest.conflicts import entries as conflict_entries
from ecohub.ingest.conflicts import log_conflicts
from ecohub.ingest.metrics import IngestMetrics
from ecohub.ingest.work import Work
from ecohub.ingest.writer_tables import (
    DONE_SCHEMA,
    EMISSION_INSERT,
    MESSAGE_INSERT,
    MESSAGE_SCHEMA,
    PART_DELETE,
    PART_INSERT,
    PART_SCHEMA,
    REJECTED_INSERT,
    REJECTED_SCHEMA,
    SEEN_SCHEMA,
    SEEN_UPSERT,
    arrow_table,
    emission_table,
    merge_repeats,
)

log = logging.getLogger(__name__)


class Committed(list[Work]):
    """A committed batch as the after-commit hooks get it: its items, and ``emission``, the
    `emission` rows the writer stored for them as one Arrow table (None when it held no data
    packet), so a consumer need not convert the items' values again."""

    emission: pa.Table | None = None


# Device last-seen times are written with a batch when the queue is idle, else at most this
# often (our choice): upserting every device on every batch cost as much as the data itself.
SEEN_FLUSH_S = 1.0
#: Work kinds whose devices are the lineage of a table.
_DEVICE_TABLES = {"data": "emission", "message": "hj212_message", "rejected": "packet_log"}


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
        enough: int = 256,
    ) -> None:
        self._cur = con.cursor()
        self._on_committed = on_committed
        self._metrics = metrics
        self._max_batch = max_batch
        self._interval = interval_ms / 1000.0
        self._enough = enough
        self._queue: queue.SimpleQueue[Work | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="ecohub-writer", daemon=True)
        self._stopping = False
        self.committed_batches = 0
        # Last-seen times wait here until the queue is idle or SEEN_FLUSH_S has passed.
        self._seen: dict[str, tuple[Any, ...]] = {}
        # Lineage: (table, MN) -> [first, last, packets] since the last flush; flushed with the
        # last-seen times into catalog_device (ecohub.catalog.produce).
        self._devices: dict[tuple[str, str], list[Any]] = {}
        self._seen_flushed = time.monotonic()
        self._works: list[Work] = []
        self._conflicting = 0  # conflicting resends logged by the transaction being written
        # Called with each committed batch after its answers are handed to the loop (runtime
        # registers the anomaly detector's feed here). Hooks must return at once (hand the
        # batch to their own thread); one that raises is logged, never seen by the writer.
        self.after_commit: list[Callable[[list[Work]], None]] = []
        # Drops `emission` rows whose key the data lake already holds (resent settled data;
        # ecohub.store.lake_known.KnownFilter); set by the server when a lake is configured.
        self.lake_filter: Callable[[duckdb.DuckDBPyConnection, pa.Table], pa.Table] | None = None

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
        """The next batch: what is queued (up to ``max_batch``), and while it is smaller than
        ``enough``, what arrives within ``interval`` of its first item.

        Waiting for company amortises a commit's fixed cost when traffic is light; once a batch
        has ``enough`` packets (a backlog built up during the last commit), waiting longer only
        delays every answer in it and leaves the writer idle while devices wait.
        """
        first = self._queue.get()
        if first is None:
            return [], True
        batch = [first]
        deadline = time.monotonic() + self._interval
        while len(batch) < self._max_batch:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                if len(batch) >= self._enough:
                    break
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
                stored = self.write(batch)
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
            committed = Committed(batch)
            committed.emission = stored
            for hook in self.after_commit:
                try:
                    hook(committed)
                except Exception:  # the batch is stored and answered: a hook cannot undo that
                    log.exception("after-commit hook %r failed", hook)
            return
        for work in batch:
            work.answer = None  # never answer what was not stored
        self._on_committed(batch)

    def write(self, batch: list[Work]) -> pa.Table | None:
        """Write one batch in one transaction (idempotent on every natural key); returns the
        `emission` rows it stored, as one Arrow table (None when it held no data packet)."""
        data: dict[tuple[Any, ...], Work] = {}
        repeated = False
        messages: list[tuple[Any, ...]] = []
        rejected: list[tuple[Any, ...]] = []
        parts: list[tuple[Any, ...]] = []
        done: list[tuple[Any, ...]] = []
        seen = self._seen
        devices = {k: list(v) for k, v in self._devices.items()}  # a retried batch counts once
        for w in batch:
            kind = w.kind
            table = _DEVICE_TABLES.get(kind)
            if table is not None and w.mn:
                got = devices.get((table, w.mn))
                if got is None:
                    devices[(table, w.mn)] = [w.received_at, w.received_at, 1]
                else:
                    got[0], got[1] = min(got[0], w.received_at), max(got[1], w.received_at)
                    got[2] += 1
            if kind == "data":
                key = (w.mn, w.cn, w.data_time)
                repeated = repeated or key in data
                data[key] = w
                if w.done_key is not None:
                    done.append(w.done_key)
            elif kind == "message":
                messages.append(
                    (w.received_at, w.peer, w.mn, w.st, w.cn, w.qn, w.edition, w.deviation,
                     w.raw.decode("utf-8", "replace"))
                )  # fmt: skip
            elif kind == "rejected":
                rejected.append(
                    (w.received_at, w.peer, w.mn, w.raw, w.status, w.error, w.reason, w.would_pass,
                     len(w.raw) if w.raw_size is None else w.raw_size)
                )  # fmt: skip
            elif kind == "part" and w.part is not None:
                parts.append(
                    (w.mn, w.cn, w.data_time, *w.part, w.qn, w.st, w.edition, w.deviation,
                     w.registered, w.peer, w.received_at)
                )  # fmt: skip
            if kind != "rejected" and w.mn:
                prev = seen.get(w.mn)
                if prev is None or prev[1] <= w.received_at:
                    seen[w.mn] = (w.mn, w.received_at, w.cn, w.peer, w.edition, w.registered, w.st)
        # The same packet twice in one batch: keep the last value of each key.
        works = merge_repeats(batch) if repeated else list(data.values())
        self._works = works  # the data packets, for the evidence of a conflicting resend
        flush_seen = bool(seen) and (
            self._stopping
            or self._queue.empty()
            or time.monotonic() - self._seen_flushed >= SEEN_FLUSH_S
        )
        tables: list[tuple[str, str, pa.Table]] = []
        rows: pa.Table | None = None
        lake_conflicting = 0
        if works:
            rows = emission_table(works)
            if self.lake_filter is not None:
                rows = self.lake_filter(self._cur, rows)
                # Resent with other values than the lake's copy: evidence, in this transaction.
                lake_conflicts = getattr(self.lake_filter, "conflicts", None)
                if lake_conflicts:
                    logged = conflict_entries(lake_conflicts, works)
                    rejected += logged
                    lake_conflicting = len(logged)
            tables.append(("emission", EMISSION_INSERT, rows))
        if messages:
            tables.append(("hj212_message", MESSAGE_INSERT, arrow_table(MESSAGE_SCHEMA, messages)))
        if rejected:
            tables.append(("packet_log", REJECTED_INSERT, arrow_table(REJECTED_SCHEMA, rejected)))
        # Parts before the deletion of finished uploads: a part and the last part of the same
        # upload can share a batch.
        if parts:
            tables.append(("hj212_subpacket_part", PART_INSERT, arrow_table(PART_SCHEMA, parts)))
        if done:
            tables.append(("hj212_subpacket_part", PART_DELETE, arrow_table(DONE_SCHEMA, done)))
        if flush_seen:
            tables.append(("monitor_point", SEEN_UPSERT, arrow_table(SEEN_SCHEMA, seen.values())))
            if devices:
                tables.append(("catalog_device", DEVICE_UPSERT, device_rows(devices)))
        if tables:
            self._conflicting = 0
            inserted = self._write_tables(tables)
            self._metrics.rows.inc(inserted)
            # Counted once committed: a failed try is retried and would count them again.
            if lake_conflicting + self._conflicting:
                self._metrics.conflicts.inc(lake_conflicting + self._conflicting)
        if messages:
            self._metrics.messages.inc(len(messages))
        self._devices = {} if flush_seen else devices
        if flush_seen:
            seen.clear()
            self._seen_flushed = time.monotonic()
        return rows

    def _write_tables(self, tables: list[tuple[str, str, pa.Table]]) -> int:
        """All tables in one transaction and, normally, one call into DuckDB; returns the
        number of `emission` rows inserted.

        The plain INSERT into `emission` is the fast path: a resent packet makes its primary key
        raise, and only then is the batch redone with INSERT OR IGNORE (slower in DuckDB), so
        rows already stored are kept and nothing is doubled. Few calls matter because each one
        hands the GIL back and forth with the event loop.
        """
        cur = self._cur
        # One alias a table: a batch may hold two writes of one table (parts and finished uploads).
        names = [f"_ecohub_{i}_{name}" for i, (name, _, _) in enumerate(tables)]
        self._register(names, tables)
        try:
            statements = [
                sql.format(src=alias, verb="INSERT")
                for alias, (_, sql, _) in zip(names, tables, strict=True)
            ]
            # One table (most batches): one statement, its own transaction. Each statement
            # DuckDB runs takes the GIL back from the event loop several times while it
            # waits for its tasks, so BEGIN and COMMIT of their own cost ~12 ms a batch at
            # full ingest rate (docs/benchmarks.md).
            single = len(statements) == 1
            try:
                cur.execute(statements[0] if single else f"BEGIN; {'; '.join(statements)}; COMMIT")
            except duckdb.ConstraintException:
                if not single:
                    cur.execute("ROLLBACK")
                return self._write_ignoring_duplicates(names, tables)
            except Exception:
                if not single:
                    cur.execute("ROLLBACK")
                raise
        finally:
            for alias in names:
                cur.unregister(alias)
        return tables[0][2].num_rows if tables[0][0] == "emission" else 0

    def _register(self, names: list[str], tables: list[tuple[str, str, pa.Table]]) -> None:
        # As a stream, not a table: DuckDB then reads each batch on one thread. A table is
        # split across threads, and for a few thousand rows the hand-offs (each one taking
        # the GIL back from the event loop) cost more than the split gains (docs/benchmarks.md).
        for alias, (_, _, table) in zip(names, tables, strict=True):
            self._cur.register(alias, table.to_reader())

    def _write_ignoring_duplicates(
        self, names: list[str], tables: list[tuple[str, str, pa.Table]]
    ) -> int:
        cur = self._cur
        inserted = 0
        self._register(names, tables)  # the first try consumed the streams
        cur.execute("BEGIN")
        try:
            for alias, (name, sql, table) in zip(names, tables, strict=True):
                if name == "emission":
                    self._conflicting = log_conflicts(cur, table, self._works)
                result = cur.execute(sql.format(src=alias, verb="INSERT OR IGNORE")).fetchone()
                if name == "emission":
                    inserted = int(result[0]) if result else 0
            cur.execute("COMMIT")
        except Exception:
            cur.execute("ROLLBACK")
            raise
        return inserted


def fields_json(fields: dict[str, str]) -> str:
    """The pollutant's fields as compact JSON text (orjson: this runs once per stored value)."""
    return orjson.dumps(fields).decode()
