"""What the simulated data-acquisition units send: HJ 212-2017 data uploads of flue-gas and
waste-water outlets (real-time 2011, minute 2051, hourly 2061), normal or misbehaving, as a live
stream or as a backlog of recent minute data. The TCP side is :mod:`ecohub.ingest.simulator`.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

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


# The MNs of `ecohub hj212 simulate`'s units (LOAD + 20 digits): never those of the demo outlets
# of `ecohub up --simulate` (SIM + 21 digits), whose data a load test must not mix into.
LOAD_PREFIX = "LOAD"


def demo_devices(n: int, prefix: str = "SIM") -> list[SimDevice]:
    """``n`` simulated units, alternating flue-gas and waste-water outlets, with 24-char MNs
    (``prefix`` then the unit's number, zero-padded)."""
    width = 24 - len(prefix)
    return [
        SimDevice(mn=f"{prefix}{i:0{width}d}"[-24:], medium="gas" if i % 2 == 0 else "water")
        for i in range(n)
    ]


def load_devices(n: int) -> list[SimDevice]:
    """The units of a load test (``ecohub hj212 simulate``): as :func:`demo_devices`, MNs
    ``LOAD00000000000000000000`` on, apart from every demo outlet's."""
    return demo_devices(n, prefix=LOAD_PREFIX)


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
