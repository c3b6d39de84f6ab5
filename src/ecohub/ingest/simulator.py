"""Simulated data-acquisition units (DAUs) that speak HJ 212 over real TCP.

Each unit is a flue-gas or waste-water outlet sending real-time (2011) data with minute (2051)
and hourly (2061) statistics interleaved, as loggers do, and counts the 9014 answers it gets.
A unit waits for the answer to each packet (up to ``window`` outstanding), like a real logger.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ecohub.cst import CST
from ecohub.ingest.sim_packets import (
    BEHAVIOURS,
    GAS,
    STEP,
    WATER,
    SimDevice,
    demo_devices,
    demo_outlets,
    history_packets,
    load_devices,
    packets,
)
from ecohub.protocols import hj212

__all__ = [
    "BEHAVIOURS",
    "GAS",
    "MAX_STEPS_BACK",
    "STEP",
    "WATER",
    "SimDevice",
    "SimReport",
    "default_start",
    "demo_devices",
    "demo_outlets",
    "history_packets",
    "live_step",
    "load_devices",
    "packets",
    "send_history",
    "simulate",
]


@dataclass
class SimReport:
    devices: int = 0
    sent: int = 0
    acked: int = 0
    unanswered: int = 0
    connect_errors: int = 0
    elapsed_s: float = 0.0
    acked_keys: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.acked / self.elapsed_s if self.elapsed_s else 0.0


class _Unit:
    """One simulated unit's connection: sends paced packets, matches answers by QN."""

    def __init__(self, dev: SimDevice, report: SimReport, record: bool, window: int) -> None:
        self.dev = dev
        self.report = report
        self.record = record
        self.window = window
        self.outstanding: dict[str, tuple[str, str]] = {}
        self.room = asyncio.Event()
        self.room.set()

    async def read_answers(self, reader: asyncio.StreamReader) -> None:
        while True:
            line = await reader.readuntil(b"\r\n")
            try:
                ans = hj212.parse(line)
            except hj212.ProtocolError:
                continue
            if ans.cn == "9014" and ans.qn in self.outstanding:
                cn, dt = self.outstanding.pop(ans.qn)
                self.report.acked += 1
                if self.record:
                    self.report.acked_keys.append((self.dev.mn, cn, dt))
                self.room.set()

    async def send_all(
        self,
        writer: asyncio.StreamWriter,
        gen: Iterator[tuple[bytes, str, str]],
        interval: float,
        next_send: float,
        deadline: float,
    ) -> None:
        while time.monotonic() < deadline:
            if len(self.outstanding) >= self.window:
                self.room.clear()
                try:
                    # asyncio.timeout, not wait_for: no extra task per wait, at full rate.
                    async with asyncio.timeout(max(0.0, deadline - time.monotonic())):
                        await self.room.wait()
                except TimeoutError:
                    return
                continue
            item = next(gen, None)
            if item is None:  # a finite backlog (send_history) is all sent
                return
            frame, cn, dt = item
            qn = frame.split(b"QN=", 1)[1][:17].decode()
            self.outstanding[qn] = (cn, dt)
            writer.write(frame)
            self.report.sent += 1
            if interval:
                next_send += interval
                delay = next_send - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
            await writer.drain()

    async def drain_answers(self, timeout: float, reading: asyncio.Task[None]) -> None:
        wait_until = time.monotonic() + timeout
        while self.outstanding and time.monotonic() < wait_until and not reading.done():
            await asyncio.sleep(0.01)


async def _run_device(
    dev: SimDevice,
    host: str,
    port: int,
    gen: Iterator[tuple[bytes, str, str]],
    interval: float,
    first_delay: float,
    deadline: float,
    report: SimReport,
    record: bool,
    window: int,
    answer_timeout: float,
) -> None:
    try:
        reader, writer = await asyncio.open_connection(host, port)
    except OSError:
        report.connect_errors += 1
        return
    unit = _Unit(dev, report, record, window)
    next_send = time.monotonic() + first_delay
    if first_delay > 0:
        await asyncio.sleep(first_delay)
    reading = asyncio.create_task(unit.read_answers(reader))
    try:
        await unit.send_all(writer, gen, interval, next_send, deadline)
        await unit.drain_answers(answer_timeout, reading)
    except (ConnectionError, OSError):
        report.connect_errors += 1
    finally:
        report.unanswered += len(unit.outstanding)
        reading.cancel()
        with contextlib.suppress(BaseException):
            await reading
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()


# A run that does not say where its simulated clock starts ends near now; at most this many
# steps back (69 days at 30 s), so a long run never starts decades ago (it did: `ecohub up`
# ran for "10 years" at 0.2 packets/s and its data times began in 1966).
MAX_STEPS_BACK = 200_000


def default_start(rate: float, duration: float, now: datetime) -> datetime:
    """Where a non-live run's simulated clock starts: far enough back that its data times end
    near ``now`` (a whole hour, at most MAX_STEPS_BACK steps back)."""
    budget = int(rate * duration) + 10 if rate > 0 else MAX_STEPS_BACK
    start = now.replace(second=0, microsecond=0) - STEP * min(budget, MAX_STEPS_BACK)
    return start.replace(minute=0)


def live_step(rate: float) -> timedelta:
    """The step of a live unit sending ``rate`` packets/s: whole seconds dividing a minute."""
    want = 1.0 / rate if rate > 0 else 60.0
    return timedelta(seconds=next(s for s in (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60)
                                  if s >= want or s == 60))  # fmt: skip


async def simulate(
    host: str,
    port: int,
    devices: int | list[SimDevice] = 10,
    rate: float = 1.0,
    duration: float = 10.0,
    *,
    start: datetime | None = None,
    record: bool = False,
    window: int = 1,
    answer_timeout: float = 5.0,
    seed: int = 212,
    live: bool = False,
) -> SimReport:
    """Run units for ``duration`` seconds at ``rate`` packets/s each (0 = as fast as answered);
    ``devices`` a number: that many :func:`load_devices` (never a demo outlet's MN).

    ``live``: data times follow the wall clock (``ecohub up``); otherwise a simulated clock from
    ``start`` (default: :func:`default_start`) steps 30 s per packet."""
    devs = load_devices(devices) if isinstance(devices, int) else devices
    report = SimReport(devices=len(devs))
    began = time.monotonic()
    deadline = began + duration
    runs = []
    for i, d in enumerate(devs):
        if live:
            # Data times are the wall clock: a packet is sent when its DataTime comes, and each
            # minute carries its 2051 minute value (what the anomaly rules read).
            step = live_step(rate)
            now = datetime.now(CST)
            first = now.replace(microsecond=0) - timedelta(seconds=now.second % step.seconds)
            first += step
            gen = packets(d, first, seed + i, step=step, minute_period=1)
            interval, delay = step.total_seconds(), (first - now).total_seconds()
        else:
            if start is None:
                start = default_start(rate, duration, datetime.now(CST))
            gen = packets(d, start, seed + i)
            interval = 1.0 / rate if rate > 0 else 0.0
            delay = random.Random(seed + i).random() * interval
        runs.append(
            _run_device(d, host, port, gen, interval, delay, deadline, report, record, window,
                        answer_timeout)
        )  # fmt: skip
    await asyncio.gather(*runs)
    report.elapsed_s = time.monotonic() - began
    return report


async def send_history(
    host: str,
    port: int,
    devices: list[SimDevice],
    hours: int = 8,
    *,
    end: datetime | None = None,
    window: int = 50,
    seed: int = 212,
    answer_timeout: float = 30.0,
) -> SimReport:
    """Backfill the last ``hours`` hours of minute data of ``devices`` through the HJ 212
    listener, as fast as it answers (``window`` packets outstanding per unit): the anomaly rules
    need hours of data, and a demo should show its misbehaving units within a minute."""
    end = end or datetime.now(CST).replace(second=0, microsecond=0)
    report = SimReport(devices=len(devices))
    began = time.monotonic()
    deadline = began + 3600.0
    await asyncio.gather(
        *(
            _run_device(d, host, port, history_packets(d, end, hours, seed + i), 0.0, 0.0,
                        deadline, report, False, window, answer_timeout)
            for i, d in enumerate(devices)
        )
    )  # fmt: skip
    report.elapsed_s = time.monotonic() - began
    return report
