"""One device's TCP connection: framing, flood control, deadlines, back-pressure.

What one peer can cost is bounded here (settings ``hj212_*``, docs/design.md "Exchange limits
and subpackets"): bad frames in a sliding window of its last frames, bytes sent without a frame
coming out of them, the time a begun frame may take, and (server-wide) the number of open
connections and the raw bytes of bad frames kept in `packet_log`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, cast

from ecohub.protocols import hj212

if TYPE_CHECKING:
    from ecohub.ingest.hj212_server import Hj212Server

log = logging.getLogger(__name__)

#: How long a frame complete by its declared length but without CR LF waits for more bytes
#: before it is taken as it is: a CR LF split into the next TCP segment arrives well within it,
#: a device waiting for its answer (HJ 212-2017 default time-out 5 s) is answered in time.
UNTERMINATED_GRACE_S = 0.3


class BadFrameWindow:
    """How many of the last ``size`` frames were bad: a good frame now and then no longer
    resets the count, as a run counter did."""

    def __init__(self, size: int) -> None:
        self._last: deque[bool] = deque(maxlen=max(1, size))
        self.bad = 0

    def add(self, bad: bool) -> int:
        if not bad and not self.bad:
            # Nothing bad in the window: a good frame changes no count, so it is not recorded
            # (the common case, at full rate). Skipping goods older than every bad frame
            # leaves the count of bad frames among the last `size` unchanged.
            return 0
        last = self._last
        if len(last) == last.maxlen and last[0]:
            self.bad -= 1
        last.append(bad)
        if bad:
            self.bad += 1
        return self.bad


class RawLogBudget:
    """Raw bytes of bad frames that may still be kept verbatim, per peer host and in total.

    Budgets refill every ``window_s`` seconds. Beyond a budget a frame keeps only its first
    ``keep`` bytes (and its full length, in `packet_log.raw_size`).
    """

    def __init__(
        self,
        per_peer: int,
        total: int,
        window_s: float,
        keep: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.per_peer = per_peer
        self.total = total
        self.window_s = window_s
        self.keep = keep
        self._clock = clock
        self._start = clock()
        self._used: dict[str, int] = {}
        self._used_total = 0

    def allow(self, host: str, size: int) -> int:
        """How many of ``size`` bytes from ``host`` to keep (all of them, or ``keep``)."""
        now = self._clock()
        if now - self._start >= self.window_s:
            self._start = now
            self._used.clear()
            self._used_total = 0
        used = self._used.get(host, 0)
        if used + size <= self.per_peer and self._used_total + size <= self.total:
            self._used[host] = used + size
            self._used_total += size
            return size
        return min(size, self.keep)


class DeviceConnection(asyncio.Protocol):
    """One device's TCP connection: framing, flood control and deadlines."""

    def __init__(self, server: Hj212Server) -> None:
        self.server = server
        s = server.settings
        self.framer = hj212.Framer(max_frame=s.hj212_max_frame)
        self.transport: asyncio.Transport | None = None
        self.peer = "?"
        self.pending = 0
        self.paused = False
        self.bad = BadFrameWindow(s.hj212_bad_frame_window)
        # Bytes received since a frame (or framing error) last came out of the framer.
        self.since_frame = 0
        # Loop time when the frame now being received began (None: between frames). Checked on
        # each read and by the server's sweep (check_deadline): no timer per frame, which would cost
        # a TimerHandle per partial read at full rate.
        self.frame_started: float | None = None
        self._idle: asyncio.TimerHandle | None = None
        # Loop time of the last read: the idle timer looks at it when it fires, so a read costs
        # no timer (one per timeout per connection instead of one per packet).
        self._last_read = 0.0
        self._closed = False
        # Armed while the framer holds a frame complete by its declared length without CR LF.
        self._unfinished: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement the interface without subclassing asyncio.Transport.
        self.transport = cast(asyncio.Transport, transport)
        peer = transport.get_extra_info("peername")
        self.peer = f"{peer[0]}:{peer[1]}" if peer else "?"
        server = self.server
        if len(server._connections) >= server.settings.hj212_max_connections:
            # Refused: closed before it is counted as open, so it holds nothing.
            server.metrics.refused.inc()
            log.warning("refusing %s: %d connections open", self.peer, len(server._connections))
            self._closed = True
            self.transport.abort()
            return
        server._connections.add(self)
        server.metrics.connections.inc()
        self._arm_idle()

    def connection_lost(self, exc: Exception | None) -> None:
        by_peer = not self._closed  # we close (cut, idle, shutdown) only after saying why
        self._closed = True
        if self._idle is not None:
            self._idle.cancel()
        if self._unfinished is not None:
            self._unfinished.cancel()
        if by_peer and self in self.server._connections:
            # The peer hung up: a last frame without CR LF is stored (there is no one left to
            # answer), and a frame cut short is logged as rejected rather than forgotten.
            for item in self.framer.flush(final=True):
                self._handle(item)
        if self in self.server._connections:
            self.server._connections.discard(self)
            self.server.metrics.connections.dec()

    def _handle(self, item: bytes | hj212.FramingError) -> bool:
        """One framer item to the server; whether it was a good frame."""
        if isinstance(item, bytes):
            return self.server.on_frame(self, item)
        self.server.on_framing_error(self, item)
        return False

    def data_received(self, data: bytes) -> None:
        if self._closed:
            return
        server = self.server
        if server._loop is not None:
            self._last_read = server._loop.time()
        settings = server.settings
        items = self.framer.feed(data)
        for item in items:
            ok = self._handle(item)
            if self.bad.add(not ok) >= settings.hj212_max_bad_frames:
                self._cut(
                    "flood",
                    f"{self.bad.bad} bad frames among the last {settings.hj212_bad_frame_window}",
                )
                return
        if items:
            self.since_frame = self.framer.buffered
        else:
            self.since_frame += len(data)
        if self.since_frame > settings.hj212_max_bytes_without_frame:
            self._cut("no_frame", f"{self.since_frame} bytes without a complete frame")
            return
        loop = server._loop
        if self.since_frame == 0 or loop is None:
            self.frame_started = None
        elif items or self.frame_started is None:
            self.frame_started = loop.time()
        else:
            self.check_deadline(loop.time())
        if (
            loop is not None
            and self.since_frame  # nothing held back (the common case): nothing to look at
            and self._unfinished is None
            and self.framer.complete_without_terminator()
        ):
            self._unfinished = loop.call_later(UNTERMINATED_GRACE_S, self._take_unterminated)

    def _take_unterminated(self) -> None:
        """A frame complete by its declared length but without CR LF, with nothing read for
        ``UNTERMINATED_GRACE_S``: a logger that omits CR LF and waits for the answer. Taken as
        the frame it is, so it is answered now, not when the device's next frame arrives."""
        self._unfinished = None
        loop = self.server._loop
        if self._closed or loop is None:
            return
        quiet = loop.time() - self._last_read
        if quiet < UNTERMINATED_GRACE_S:  # more bytes came: look again when they have settled
            if self.framer.complete_without_terminator():
                self._unfinished = loop.call_later(
                    UNTERMINATED_GRACE_S - quiet, self._take_unterminated
                )
            return
        for item in self.framer.flush(final=False):
            self.bad.add(not self._handle(item))
        self.since_frame = self.framer.buffered
        if self.since_frame == 0:
            self.frame_started = None

    def check_deadline(self, now: float) -> None:
        """Cut the peer when the frame under way began ``hj212_frame_deadline_s`` ago or more.

        ``now`` is the event loop's time. A connection not read because the store is behind
        (paused) is not the peer's fault: its frame's clock restarts.
        """
        started = self.frame_started
        deadline = self.server.settings.hj212_frame_deadline_s
        if started is None or deadline <= 0 or self._closed:
            return
        if self.paused:
            self.frame_started = now
        elif now - started >= deadline:
            self._cut(
                "slow",
                f"a frame not complete within {deadline:g} s ({self.since_frame} bytes so far)",
            )

    def _cut(self, reason: str, detail: str) -> None:
        server = self.server
        server.metrics.disconnects.labels(reason).inc()
        server._reject(
            self, b"", reason.title().replace("_", ""), f"{detail}: peer disconnected",
            server._clock(), status="disconnected",
        )  # fmt: skip
        self.close(reason)

    def _arm_idle(self) -> None:
        loop = self.server._loop
        timeout = self.server.settings.hj212_idle_timeout_s
        if timeout <= 0 or loop is None:
            return
        self._last_read = loop.time()
        self._idle = loop.call_later(timeout, self._on_idle)

    def _on_idle(self) -> None:
        """Close the connection when nothing was read for the idle timeout; otherwise look
        again when it would be."""
        loop = self.server._loop
        timeout = self.server.settings.hj212_idle_timeout_s
        if self._closed or loop is None:
            return
        quiet = loop.time() - self._last_read
        if quiet < timeout:
            self._idle = loop.call_later(timeout - quiet, self._on_idle)
            return
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
            self._closed = True
            self.transport.close()
