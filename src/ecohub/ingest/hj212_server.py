"""The HJ 212 TCP exchange: a thin asyncio shell around the sans-I/O codec.

Each connection frames bytes with :class:`~ecohub.protocols.hj212.Framer`, parses each frame,
applies the device's policy (strict or lenient, password, unknown MN), and hands the result to
one handler per kind of command. Everything that is kept goes through the group-commit
:class:`~ecohub.ingest.writer.StoreWriter`; answers go out only after the commit.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, cast

import duckdb

from ecohub.ingest.metrics import IngestMetrics
from ecohub.ingest.writer import StoreWriter, Work, fields_json
from ecohub.protocols import hj212
from ecohub.protocols.hj212.codes import map_2005_code
from ecohub.settings import Settings

log = logging.getLogger(__name__)
CST = timezone(timedelta(hours=8))

# Uploads whose CP carries per-pollutant (or per-facility) values with a DataTime: these become
# `emission` rows. HJ 212-2017 s6.6 / Appendix C, plus the 2025 additions (2013, 2052, 2062, 2111).
DATA_CNS = frozenset(
    {"2011", "2051", "2061", "2031", "2021", "2041", "2013", "2052", "2062", "2111"}
)
HEARTBEAT_CN = "9015"
# Numeric fields that get their own column; every field also stays as text in `fields`.
_NUMERIC = {"Rtd": 0, "Avg": 1, "Min": 2, "Max": 3, "Cou": 4, "ZsRtd": 5, "ZsAvg": 6}
# A connection may have this many packets waiting for their commit before we stop reading from
# it (our choice: bounds memory per device; a real logger waits for each answer anyway).
MAX_PENDING_PER_CONNECTION = 256


@dataclass
class DevicePolicy:
    pw: str | None = None
    lenient: bool = False
    registered: bool = True


class Rejected(Exception):
    """A parsed packet that the platform refuses (policy, content)."""

    def __init__(self, error: str, reason: str) -> None:
        super().__init__(reason)
        self.error = error
        self.reason = reason


def _now() -> datetime:
    return datetime.now(CST)


def _number(text: str, field: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise Rejected("MalformedField", f"{field}: not a number: {text[:40]!r}") from None
    if not math.isfinite(value):
        raise Rejected("MalformedField", f"{field}: not a finite number: {text[:40]!r}")
    return value


def emission_rows(
    pkt: hj212.Packet, received_at: datetime, registered: bool
) -> list[tuple[Any, ...]]:
    """The `emission` rows of one data upload (one per pollutant), or :class:`Rejected`."""
    data_time = pkt.data_time
    if data_time is None:
        raise Rejected("MissingField", "CP.DataTime: required in a data upload")
    groups = pkt.pollutants()
    if not groups:
        raise Rejected("MalformedCP", "CP: a data upload without any pollutant field")
    mn, cn, tail = pkt.mn, pkt.cn, (pkt.qn, pkt.st, pkt.edition, pkt.deviation)
    old_codes = pkt.edition == "2005"
    rows = []
    # This runs once per stored value at full ingest rate: plain loops, no per-field lookups.
    for code, fields in groups.items():
        nums: list[float | None] = [None] * len(_NUMERIC)
        for name, text in fields.items():
            col = _NUMERIC.get(name)
            if col is not None and text:
                nums[col] = _number(text, f"CP.{code}-{name}")
        pollutant = map_2005_code(code) if old_codes else code
        rows.append(
            (mn, cn, data_time, pollutant, *nums, fields.get("Flag"), fields_json(fields), *tail,
             registered, received_at)
        )  # fmt: skip
    return rows


class Hj212Server:
    """Accepts device connections and turns frames into stored, answered packets."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        settings: Settings,
        metrics: IngestMetrics | None = None,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self.settings = settings
        self.metrics = metrics or IngestMetrics()
        self._clock = clock
        self._con = con
        self._accepted = self.metrics.frames.labels("accepted")
        self._policies: dict[str, DevicePolicy] = {}
        self.reload_policies()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.base_events.Server | None = None
        self._connections: set[DeviceConnection] = set()
        self.writer = StoreWriter(
            con,
            self._committed_threadsafe,
            self.metrics,
            max_batch=settings.hj212_commit_max_packets,
            interval_ms=settings.hj212_commit_interval_ms,
        )

    # -- lifecycle ---------------------------------------------------------------------------
    async def start(self, host: str | None = None, port: int | None = None) -> tuple[str, int]:
        self._loop = asyncio.get_running_loop()
        self.writer.start()
        self._server = await self._loop.create_server(
            lambda: DeviceConnection(self),
            host if host is not None else self.settings.hj212_host,
            self.settings.hj212_port if port is None else port,
            reuse_address=True,
            backlog=4096,
        )
        sock = self._server.sockets[0].getsockname()
        return sock[0], sock[1]

    async def stop(self) -> None:
        """Stop accepting, commit and answer what was received, then close connections."""
        if self._server is not None:
            self._server.close()
        for conn in list(self._connections):
            conn.pause()
        # The writer's stop commits the queue; its callbacks land on this loop, so run it in a
        # thread and let the loop deliver the answers.
        await asyncio.to_thread(self.writer.stop)
        await asyncio.sleep(0)
        for conn in list(self._connections):
            conn.close("shutdown")
        if self._server is not None:
            await self._server.wait_closed()

    def reload_policies(self) -> None:
        """Re-read device settings (password, lenient policy) from `monitor_point`."""
        cur = self._con.cursor()
        try:
            rows = cur.execute("SELECT mn, pw, policy, registered FROM monitor_point").fetchall()
        finally:
            cur.close()
        lenient = set(self.settings.hj212_lenient_mns)
        self._policies = {
            mn: DevicePolicy(pw=pw, lenient=(policy == "lenient" or mn in lenient),
                             registered=bool(reg))
            for mn, pw, policy, reg in rows
        }  # fmt: skip

    def set_policy(self, mn: str, lenient: bool) -> None:
        pol = self._policies.setdefault(mn, DevicePolicy(registered=False))
        pol.lenient = lenient

    def _policy(self, mn: str | None) -> DevicePolicy | None:
        return self._policies.get(mn) if mn else None

    def _is_lenient(self, mn: str | None) -> bool:
        if self.settings.hj212_lenient_all:
            return True
        pol = self._policy(mn)
        return bool(pol and pol.lenient) or (mn in self.settings.hj212_lenient_mns)

    @property
    def connection_count(self) -> int:
        return len(self._connections)

    # -- per frame ---------------------------------------------------------------------------
    def on_frame(self, conn: DeviceConnection, frame: bytes) -> bool:
        """Handle one complete frame; return False when the frame was bad."""
        received_at = self._clock()
        pkt: hj212.Packet | None
        try:
            pkt = hj212.parse(frame)
        except hj212.ProtocolError as exc:
            pkt = self._lenient_retry(conn, frame, exc, received_at)
        if pkt is None:
            return False
        try:
            work = self._dispatch(conn, pkt, frame, received_at)
        except Rejected as rej:
            self._reject(conn, frame, rej.error, rej.reason, received_at, mn=pkt.mn)
            return False
        self._accepted.inc()
        if pkt.deviation:
            self.metrics.lenient.labels(pkt.deviation).inc()
        conn.pending += 1
        if conn.pending >= MAX_PENDING_PER_CONNECTION:
            conn.pause()
        self.writer.submit(work)
        return True

    def _lenient_retry(
        self, conn: DeviceConnection, frame: bytes, exc: hj212.ProtocolError, at: datetime
    ) -> hj212.Packet | None:
        try:
            relaxed = hj212.parse(frame, lenient=True)
        except hj212.ProtocolError:
            relaxed = None
        mn = relaxed.mn if relaxed is not None else _sniff_mn(frame)
        if relaxed is not None and self._is_lenient(mn):
            return relaxed
        would_pass = relaxed.deviation if relaxed is not None else None
        self._reject(conn, frame, type(exc).__name__, exc.detail, at, mn=mn, would_pass=would_pass)
        return None

    def _dispatch(
        self, conn: DeviceConnection, pkt: hj212.Packet, frame: bytes, at: datetime
    ) -> Work:
        policy = self._policy(pkt.mn)
        if pkt.mn is None:
            raise Rejected("MissingField", "MN: required")
        registered = policy is not None and policy.registered
        if policy is None and self.settings.hj212_reject_unknown_mn:
            raise Rejected("UnknownMN", f"MN: {pkt.mn} is not registered")
        if policy is not None and policy.pw is not None and pkt.pw != policy.pw:
            raise Rejected("BadPassword", f"PW: does not match the password set for MN {pkt.mn}")
        work = Work(
            kind="message", received_at=at, peer=conn.peer, raw=frame, mn=pkt.mn, st=pkt.st,
            cn=pkt.cn, qn=pkt.qn, edition=pkt.edition, deviation=pkt.deviation,
            registered=registered, owner=conn,
        )  # fmt: skip
        handler = getattr(self, f"handle_{pkt.cn}", None)
        if handler is None:
            handler = self.handle_data if pkt.cn in DATA_CNS else self.handle_message
        handler(pkt, work)
        return work

    # -- one handler per kind of command -----------------------------------------------------
    def handle_data(self, pkt: hj212.Packet, work: Work) -> None:
        work.kind = "data"
        work.rows = emission_rows(pkt, work.received_at, work.registered)
        work.answer = hj212.answer_for(pkt)

    def handle_9015(self, pkt: hj212.Packet, work: Work) -> None:
        """Heartbeat (HJ 212-2025): keeps the device's last-seen time only."""
        work.kind = "seen"
        work.answer = hj212.answer_for(pkt)

    def handle_message(self, pkt: hj212.Packet, work: Work) -> None:
        """Anything the platform does not act on yet: stored verbatim, answered as required."""
        work.kind = "message"
        work.answer = hj212.answer_for(pkt)

    # -- rejections --------------------------------------------------------------------------
    def _reject(
        self,
        conn: DeviceConnection,
        frame: bytes,
        error: str,
        reason: str,
        at: datetime,
        *,
        mn: str | None = None,
        would_pass: str | None = None,
        status: str = "rejected",
    ) -> None:
        self.metrics.frames.labels("rejected").inc()
        self.metrics.rejected.labels(error).inc()
        log.info("rejected frame from %s (MN %s): %s: %s", conn.peer, mn, error, reason)
        self.writer.submit(
            Work(
                kind="rejected",
                received_at=at,
                peer=conn.peer,
                raw=frame[: self.settings.hj212_max_frame],
                mn=mn,
                error=error,
                reason=reason,
                would_pass=would_pass,
                status=status,
            )
        )

    def on_framing_error(self, conn: DeviceConnection, err: hj212.FramingError) -> None:
        self._reject(
            conn, err.discarded, "FramingError", err.detail, self._clock(), status="rejected"
        )

    # -- after commit ------------------------------------------------------------------------
    def _committed_threadsafe(self, batch: list[Work]) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):  # the loop closed during shutdown
            loop.call_soon_threadsafe(self._committed, batch)

    def _committed(self, batch: list[Work]) -> None:
        answered = 0
        for work in batch:
            conn = work.owner
            if conn is None:
                continue
            conn.pending -= 1
            if work.answer is not None and conn.send(work.answer):
                answered += 1
            if conn.paused and conn.pending < MAX_PENDING_PER_CONNECTION // 2:
                conn.resume()
        self.metrics.acks.inc(answered)
        self.metrics.queue_depth.set(self.writer.depth())


def _sniff_mn(frame: bytes) -> str | None:
    """Best-effort MN of an unparseable frame, so its rejections can be listed per device."""
    at = frame.find(b"MN=")
    if at < 0:
        return None
    end = len(frame)
    for sep in (b";", b",", b"&"):
        pos = frame.find(sep, at)
        if 0 <= pos < end:
            end = pos
    mn = frame[at + 3 : end].decode("ascii", "replace")
    return mn[:64] or None


class DeviceConnection(asyncio.Protocol):
    """One device's TCP connection: framing, flood control and idle timeout."""

    def __init__(self, server: Hj212Server) -> None:
        self.server = server
        s = server.settings
        self.framer = hj212.Framer(max_frame=s.hj212_max_frame)
        self.transport: asyncio.Transport | None = None
        self.peer = "?"
        self.pending = 0
        self.paused = False
        self.bad_in_row = 0
        self._idle: asyncio.TimerHandle | None = None
        self._closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement the interface without subclassing asyncio.Transport.
        self.transport = cast(asyncio.Transport, transport)
        peer = transport.get_extra_info("peername")
        self.peer = f"{peer[0]}:{peer[1]}" if peer else "?"
        self.server._connections.add(self)
        self.server.metrics.connections.inc()
        self._arm_idle()

    def connection_lost(self, exc: Exception | None) -> None:
        self._closed = True
        if self._idle is not None:
            self._idle.cancel()
        if self in self.server._connections:
            self.server._connections.discard(self)
            self.server.metrics.connections.dec()

    def data_received(self, data: bytes) -> None:
        self._arm_idle()
        server = self.server
        for item in self.framer.feed(data):
            if isinstance(item, bytes):
                ok = server.on_frame(self, item)
            else:
                server.on_framing_error(self, item)
                ok = False
            self.bad_in_row = 0 if ok else self.bad_in_row + 1
            if self.bad_in_row >= server.settings.hj212_max_bad_frames:
                server.metrics.disconnects.labels("flood").inc()
                server._reject(
                    self, b"", "Flood",
                    f"{self.bad_in_row} bad frames in a row: peer disconnected",
                    server._clock(), status="disconnected",
                )  # fmt: skip
                self.close("flood")
                return

    def _arm_idle(self) -> None:
        timeout = self.server.settings.hj212_idle_timeout_s
        if timeout <= 0 or self.server._loop is None:
            return
        if self._idle is not None:
            self._idle.cancel()
        self._idle = self.server._loop.call_later(timeout, self._on_idle)

    def _on_idle(self) -> None:
        self.server.metrics.disconnects.labels("idle").inc()
        self.close("idle")

    def send(self, data: bytes) -> bool:
        if self._closed or self.transport is None or self.transport.is_closing():
            return False
        self.transport.write(data)
        return True

    def pause(self) -> None:
        if not self.paused and self.transport is not None and not self._closed:
            self.paused = True
            self.transport.pause_reading()

    def resume(self) -> None:
        if self.paused and self.transport is not None and not self._closed:
            self.paused = False
            self.transport.resume_reading()

    def close(self, reason: str) -> None:
        if self.transport is not None and not self._closed:
            log.info("closing %s: %s", self.peer, reason)
            self.transport.close()
