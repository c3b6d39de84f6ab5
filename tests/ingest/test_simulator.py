"""The simulator's packets are what a strict 2017 platform accepts, with the right cadence."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone

import pytest

from ecohub.ingest.simulator import (
    default_start,
    demo_devices,
    demo_outlets,
    history_packets,
    live_step,
    packets,
)
from ecohub.protocols import hj212

CST = timezone(timedelta(hours=8))


def test_packets_parse_strictly_and_keys_are_unique() -> None:
    seen = set()
    for dev in demo_devices(2):
        gen = packets(dev, datetime(2026, 1, 1, tzinfo=CST), seed=1)
        for frame, cn, data_time in itertools.islice(gen, 400):
            pkt = hj212.parse(frame)
            assert pkt.deviation is None and pkt.crc_ok and pkt.edition == "2017"
            assert pkt.cn == cn and pkt.cp["DataTime"] == data_time and pkt.wants_answer
            assert pkt.st == dev.st and len(pkt.pollutants()) >= 6
            key = (pkt.mn, cn, data_time)
            assert key not in seen
            seen.add(key)


def test_cadence_real_time_minute_hour() -> None:
    dev = demo_devices(1)[0]
    gen = packets(dev, datetime(2026, 1, 1, tzinfo=CST), seed=1)
    cns = [cn for _, cn, _ in itertools.islice(gen, 130)]
    # one simulated hour = 120 real-time packets, 6 ten-minute packets and one hourly packet
    assert cns[:3] == ["2011", "2051", "2061"]  # a start on the hour closes the prior periods
    head = cns[: 120 + 6 + 1 + 1]
    assert head.count("2061") == 1 and head.count("2051") == 6


def test_long_run_data_times_start_near_now_not_in_1966() -> None:
    # `ecohub up` ran the simulator for "10 years" at 0.2 packets/s: 63 million 30-s steps back
    # put its first DataTime at 1966-12-10. A run's clock now starts at most 200,000 steps back.
    now = datetime(2026, 11, 25, 23, 47, 12, tzinfo=CST)
    start = default_start(0.2, 10 * 365 * 86400, now)
    assert now - timedelta(days=70) < start <= now  # 200,000 x 30 s = 69.4 days
    # a short run still ends near now: 10 s at 1 packet/s = 20 steps of 30 s = 10 min back
    assert default_start(1.0, 10, now) == datetime(2026, 11, 25, 23, 0, tzinfo=CST)


def test_live_step_divides_a_minute() -> None:
    assert live_step(0.2) == timedelta(seconds=5)
    assert live_step(0.07) == timedelta(seconds=15)  # 1/0.07 = 14.3 s
    assert live_step(0.0) == timedelta(seconds=60)


def test_demo_outlets_misbehave_as_documented() -> None:
    devs = demo_outlets(4)
    assert [(d.medium, d.behaviour) for d in devs] == [
        ("gas", "stuck"),
        ("gas", "flat"),
        ("gas", "exceed"),
        ("water", "normal"),
    ]


def test_history_is_minute_data_up_to_end_with_the_misbehaviour() -> None:
    end = datetime(2026, 11, 25, 23, 47, tzinfo=CST)
    stuck, flat, exceed, _ = demo_outlets(4)
    rows = [hj212.parse(f) for f, _, _ in history_packets(stuck, end, 8, seed=1)]
    minutes = [p for p in rows if p.cn == "2051"]
    # from the hour 8 h back: 15:00 .. 23:46 (the minute of `end` is not complete yet)
    assert len(minutes) == 8 * 60 + 47
    assert minutes[0].cp["DataTime"] == "20261125150000"
    assert minutes[-1].cp["DataTime"] == "20261125234600"
    assert sum(p.cn == "2061" for p in rows) == 8  # hours 15 .. 22
    assert {p.pollutants()["a21026"]["Avg"] for p in minutes} == {"35.000"}
    flat_rows = [hj212.parse(f) for f, cn, _ in history_packets(flat, end, 8, seed=1)
                 if cn == "2051"]  # fmt: skip
    # flat from 19:00 (end - 4 h, on the hour): 12 mg/m3 +- 0.2 %
    late = [float(p.pollutants()["a21026"]["Avg"]) for p in flat_rows
            if p.cp["DataTime"] >= "20261125190000"]  # fmt: skip
    early = [float(p.pollutants()["a21026"]["Avg"]) for p in flat_rows
             if p.cp["DataTime"] < "20261125190000"]  # fmt: skip
    assert all(11.97 <= v <= 12.03 for v in late) and len(late) == 4 * 60 + 47  # 19:00 .. 23:46
    assert sum(early) / len(early) > 25  # the normal level before (mean 35)
    high = [float(hj212.parse(f).pollutants()["a21026"]["Avg"])
            for f, cn, _ in history_packets(exceed, end, 2, seed=1) if cn == "2051"]  # fmt: skip
    assert sum(high) / len(high) > 120


def test_emission_amounts_are_concentration_times_flow_volume() -> None:
    # HJ 212-2017 Cou: flue-gas volume of the interval (m3) and kg per pollutant; hand-worked:
    # a minute at Q m3/h holds Q/60 m3, and C mg/m3 x Q/60 m3 x 1e-6 = kg.
    end = datetime(2026, 11, 25, 12, 0, tzinfo=CST)
    gas = demo_outlets(4)[0]
    for frame, cn, _ in itertools.islice(history_packets(gas, end, 1, seed=3), 30):
        if cn != "2051":
            continue
        p = hj212.parse(frame).pollutants()
        q = float(p["a00000"]["Avg"])
        assert float(p["a00000"]["Cou"]) == pytest.approx(q / 60, abs=0.06)
        c = float(p["a21002"]["Avg"])
        assert float(p["a21002"]["Cou"]) == pytest.approx(c * q / 60 * 1e-6, rel=1e-3, abs=1e-5)
