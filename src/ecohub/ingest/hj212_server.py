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
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import duckdb

from ecohub.cst import CST
from ecohub.ingest.checks import LATEST_AHEAD
from ecohub.ingest.connection import DeviceConnection, RawLogBudget
from ecohub.ingest.emission_rows import Rejected, data_time_of, rows_of, stored_groups
from ecohub.ingest.metrics import IngestMetrics
from ecohub.ingest.subpackets import Reassembler, SplitUploads, peer_host
from ecohub.ingest.work import Work
from ecohub.ingest.writer import StoreWriter
from ecohub.protocols import hj212
from ecohub.settings import Settings

log = logging.getLogger(__name__)

# Uploads whose CP carries per-pollutant (or per-facility) values with a DataTime: these become
# `emission` rows. HJ 212-2017 s6.6 / Appendix C, plus the 2025 additions (2013, 2052, 2062, 2111).
DATA_CNS = frozenset(
    {"2011", "2051", "2061", "2031", "2021", "2041", "2013", "2052", "2062", "2111"}
)
HEARTBEAT_CN = "9015"
# A connection may have this many packets waiting for their commit before we stop reading from
# it (our choice: bounds memory per device; a real logger waits for each answer anyway).
MAX_PENDING_PER_CONNECTION = 256


@dataclass
class DevicePolicy:
    pw: str | None = None
    lenient: bool = False
    registered: bool = True


def _now() -> datetime:
    return datetime.now(CST)


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
            enough=settings.hj212_commit_enough_packets,
        )
        from ecohub.store.lake_known import KnownFilter

        self.writer.lake_filter = KnownFilter(settings)
        self.raw_budget = RawLogBudget(
            settings.hj212_raw_log_peer_bytes,
            settings.hj212_raw_log_total_bytes,
            settings.hj212_raw_log_window_s,
            settings.hj212_raw_log_truncated_bytes,
        )
        self.split = SplitUploads(
            Reassembler(
                timeout_s=settings.hj212_subpacket_timeout_s,
                max_open_per_peer=settings.hj212_subpacket_max_open_per_peer,
                max_open=settings.hj212_subpacket_max_open,
                max_parts=settings.hj212_subpacket_max_parts,
            )
        )
        self._expiry: asyncio.TimerHandle | None = None
        self._sweep: asyncio.TimerHandle | None = None

    # -- lifecycle ---------------------------------------------------------------------------
    async def start(self, host: str | None = None, port: int | None = None) -> tuple[str, int]:
        self._loop = asyncio.get_running_loop()
        self._server = await self._loop.create_server(
            lambda: DeviceConnection(self),
            host if host is not None else self.settings.hj212_host,
            self.settings.hj212_port if port is None else port,
            reuse_address=True,
            reuse_port=self.settings.hj212_reuse_port or None,
            backlog=4096,
        )
        self.writer.start()
        for work in self.split.load(self._con):  # parts stored before a restart
            self.writer.submit(work)
        self._expire_split()
        self._sweep_deadlines()
        sock = self._server.sockets[0].getsockname()
        return sock[0], sock[1]

    async def stop(self) -> None:
        """Stop accepting, commit and answer what was received, then close connections."""
        if self._server is not None:
            self._server.close()
        for timer in (self._expiry, self._sweep):
            if timer is not None:
                timer.cancel()  # open reassemblies stay stored; the next start reloads them
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
        """Switch a device's parsing policy; never registers it (only `register` does)."""
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
        # One pass: the strict verdict and, for a rejected frame, the lenient reading.
        result = hj212.analyse(frame)
        pkt = result.packet
        if result.error is not None:
            pkt = self._lenient_retry(conn, frame, result, received_at)
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
        self, conn: DeviceConnection, frame: bytes, result: hj212.Analysis, at: datetime
    ) -> hj212.Packet | None:
        """A strictly rejected frame: its lenient reading if the device's policy allows it."""
        exc = result.error
        assert exc is not None
        relaxed = result.packet
        mn = relaxed.mn if relaxed is not None else _sniff_mn(frame)
        if relaxed is not None and self._is_lenient(mn):
            return relaxed
        would_pass = result.would_pass
        self._reject(conn, frame, type(exc).__name__, exc.detail, at, mn=mn, would_pass=would_pass)
        return None

    def _dispatch(
        self, conn: DeviceConnection, pkt: hj212.Packet, frame: bytes, at: datetime
    ) -> Work:
        policy = self._policy(pkt.mn)
        if pkt.mn is None:
            raise Rejected("MissingField", "MN: required")
        # Known means registered: an MN seen before, or given a parsing policy, is not.
        registered = policy is not None and policy.registered
        if not registered and self.settings.hj212_reject_unknown_mn:
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
        """An upload of values: its rows, or (split, PNUM > 1) one part of them."""
        data_time = data_time_of(pkt)
        if data_time - work.received_at > LATEST_AHEAD:
            # The file loaders' bound (ingest.checks): a time this far ahead is a wrong clock,
            # and stored it would stand as the device's newest data until the clock is right.
            raise Rejected(
                "FutureDataTime",
                f"CP.DataTime {data_time.astimezone(CST):%Y-%m-%d %H:%M:%S} is more than "
                f"{LATEST_AHEAD.days} day after the packet was received; check the device clock",
            )
        groups = stored_groups(pkt)
        if not groups:
            raise Rejected("MalformedCP", "CP: a data upload without any pollutant field")
        if pkt.pnum is not None and pkt.pno is not None and pkt.pnum > 1:
            rows_of(groups)  # checks the part's numbers now, while it can still be refused
            self.split.take(pkt, work, data_time, groups)
            if work.done_key is not None:
                self.metrics.subpackets.labels("complete").inc()
        else:
            work.kind = "data"
            work.data_time = data_time
            work.values = rows_of(groups)
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
        size: int | None = None,
    ) -> None:
        if status == "rejected":
            self.metrics.frames.labels("rejected").inc()
            self.metrics.rejected.labels(error).inc()
        log.info("rejected frame from %s (MN %s): %s: %s", conn.peer, mn, error, reason)
        raw = frame[: self.settings.hj212_max_frame]
        kept = self.raw_budget.allow(peer_host(conn.peer), len(raw))
        self.metrics.raw_bytes.labels("stored").inc(kept)
        self.metrics.raw_bytes.labels("dropped").inc(max(0, (size or len(raw)) - kept))
        self.writer.submit(
            Work(
                kind="rejected",
                received_at=at,
                peer=conn.peer,
                raw=raw[:kept],
                mn=mn,
                error=error,
                reason=reason,
                would_pass=would_pass,
                status=status,
                raw_size=size if size is not None else len(frame),
            )
        )

    def on_framing_error(self, conn: DeviceConnection, err: hj212.FramingError) -> None:
        # A frame cut short by a hang-up names its device when its MN field is whole, so the
        # device's users find it among their rejected packets.
        mn = _sniff_mn(err.discarded, whole=True) if err.reason == "truncated" else None
        self._reject(
            conn, err.discarded, "FramingError", err.detail, self._clock(), mn=mn, size=err.size
        )

    def _sweep_deadlines(self) -> None:
        """Cut peers whose frame under way is past hj212_frame_deadline_s (a stalled sender
        sends nothing that would make its connection look), then look again later."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        now = loop.time()
        for conn in list(self._connections):
            conn.check_deadline(now)
        every = min(max(self.settings.hj212_frame_deadline_s / 4, 0.05), 5.0)
        self._sweep = loop.call_later(every, self._sweep_deadlines)

    # -- split uploads -----------------------------------------------------------------------
    def _expire_split(self) -> None:
        """Store reassemblies past their timeout (marked incomplete), then look again later."""
        for work in self.split.expired(self._clock()):
            self.metrics.subpackets.labels("incomplete").inc()
            self.writer.submit(work)
        self.metrics.subpackets_open.set(self.split.reassembler.open_count)
        if self._loop is not None and not self._loop.is_closed():
            every = min(max(self.settings.hj212_subpacket_timeout_s / 4, 0.05), 10.0)
            self._expiry = self._loop.call_later(every, self._expire_split)

    # -- after commit ------------------------------------------------------------------------
    def _committed_threadsafe(self, batch: list[Work]) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):  # the loop closed during shutdown
            loop.call_soon_threadsafe(self._committed, batch)

    def _committed(self, batch: list[Work]) -> None:
        # A device's answers of one batch go out in one write, in the order it sent the
        # packets: a device with two packets in flight usually has both in the same commit.
        answers: dict[DeviceConnection, list[bytes]] = {}
        for work in batch:
            conn = work.owner
            if conn is None:
                continue
            conn.pending -= 1
            mine = answers.get(conn)
            if mine is None:
                mine = answers[conn] = []
            if work.answer is not None:
                mine.append(work.answer)
        answered = 0
        for conn, mine in answers.items():
            if mine and conn.send(mine[0] if len(mine) == 1 else b"".join(mine)):
                answered += len(mine)
            if conn.paused and conn.pending < MAX_PENDING_PER_CONNECTION // 2:
                conn.resume()
        self.metrics.acks.inc(answered)
        self.metrics.queue_depth.set(self.writer.depth())


def _sniff_mn(frame: bytes, *, whole: bool = False) -> str | None:
    """Best-effort MN of an unparseable frame, so its rejections can be listed per device;
    ``whole``: only when the field ends before the bytes do (a frame cut short may have cut
    its MN)."""
    at = frame.find(b"MN=")
    if at < 0:
        return None
    end = len(frame)
    for sep in (b";", b",", b"&"):
        pos = frame.find(sep, at)
        if 0 <= pos < end:
            end = pos
    if whole and end == len(frame):
        return None
    mn = frame[at + 3 : end].decode("ascii", "replace")
    return mn[:64] or None
