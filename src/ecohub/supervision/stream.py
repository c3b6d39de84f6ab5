"""The stream detector: judges each committed batch of the HJ 212 writer as it lands.

Wiring (the lead's side; the writer is not changed here): make one ``Detector`` next to the
``StoreWriter`` and call ``detector.on_batch(cursor, works)`` from the writer's ``on_committed``
callback (the writer thread, right after the commit), with the writer's own DuckDB cursor and
the batch's ``Work`` items; call ``detector.tick(cursor, now)`` every second or so from the same
thread (e.g. when the queue is idle): it judges what is still buffered and reports devices that
have gone quiet. ``on_batch`` also takes an Arrow table in the `emission` layout. Neither raises:
a failure is logged and counted in ``errors``, because the batch is already stored and answered.

Batches are buffered and judged together at most every ``flush_s`` seconds (2 s by default):
at full rate the writer commits every few milliseconds, and judging costs a fixed ~70 ms per call
(docs/benchmarks.md) whatever its size, so judging each tiny batch alone would fall behind.

The detector runs the same rule SQL as ``service.detect``: minute rules through a
:class:`~ecohub.supervision.runs.RunState` (its small per-device memory: last values and open
runs), hour, day and window rules through :mod:`ecohub.supervision.hours` when a device moves
into a new hour.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from ecohub.settings import AlertChannel
from ecohub.supervision.alerts.raising import raise_alerts
from ecohub.supervision.exceedance import judge_exceedance
from ecohub.supervision.findings import store_findings
from ecohub.supervision.hours import aggregate_hours, judge_hours
from ecohub.supervision.minute_sql import CN_MINUTE
from ecohub.supervision.rules import Rule
from ecohub.supervision.runs import FINDING_SCHEMA, RunState
from ecohub.supervision.service import select_rules
from ecohub.supervision.stream_rows import (
    EMISSION_COLUMNS,
    JUDGED_COLUMNS,
    judged_columns,
    minute_rows,
    rows_from_works,
)

__all__ = ["EMISSION_COLUMNS", "JUDGED_COLUMNS", "Detector", "rows_from_works"]

log = logging.getLogger(__name__)
_TS = pa.timestamp("us", tz="Asia/Shanghai")


class Detector:
    """Judges committed batches; keeps per-device state between them (see module doc)."""

    def __init__(
        self,
        rules: list[Rule] | None = None,
        *,
        flush_s: float = 2.0,
        max_rows: int = 200_000,
        facts_refresh_s: float = 60.0,
        alerts: bool = True,
        channels: Sequence[AlertChannel] | None = None,
        sweep_s: float = 60.0,
    ) -> None:
        self.rules = rules if rules is not None else select_rules()
        self._flush_s = flush_s
        self._max_rows = max_rows
        self._buffer: list[pa.Table] = []
        # Findings judged but not yet stored (a store that failed): stored with the next ones,
        # so a write error delays a finding and never drops it.
        self._unsaved: list[pa.Table] = []
        self._buffered = 0
        self._since = 0.0
        self._state = RunState(self.rules)
        self._refresh_s = facts_refresh_s
        self._facts_at = -float("inf")
        # The hour each device is in: when a batch moves a device on, its hour is complete.
        self._hour: dict[str, datetime] = {}
        # When each device's newest packet of any kind arrived (check_silent).
        self._arrived: dict[str, datetime] = {}
        self.errors = 0
        self.findings = 0
        # Alerts are raised from what was stored after each judgement (supervision.alerts);
        # ``channels`` None: the settings' alert_channels.
        self._alerts = alerts
        self._channels = channels
        self.alert_errors = 0
        # Incremental raising: the ids this detector stored and has not yet raised from, and
        # when the last full sweep ran (see _raise).
        self._pending: dict[str, set[int]] = {"finding": set(), "exceedance": set()}
        self._swept = -float("inf")
        self._sweep_s = sweep_s

    def close(self) -> None:
        self._state.close()

    def _facts(self, con: duckdb.DuckDBPyConnection) -> None:
        if time.monotonic() - self._facts_at >= self._refresh_s:
            self._state.load_facts(con)
            self._facts_at = time.monotonic()

    def on_batch(self, con: duckdb.DuckDBPyConnection, batch_rows: Any) -> int:
        """Take one committed batch (Work items or an Arrow table of `emission` rows); judge the
        buffer when it is due and store the findings through ``con``. Returns the number of
        findings reported by this call (0 while buffering, and on error)."""
        try:
            chunk = minute_rows(batch_rows)
            self._note_arrivals(batch_rows)
            if chunk.num_rows:
                if not self._buffer:
                    self._since = time.monotonic()
                self._buffer.append(judged_columns(chunk))
                self._buffered += chunk.num_rows
            due = time.monotonic() - self._since >= self._flush_s
            if self._buffer and (due or self._buffered >= self._max_rows):
                return self._judge(con)
            return 0
        except Exception:
            self.errors += 1
            log.exception("anomaly detection failed on a committed batch")
            return 0

    def flush(self, con: duckdb.DuckDBPyConnection) -> int:
        """Judge whatever is buffered now; returns the number of findings reported."""
        try:
            return self._judge(con) if self._buffer else 0
        except Exception:
            self.errors += 1
            log.exception("anomaly detection failed on buffered batches")
            return 0

    def tick(self, con: duckdb.DuckDBPyConnection, now: datetime) -> int:
        """The periodic call: judge a buffer that is due, then report silent devices."""
        n = 0
        if self._buffer and time.monotonic() - self._since >= self._flush_s:
            n += self.flush(con)
        try:
            n += self.check_silent(con, now)
        except Exception:
            self.errors += 1
            log.exception("silence check failed")
        return n

    def _judge(self, con: duckdb.DuckDBPyConnection) -> int:
        chunk = pa.concat_tables(self._buffer)
        self._buffer = []
        self._buffered = 0
        self._facts(con)
        found = self._state.process(chunk)
        completed = self._completed_hours(chunk)
        if completed.num_rows:
            hours = completed.column("hour").to_pylist()
            aggregate_hours(con, min(hours), max(hours) + timedelta(hours=1), completed)
            found = pa.concat_tables([found, judge_hours(con, self.rules, completed)])
            events: list[int] = []
            judge_exceedance(con, completed, events)
            self._pending["exceedance"].update(events)
        self._store(con, found)
        self.findings += found.num_rows
        self._raise(con)
        return found.num_rows

    def _store(self, con: duckdb.DuckDBPyConnection, found: pa.Table) -> None:
        """Store ``found`` with any findings a failed store left; on failure keep them all."""
        todo = pa.concat_tables([*self._unsaved, found.cast(FINDING_SCHEMA)])
        self._unsaved = [todo]
        self._pending["finding"].update(store_findings(con, todo))
        self._unsaved = []

    def _raise(self, con: duckdb.DuckDBPyConnection) -> None:
        """Alerts from the findings and events this detector has just stored, by their ids
        (no scan of the tables: the step costs nothing when nothing changed). The first call
        and one every ``sweep_s`` seconds take every changed row instead: what was stored but
        not raised before this process started, and rows another writer stored and did not
        raise (a batch run whose own raising failed). A failure is logged and counted; the ids
        stay pending and are taken by the next call (nothing is skipped)."""
        if not self._alerts:
            return
        try:
            if time.monotonic() - self._swept >= self._sweep_s:
                raise_alerts(con, self._channels)
                self._swept = time.monotonic()
            elif any(self._pending.values()):
                raise_alerts(con, self._channels, only=self._pending)
            self._pending = {"finding": set(), "exceedance": set()}
        except Exception:
            self.alert_errors += 1
            log.exception("raising alerts failed; retried after the next judgement")

    def _completed_hours(self, chunk: pa.Table) -> pa.Table:
        """(mn, hour) of every hour a device has left: each hour of the chunk before the
        device's newest one, and the hour it was in before the chunk when it has moved on."""
        minute = chunk.filter(pc.equal(chunk.column("cn"), CN_MINUTE))
        hours = pa.table(
            {"mn": minute.column("mn"),
             "hour": pc.floor_temporal(minute.column("data_time"), unit="hour")}
        ).group_by(["mn", "hour"]).aggregate([])  # fmt: skip
        by_device: dict[str, list[datetime]] = {}
        for mn, hour in zip(  # one iteration per device-hour, not per value
            hours.column("mn").to_pylist(), hours.column("hour").to_pylist(), strict=True
        ):
            by_device.setdefault(mn, []).append(hour)
        done_mn: list[str] = []
        done_hour: list[datetime] = []
        for mn, seen in by_device.items():
            newest = max(seen)
            before = self._hour.get(mn)
            left = {h for h in seen if h < newest}
            if before is not None and before < newest:
                left.add(before)
            for h in sorted(left):
                done_mn.append(mn)
                done_hour.append(h)
            self._hour[mn] = newest if before is None else max(before, newest)
        return pa.table(
            {"mn": pa.array(done_mn, pa.string()), "hour": pa.array(done_hour, type=_TS)}
        )

    def _note_arrivals(self, batch_rows: Any) -> None:
        """Remember when each device's newest packet arrived: every packet counts (real-time,
        minute, hourly, daily data, heartbeats, other messages), not only the minute values
        the rules judge, and its arrival, not its DataTime (a resent backlog is old data
        from a device that is talking). An Arrow table carries no arrival: its newest data
        time per device stands for it (replays, benchmarks)."""
        arrived = self._arrived
        pairs: Iterable[tuple[str, datetime]]
        if isinstance(batch_rows, pa.Table):
            if batch_rows.num_rows == 0:
                return
            newest = batch_rows.group_by("mn").aggregate([("data_time", "max")])
            pairs = zip(newest.column("mn").to_pylist(),
                        newest.column("data_time_max").to_pylist(), strict=True)  # fmt: skip
        else:
            pairs = ((w.mn, w.received_at) for w in batch_rows
                     if w.mn and getattr(w, "kind", None) != "rejected")  # fmt: skip
        for mn, at in pairs:
            before = arrived.get(mn)
            if before is None or at > before:
                arrived[mn] = at

    def check_silent(self, con: duckdb.DuckDBPyConnection, now: datetime) -> int:
        """Report every device whose newest packet (of any kind) arrived longer ago than the
        silence rule allows, as a finding from that arrival to ``now`` (widened on each call
        while the silence lasts)."""
        silent = next((r for r in self.rules if r.rule == "silent"), None)
        if silent is None:
            return 0
        intervals = dict(con.execute("SELECT mn, interval_s FROM monitor_point").fetchall())
        rows = []
        for mn, t in list(self._arrived.items()):
            allowed = max(silent.threshold * (intervals.get(mn) or 60), silent.threshold_2 or 0)
            gap = (now - t).total_seconds()
            if gap > allowed:
                evidence = {
                    "of": "gap_seconds",
                    "max": gap,
                    "open": True,
                    "threshold": silent.threshold,
                    "threshold_2": silent.threshold_2,
                }
                rows.append((mn, "*", silent.rule, t, now, json.dumps(evidence), silent.severity))
        if not rows:
            return 0
        table = pa.Table.from_pylist(
            [dict(zip(FINDING_SCHEMA.names, r, strict=True)) for r in rows], schema=FINDING_SCHEMA
        )
        self._store(con, table)
        self._raise(con)
        return len(rows)
