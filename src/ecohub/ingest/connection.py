"""One device's TCP connection: framing, flood control, idle timeout, back-pressure."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, cast

from ecohub.protocols import hj212

if TYPE_CHECKING:
    from ecohub.ingest.hj212_server import Hj212Server

log = logging.getLogger(__name__)


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
