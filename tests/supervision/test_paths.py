"""Batch and stream give the same findings; findings are not duplicated; marked data are kept
but not judged; the service reads under the caller's scope."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from ecohub.access import Principal
from ecohub.supervision import Detector, RuleError, anomalies, detect
from tests.supervision.series import MN, T0, clean, findings, load, store, table

M = timedelta(minutes=1)
D = timedelta(days=1)


def faulty() -> pa.Table:
    """Two days with one fault of several kinds, at known minutes."""
    v = clean(2 * 1440)
    v["a21026"][600:900] = 42.0  # constant 5 h
    v["a21002"][1500:1520] = -1.0  # negative 20 min
    v["a19001"][2000:2040] = 20.2  # O2 of air for 40 min
    keep = np.ones(2 * 1440, bool)
    keep[2500:2520] = False  # silent 20 min
    drop = np.zeros(2 * 1440, bool)
    drop[1200:1300] = True
    v["a34013"] = np.where(drop, 2.0, v["a34013"])  # a drop to a flat 2.0
    return table(v, keep=keep)


def _permit(con) -> None:
    con.execute("INSERT INTO permit (permit_no, source_code) VALUES ('P1', 'S1')")
    con.execute(
        'INSERT INTO permit_limit (permit_no, outlet_code, pollutant, "limit", unit, period, '
        "reference_o2) VALUES ('P1', 'DA001', 'a21026', 35, 'mg/m³', 'hour', 6)"
    )


def _count(con) -> int:
    return con.execute("SELECT count(*) FROM anomaly").fetchall()[0][0]


def _between(rows: pa.Table, a, b) -> pa.Table:
    t = rows.column("data_time")
    ty = t.type
    return rows.filter(
        pc.and_(pc.greater_equal(t, pa.scalar(a, type=ty)), pc.less(t, pa.scalar(b, type=ty)))
    )


def marked_stretches() -> pa.Table:
    """Two days with converted values that do not follow the O2 (zs_mismatch runs) and device
    marks inside them, as the walk's gas outlet sent: SO2's ZsAvg 30 % high from minute 120 to
    899 with an all-D hour (minutes 300-359, 05:00-05:59) and 10 C minutes (500-509); NOx's
    30 % high from minute 600 to 1299 with 4 hours of D (800-1039, 13:20-17:19)."""
    v = clean(2 * 1440)
    o2 = v["a19001"]
    zs = {p: np.round(v[p] * 15 / (21 - o2), 2) for p in ("a21026", "a21002", "a34013")}
    zs["a21026"][120:900] = np.round(zs["a21026"][120:900] * 1.3, 2)
    zs["a21002"][600:1300] = np.round(zs["a21002"][600:1300] * 1.3, 2)
    flags = {p: np.full(2 * 1440, "N", dtype=object) for p in v}
    flags["a21026"][300:360] = "D"
    flags["a21026"][500:510] = "C"
    flags["a21002"][800:1040] = "D"
    return table(v, flags=flags, zs=zs)


def _stream(rows: pa.Table, flush_s: float):
    streamed = store()
    _permit(streamed)
    det = Detector(flush_s=flush_s)
    step = timedelta(minutes=47)  # batches that do not line up with hours
    t = T0
    while t < T0 + 2 * D:
        part = _between(rows, t, t + step)
        load(streamed, part)
        det.on_batch(streamed, part)
        t += step
    # the last hour completes when the next hour's data arrive: send the first minute of day 3
    tail = table(clean(1), start=T0 + 2 * D)
    load(streamed, tail)
    det.on_batch(streamed, tail)
    det.flush(streamed)
    assert det.errors == 0
    return streamed


@pytest.mark.parametrize("flush_s", [0.0, 3600.0])
def test_stream_bridges_marked_stretches_as_batch_does(flush_s: float) -> None:
    # docs/supervision.md "Device marks": marked values neither start nor break a run, so
    # each series has one zs_mismatch run over its marks (the SO2 run from minute 120 to 899,
    # NOx from 600 to 1299), in batch and in the stream, whichever batches the marks fall in.
    rows = marked_stretches()
    batch = store()
    _permit(batch)
    load(batch, rows)
    detect(batch, T0, T0 + 2 * D)
    expected = findings(batch)
    assert findings(batch, "zs_mismatch") == [
        (MN, "a21002", "zs_mismatch", T0 + 600 * M, T0 + 1299 * M),
        (MN, "a21026", "zs_mismatch", T0 + 120 * M, T0 + 899 * M),
    ]
    assert findings(_stream(rows, flush_s)) == expected


@pytest.mark.parametrize("flush_s", [0.0, 3600.0])
def test_stream_equals_batch(flush_s: float) -> None:
    rows = faulty()
    batch = store()
    _permit(batch)
    load(batch, rows)
    detect(batch, T0, T0 + 2 * D)
    expected = findings(batch)
    assert {f[2] for f in expected} >= {"constant", "zero_negative", "o2_air", "silent"}

    streamed = _stream(rows, flush_s)
    assert findings(streamed) == expected
    events = 'SELECT mn, pollutant, period, start, "end", peak, open FROM exceedance ORDER BY ALL'
    assert batch.execute(events).fetchall()  # the clean converted SO2 (~39) is over 35 at times
    assert streamed.execute(events).fetchall() == batch.execute(events).fetchall()


def test_batch_rerun_adds_nothing_and_a_longer_run_widens() -> None:
    con = store()
    load(con, faulty())
    detect(con, T0, T0 + timedelta(hours=12))  # constant run 10:00-14:59 cut at 12:00
    first = findings(con, "constant")
    assert [(s, e) for *_, s, e in first] == [(T0 + 600 * M, T0 + 719 * M)] or first == []
    detect(con, T0, T0 + 2 * D)
    detect(con, T0, T0 + 2 * D)
    again = findings(con, "constant")
    assert [(s, e) for *_, s, e in again] == [(T0 + 600 * M, T0 + 899 * M)]
    n = _count(con)
    detect(con, T0, T0 + 2 * D)
    assert _count(con) == n


# The marks of HJ 212-2017, and flags it does not define (a lower-case 'c', 'X', 2005's 'P'
# power failure): neither says the instrument worked, so neither is judged.
@pytest.mark.parametrize("flag", ["M", "C", "D", "S", "B", "c", "X", "P"])
def test_marked_values_are_kept_but_not_judged(flag: str) -> None:
    v = clean(600)
    v["a21026"][100:400] = 0.0  # would be constant and zero ...
    flags = {p: np.full(600, "N", dtype=object) for p in v}
    flags["a21026"][100:400] = flag  # ... but the device marked them
    con = store()
    load(con, table(v, flags=flags))
    detect(con, T0, T0 + D)
    assert findings(con) == []
    stored = con.execute(
        "SELECT count(*) FROM emission WHERE pollutant = 'a21026' AND flag = ?", [flag]
    ).fetchall()[0][0]
    assert stored == 300  # nothing hidden
    n, n_all = con.execute(
        "SELECT n, n_all FROM anomaly_hour WHERE pollutant = 'a21026' "
        "AND hour = TIMESTAMPTZ '2026-03-02 03:00:00+08'"
    ).fetchall()[0]
    assert (n, n_all) == (0, 60)


def test_unmarked_twin_fires() -> None:
    # the same series without marks fires both rules: the test above is not vacuous
    v = clean(600)
    v["a21026"][100:400] = 0.0
    con = store()
    load(con, table(v))
    detect(con, T0, T0 + D)
    # a fall from ~30 to a flat 0 is also a drop followed by a flat line
    assert {f[2] for f in findings(con)} == {"constant", "zero_negative", "drop_flat"}


def _two_outlets():
    con = store()
    v = clean(600)
    v["a21026"][100:400] = -1.0
    load(con, table(v))
    load(con, table(v, mn="88888880000002"))
    detect(con, T0, T0 + D)
    return con


def test_anomalies_scope_and_filters() -> None:
    con = _two_outlets()
    admin = Principal("a", "admin")
    rows = anomalies(con, admin, rule_name="zero_negative")
    assert [(r["mn"], r["source_code"], r["outlet"]) for r in rows] == [
        (MN, "S1", "DA001"),
        ("88888880000002", "S2", "DA001"),
    ]
    assert rows[0]["evidence"]["min"] == -1.0
    beijing = Principal("b", "inspector", region="110000")
    assert {r["mn"] for r in anomalies(con, beijing)} == {"88888880000002"}
    tangshan = Principal("t", "analyst", region="130200")
    assert {r["mn"] for r in anomalies(con, tangshan)} == {MN}
    firm = Principal("e", "enterprise", region="130203", sources=("S1",))
    assert {r["source_code"] for r in anomalies(con, firm)} == {"S1"}
    assert anomalies(con, admin, mn="88888880000002", rule_name="constant")[0]["pollutant"] == (
        "a21026"
    )
    assert anomalies(con, admin, frm=T0 + D, to=T0 + 2 * D) == []


def test_anomalies_bad_options() -> None:
    con = store()
    admin = Principal("a", "admin")
    with pytest.raises(RuleError, match="unknown rule 'nope'"):
        anomalies(con, admin, rule_name="nope")
    with pytest.raises(ValueError, match="not before"):
        anomalies(con, admin, frm=T0 + D, to=T0)
    with pytest.raises(ValueError, match="not before"):
        detect(con, T0, T0)


def test_stream_reports_a_silent_device_and_widens_it_when_data_return() -> None:
    con = store()
    det = Detector(flush_s=0)
    rows = table(clean(10))
    load(con, rows)
    det.on_batch(con, rows)
    last = T0 + 9 * M
    assert det.check_silent(con, last + 5 * M) == 0  # 300 s: under the 600 s floor
    assert det.tick(con, last + 15 * M) == 1
    assert findings(con, "silent") == [(MN, "*", "silent", last, last + 15 * M)]
    back = table(clean(5), start=last + 20 * M)
    load(con, back)
    det.on_batch(con, back)
    assert findings(con, "silent") == [(MN, "*", "silent", last, last + 20 * M)]
    assert det.errors == 0


@pytest.mark.parametrize("marks", [(150, 153), (100, 110)])
def test_marked_minutes_inside_a_stuck_run_neither_start_nor_break_it(
    marks: tuple[int, int],
) -> None:
    # SO2 stuck at 42.0 from minute 0 to 299 (5 h); a few minutes in the middle flagged C
    # (calibration). The marks take those minutes out of judgement, not out of the run: one
    # constant finding over the whole 5 h, judged whole (minute 0 to 299).
    v = clean(600)
    v["a21026"][0:300] = 42.0
    flags = {p: np.full(600, "N", dtype=object) for p in v}
    flags["a21026"][marks[0] : marks[1]] = "C"
    con = store()
    load(con, table(v, flags=flags))
    detect(con, T0, T0 + D)
    assert [(p, s, e) for _, p, _, s, e in findings(con, "constant")] == [
        ("a21026", T0, T0 + 299 * M)
    ]


def test_a_silence_inside_a_stuck_run_still_breaks_it() -> None:
    # The same stuck value, but minutes 150-159 never sent (a real gap of 11 min > 120 s): two
    # runs of 150 and 140 minutes, each shorter than the rule's 4 h, so no finding.
    v = clean(600)
    v["a21026"][0:300] = 42.0
    keep = np.ones(600, bool)
    keep[150:160] = False
    con = store()
    load(con, table(v, keep=keep))
    detect(con, T0, T0 + D)
    assert findings(con, "constant") == []
