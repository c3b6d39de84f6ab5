"""Values below the detection limit (`…L`, stored with `below_detection`) are upper bounds, not
measurements (docs/standards.md): a clean stack reading "below the limit" for hours is not a
stuck analyser. The rules that judge a value being unchanging (constant, drop_flat,
narrow_range, flat_halfmonth) do not take them as constant measured values, in batch and in the
stream (walk M, finding 2)."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from ecohub.supervision import Detector, detect
from tests.supervision.series import MN, T0, clean, findings, load, store, table

M = timedelta(minutes=1)
D = timedelta(days=1)
STUCK = ("constant", "drop_flat", "narrow_range", "flat_halfmonth")


def _limit_run(below: bool) -> pa.Table:
    """A day of SO2: measured ~30 mg/m3, then 3.0 for 06:00-11:59 (minutes 360-719), measured
    again; flow above 0 throughout. ``below``: the 3.0 are '3L' (below the detection limit)."""
    v = clean(1440)
    v["a21026"][360:720] = 3.0
    mask = np.zeros(1440, bool)
    mask[360:720] = below
    return table(v, below={"a21026": mask})


def _stuck(con) -> list[tuple]:
    return [f for f in findings(con) if f[2] in STUCK]


def _batch(rows: pa.Table):
    con = store()
    load(con, rows)
    detect(con, T0, T0 + D)
    return con


def _stream(rows: pa.Table, days: int = 1):
    con = store()
    det = Detector(flush_s=0, alerts=False)
    t = T0
    times = rows.column("data_time")
    while t < T0 + days * D:
        lo, hi = pa.scalar(t, type=times.type), pa.scalar(t + 47 * M, type=times.type)
        part = rows.filter(pc.and_(pc.greater_equal(times, lo), pc.less(times, hi)))
        load(con, part)
        det.on_batch(con, part)
        t += 47 * M
    tail = table(clean(1), start=T0 + days * D)  # completes the last hour
    load(con, tail)
    det.on_batch(con, tail)
    det.flush(con)
    assert det.errors == 0
    det.close()
    return con


def test_a_measured_twin_is_a_stuck_analyser() -> None:
    # the same numbers measured (no 'L'): 3.0 held for 6 h is constant from its first pair
    # (minute 360) to minute 719, and a fall from ~30 to a flat 3 is a drop then a flat line
    # (candidate hours 06:00, 07:00, 08:00: each <= half the 3 h before; 06:00-11:00)
    con = _batch(_limit_run(below=False))
    assert [(p, r, s, e) for _, p, r, s, e in _stuck(con)] == [
        ("a21026", "constant", T0 + 360 * M, T0 + 719 * M),
        ("a21026", "drop_flat", T0 + 6 * 60 * M, T0 + 11 * 60 * M),
    ]


@pytest.mark.parametrize("path", ["batch", "stream"])
def test_hours_below_the_detection_limit_are_no_stuck_analyser(path: str) -> None:
    rows = _limit_run(below=True)
    con = _batch(rows) if path == "batch" else _stream(rows)
    assert _stuck(con) == []
    assert con.execute("SELECT count(*) FROM alert WHERE severity = 'high'").fetchall() == [(0,)]
    # still stored as sent
    n = con.execute(
        "SELECT count(*) FROM emission WHERE pollutant = 'a21026' AND below_detection"
    ).fetchall()
    assert n == [(360,)]


def test_a_stuck_run_does_not_continue_through_values_below_the_limit() -> None:
    # 42.0 measured for 3 h (minutes 0-179), 3L for an hour, 42.0 for 3 h again: neither
    # measured stretch lasts the rule's 4 h, and "below 3" is not "42": no constant finding.
    v = clean(600)
    v["a21026"][0:180] = 42.0
    v["a21026"][180:240] = 3.0
    v["a21026"][240:420] = 42.0
    mask = np.zeros(600, bool)
    mask[180:240] = True
    con = _batch(table(v, below={"a21026": mask}))
    assert findings(con, "constant") == []


def test_three_days_below_the_limit_are_not_a_narrow_range() -> None:
    # 3 days of SO2 at 3L: every hourly mean is 3.0 (range 0 < 2 % of 200); measured, this
    # would be narrow_range; below the limit it is a clean stack, not a flat analyser.
    days = 3
    v = clean(days * 1440)
    v["a21026"][:] = 3.0
    twin = _stuck_after(v, days, below=False)
    assert ("a21026", "narrow_range") in twin
    assert _stuck_after(v, days, below=True) == set()


def _stuck_after(v: dict[str, np.ndarray], days: int, below: bool) -> set[tuple[str, str]]:
    mask = np.full(days * 1440, below)
    con = store()
    load(con, table(v, below={"a21026": mask}))
    detect(con, T0, T0 + days * D)
    return {(f[1], f[2]) for f in _stuck(con) if f[1] == "a21026"}


def test_the_stream_takes_tables_without_the_column() -> None:
    # an Arrow table fed to on_batch (replays, the benchmark) may lack `below_detection`:
    # its values count as measured
    rows = _limit_run(below=False).drop_columns(["below_detection"])
    con = store()
    det = Detector(flush_s=0, alerts=False)
    det.on_batch(con, rows)
    det.flush(con)
    assert det.errors == 0
    assert MN in {f[0] for f in findings(con, "constant")}
