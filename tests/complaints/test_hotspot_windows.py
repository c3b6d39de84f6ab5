"""Hot-spot windows sit at fixed calendar positions: which complaints form a hot spot never
depends on other, older data.

The windows (14 days, every 7 days) start on Mondays 00:00 CST: 2026-10-19, 10-26, 11-02, 11-09
and so on (2026-11-02 is 1 400 weeks after the anchor, Monday 2000-01-03). Hand-worked:

- burst P: four dust complaints around one point on Wed 2026-11-04 .. Sat 11-07: inside the
  windows of 10-26 and 11-02, so one hot spot of four.
- burst Q (the tester's case): four on Fri 10-30, Tue 11-03, Sat 11-07 and Wed 11-11 20:00,
  12.5 days: the window of 10-26 holds the first three, that of 11-02 the last three, none all
  four, so no hot spot — whatever else is stored.
"""

from __future__ import annotations

import pandas as pd
import pytest

from ecohub.complaints.hotspots import find_hotspots
from ecohub.complaints.params import params

P_DAYS = ["2026-11-04 09:00", "2026-11-05 10:00", "2026-11-06 11:00", "2026-11-07 20:00"]
Q_DAYS = ["2026-10-30 09:00", "2026-11-03 10:00", "2026-11-07 11:00", "2026-11-11 20:00"]
# Within 100 m of each other (0.0005° of latitude is about 56 m).
OFFSETS = [(0.0, 0.0), (0.0005, 0.0), (0.0, 0.0005), (-0.0005, 0.0)]


def _rows(prefix: str, days: list[str], lon: float, lat: float) -> list[dict[str, object]]:
    return [
        {"complaint_id": f"{prefix}{i}", "received_at": pd.Timestamp(d, tz="Asia/Shanghai"),
         "category": "air", "topic": "dust", "region_code": "110118", "lon": lon + dx,
         "lat": lat + dy}
        for i, (d, (dx, dy)) in enumerate(zip(days, OFFSETS, strict=True))
    ]  # fmt: skip


def _spots(rows: list[dict[str, object]]) -> list[tuple[str, tuple[str, ...]]]:
    frame = pd.DataFrame(rows)
    frame["received_at"] = pd.to_datetime(frame["received_at"], utc=True)
    return [(h.hotspot_id, h.members) for h in find_hotspots(frame, params())]


BURSTS = _rows("P", P_DAYS, 116.85, 40.38) + _rows("Q", Q_DAYS, 116.95, 40.48)


def test_the_hand_worked_windows() -> None:
    assert _spots(BURSTS) == [("HP0", ("P0", "P1", "P2", "P3"))]


@pytest.mark.parametrize("old_day", ["2026-04-24 10:00", "2026-04-28 10:00", "2026-05-01 10:00",
                                     "2026-10-29 10:00"])  # fmt: skip
def test_an_unrelated_older_complaint_changes_nothing(old_day: str) -> None:
    # Cooking fumes (category air) in Yanqing, about 100 km away.
    old = {"complaint_id": "OLD", "received_at": pd.Timestamp(old_day, tz="Asia/Shanghai"),
           "category": "air", "topic": "cooking_fumes", "region_code": "110119", "lon": 115.97,
           "lat": 40.46}  # fmt: skip
    assert _spots([old, *BURSTS]) == [("HP0", ("P0", "P1", "P2", "P3"))]
