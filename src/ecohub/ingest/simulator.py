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
from ecohub.protocols import hj212
from ecohub.protocols.hj212.codec import frame_segment

# HJ 212-2017 Appendix B codes with plausible levels (mean, spread) for a coal-fired boiler
# stack and a municipal-industrial waste-water outlet.
GAS = {
    "a21026": (35.0, 8.0),  # SO2 mg/m3
    "a21002": (48.0, 10.0),  # NOx mg/m3
    "a34013": (4.0, 1.2),  # particulate (smoke dust) mg/m3
    "a19001": (9.5, 0.8),  # O2 %
    "a01012": (52.0, 4.0),  # flue-gas temperature degC
    "a01014": (8.0, 1.5),  # flue-gas humidity %
    "a00000": (1.8e5, 2.0e4),  # flue-gas flow m3/h
}
WATER = {
    "w01018": (28.0, 6.0),  # COD mg/L
    "w21003": (1.6, 0.5),  # ammonia nitrogen mg/L
    "w21011": (0.25, 0.08),  # total phosphorus mg/L
    "w21001": (9.0, 2.0),  # total nitrogen mg/L
    "w01001": (7.2, 0.3),  # pH
    "w00000": (42.0, 8.0),  # waste-water flow L/s
}
FLOW_GAS, FLOW_WATER = "a00000", "w00000"
CONVERTED = {"a21026", "a21002", "a34013"}  # reported also at reference O2 (Zs* fields)
STEP = timedelta(seconds=30)  # simulated time between real-time packets


# How a simulated unit misbehaves (all on its SO2, a21026): ``stuck`` an analyser that repeats
# one value; ``flat`` a reading that drops to a fixed level with almost no noise (a faked flat
# line); ``exceed`` a stack over its demo permit limit (runtime.DEMO_LIMIT_MG_M3).
BEHAVIOURS = ("normal", "stuck", "flat", "exceed")
STUCK_VALUE = 35.0
FLAT_VALUE = 12.0
EXCEED_MEAN = 150.0


@dataclass(frozen=True)
class SimDevice:
    mn: str
    medium: str  # gas | water
    pw: str = "123456"
    behaviour: str = "normal"  # one of BEHAVIOURS

    @property
    def st(self) -> str:
        return "31" if self.medium == "gas" else "32"


def demo_devices(n: int, prefix: str = "SIM") -> list[SimDevice]:
    """``n`` simulated units, alternating flue-gas and waste-water outlets, with 24-char MNs."""
    return [
        SimDevice(mn=f"{prefix}{i:021d}"[-24:], medium="gas" if i % 2 == 0 else "water")
        for i in range(n)
    ]


def demo_outlets(n: int, prefix: str = "SIM") -> list[SimDevice]:
    """The ``ecohub up --simulate N`` units: the first three are flue-gas outlets that misbehave
    (stuck, flat, exceed), then alternating waste-water and flue-gas outlets that behave."""
    bad = ("stuck", "flat", "exceed")
    out = []
    for i in range(n):
        medium = "gas" if i < len(bad) or i % 2 == 0 else "water"
        behaviour = bad[i] if i < len(bad) else "normal"
        out.append(SimDevice(f"{prefix}{i:021d}"[-24:], medium, behaviour=behaviour))
    return out


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


# Fields of each pollutant per command, as multiples of the period's drawn value v.
_FIELDS_2011 = (("Rtd", 1.0),)
_FIELDS_STATS = (("Min", 0.9), ("Avg", 1.0), ("Max", 1.1))
_ZS_2011 = (("ZsRtd", 1.1),)
_ZS_STATS = (("ZsMin", 0.99), ("ZsAvg", 1.1), ("ZsMax", 1.21))
_NO_COU = {"a19001", "a01012", "a01014", "w01001"}  # O2, temperature, humidity, pH: no total


@dataclass(frozen=True)
class _Layout:
    """The CP of one command for one kind of outlet, as a format string and its values.

    Built once per unit and command: each packet then draws one value per pollutant and fills
    the template, because the simulator must outrun the server it measures.
    """

    levels: tuple[tuple[float, float], ...]  # (mean, spread) per pollutant
    # per placeholder: (pollutant index, multiple of v, index of the flow whose v multiplies
    # too, or -1): a pollutant's Cou is its concentration x the interval's flow volume
    recipe: tuple[tuple[int, float, int], ...]
    template: str

    @classmethod
    def of(cls, table: dict[str, tuple[float, float]], cn: str, period_s: int = 600) -> _Layout:
        recipe: list[tuple[int, float, int]] = []
        groups = []
        codes = list(table)
        gas = FLOW_GAS in table
        flow = codes.index(FLOW_GAS if gas else FLOW_WATER)
        # HJ 212-2017 Cou: flow -> m3 in the interval (gas flow in m3/h, water in L/s);
        # a pollutant -> kg = mg/m3 x m3 x 1e-6 (gas) or mg/L x L/s x s x 1e-6 (water).
        flow_cou = period_s / 3600 if gas else period_s / 1000
        load_cou = (period_s / 3600 if gas else period_s) * 1e-6
        for i, (code, (mean, _)) in enumerate(table.items()):
            fields = [(n, m, -1) for n, m in (_FIELDS_2011 if cn == "2011" else _FIELDS_STATS)]
            if code in CONVERTED:
                fields += [(n, m, -1) for n, m in (_ZS_2011 if cn == "2011" else _ZS_STATS)]
            if cn != "2011" and code not in _NO_COU:
                fields.append(("Cou", flow_cou, -1) if i == flow else ("Cou", load_cou, flow))
            parts = []
            for name, multiple, by in fields:
                # 3 decimals as loggers send, 1 for large magnitudes (flue-gas flow), 5 for
                # the small emission amounts of one interval
                spec = ".5f" if by >= 0 else ".3f" if abs(mean * multiple) < 1000 else ".1f"
                parts.append(f"{code}-{name}={{:{spec}}}")
                recipe.append((i, multiple, by))
            parts.append(f"{code}-Flag=N")
            groups.append(",".join(parts))
        return cls(tuple(table.values()), tuple(recipe), ";".join(groups))

    def cp(self, rng: random.Random, first: float | None = None) -> str:
        """One packet's CP; ``first`` fixes the first pollutant's value (a misbehaving unit)."""
        gauss = rng.gauss
        v = [max(0.0, gauss(mean, spread)) for mean, spread in self.levels]
        if first is not None:
            v[0] = first
        return self.template.format(
            *[v[i] * m * (v[b] if b >= 0 else 1.0) for i, m, b in self.recipe]
        )


def _first_value(
    dev: SimDevice, rng: random.Random, t: datetime, flat_from: datetime
) -> float | None:
    """The SO2 value a misbehaving unit reports at ``t`` (None: drawn as for a normal unit)."""
    if dev.behaviour == "stuck":
        return STUCK_VALUE
    if dev.behaviour == "flat" and t >= flat_from:
        return FLAT_VALUE * (1 + rng.uniform(-0.002, 0.002))
    if dev.behaviour == "exceed":
        return max(0.0, rng.gauss(EXCEED_MEAN, 10.0))
    return None


def _frame(dev: SimDevice, qn: str, cn: str, data_time: str, groups: str) -> bytes:
    """A 2017 data upload with Flag=5 (A set)."""
    segment = (
        f"QN={qn};ST={dev.st};CN={cn};PW={dev.pw};MN={dev.mn};Flag=5;"
        f"CP=&&DataTime={data_time};{groups}&&"
    )
    return frame_segment(segment.encode("ascii"))


def packets(
    dev: SimDevice,
    start: datetime,
    seed: int,
    *,
    step: timedelta = STEP,
    minute_period: int = 10,
    flat_from: datetime | None = None,
) -> Iterator[tuple[bytes, str, str]]:
    """Endless (frame, cn, DataTime) of one unit.

    A 2011 packet every simulated ``step`` (30 s); at each ``minute_period``-minute mark the 2051
    of the period just completed, and at each hour the 2061 of the hour just completed. A ``flat``
    unit reports its flat line from ``flat_from`` on (from the start when not given).
    """
    rng = random.Random(seed)
    table = GAS if dev.medium == "gas" else WATER
    periods = {"2011": 0, "2051": 60 * minute_period, "2061": 3600}
    layouts = {cn: _Layout.of(table, cn, periods[cn]) for cn in periods}
    flat = flat_from or start
    t = start
    seq = 0
    while True:
        due = [("2011", t)]
        if t.second == 0 and t.minute % minute_period == 0:
            due.append(("2051", t - timedelta(minutes=minute_period)))
            if t.minute == 0:
                due.append(("2061", t - timedelta(hours=1)))
        for cn, when in due:
            data_time = when.strftime("%Y%m%d%H%M%S")
            qn = (t + timedelta(milliseconds=seq % 1000)).strftime("%Y%m%d%H%M%S%f")[:17]
            seq += 1
            cp = layouts[cn].cp(rng, _first_value(dev, rng, when, flat))
            yield _frame(dev, qn, cn, data_time, cp), cn, data_time
        t += step


def history_packets(
    dev: SimDevice, end: datetime, hours: int, seed: int
) -> Iterator[tuple[bytes, str, str]]:
    """The minutes from the hour ``hours`` hours before ``end`` (a whole minute) up to ``end`` of
    one unit: a 2051 minute value every minute and the 2061 of each hour, as a logger resending
    its backlog (whole hours, so the first one is not judged as missing minutes). A ``flat``
    unit behaves for the first half and reports its flat line for the second."""
    start = (end - timedelta(hours=hours)).replace(minute=0)
    flat_from = (end - timedelta(hours=hours // 2)).replace(minute=0)
    gen = packets(dev, start + timedelta(minutes=1), seed, step=timedelta(minutes=1),
                  minute_period=1, flat_from=flat_from)  # fmt: skip
    for frame, cn, data_time in gen:
        if data_time > end.strftime("%Y%m%d%H%M%S"):
            return
        if cn != "2011":
            yield frame, cn, data_time


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
    """Run units for ``duration`` seconds at ``rate`` packets/s each (0 = as fast as answered).

    ``live``: data times follow the wall clock (``ecohub up``); otherwise a simulated clock from
    ``start`` (default: :func:`default_start`) steps 30 s per packet."""
    devs = demo_devices(devices) if isinstance(devices, int) else devices
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
