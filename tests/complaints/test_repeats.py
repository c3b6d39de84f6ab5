"""``find_repeats`` on hand-placed complaints: an address match only in one county, and never
against two points farther apart than the place threshold.

Points are placed in metres east of a centre: ``dlon = m / (R cos lat)`` in radians,
R = 6 371 008.8 m.
"""

from __future__ import annotations

import math

import pandas as pd

from ecohub.complaints.params import params
from ecohub.complaints.repeats import find_repeats

R = 6_371_008.8
LON0, LAT0 = 116.40, 39.90


def east(m: float) -> float:
    return LON0 + math.degrees(m / (R * math.cos(math.radians(LAT0))))


def test_address_matches_only_in_one_county_and_not_across_far_points() -> None:
    t = pd.Timestamp("2026-11-25 09:00", tz="Asia/Shanghai")
    nan = float("nan")
    rows = [  # id, days after t, county, address, lon (lat LAT0 when lon is given)
        ("E0", 0, "110101", "幸福小区", nan),  # Dongcheng
        ("E1", 2, "310115", "幸福小区", nan),  # Pudong: same words, another city
        ("F0", 0, "110229", "示例街", east(0)),
        ("F1", 1, "110229", "示例街", east(1400)),  # 1.4 km from F0: another place
        ("G0", 0, "110105", "东坝路9号", east(0)),
        ("G1", 1, "110105", "东坝路9号", nan),  # no point: the address in one county decides
        ("H0", 0, "110106", "花园路1号", east(0)),
        ("H1", 1, "110106", "别的写法", east(100)),  # 100 m: the points decide
        ("K0", 0, None, "无名路", nan),
        ("K1", 1, None, "无名路", nan),  # no county: nobody can say it is the same place
    ]
    # One topic per pair, so the pairs cannot chain with each other.
    frame = pd.DataFrame(
        {
            "complaint_id": [r[0] for r in rows],
            "received_at": [t + pd.Timedelta(days=r[1]) for r in rows],
            "topic": [f"illegal_dumping_{r[0][0]}" for r in rows],
            "region_code": [r[2] for r in rows],
            "address_norm": [r[3] for r in rows],
            "lon": [r[4] for r in rows],
            "lat": [nan if math.isnan(r[4]) else LAT0 for r in rows],
        }
    )
    got = dict(zip(frame["complaint_id"], find_repeats(frame, params()), strict=True))
    assert got == {
        "E0": None, "E1": None,
        "F0": None, "F1": None,
        "G0": None, "G1": "G0",
        "H0": None, "H1": "H0",
        "K0": None, "K1": None,
    }  # fmt: skip
