"""The simulator's packets are what a strict 2017 platform accepts, with the right cadence."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone

from ecohub.ingest.simulator import demo_devices, packets
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
