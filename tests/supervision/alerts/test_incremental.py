"""Incremental raising: ``raise_alerts(only=...)`` looks at the named rows alone, and the stream
detector raises from the rows its judgements wrote, with a full sweep at its first call and every
``sweep_s``; ids whose raising failed are raised by the next call."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from ecohub.access.principal import SYSTEM
from ecohub.supervision import Detector
from ecohub.supervision.alerts import list_alerts, raise_alerts
from tests.supervision.alerts.conftest import MN1, MN2, T0, exceedance, finding, store
from tests.supervision.series import clean, load, table

H = timedelta(hours=1)


def _keys(con: duckdb.DuckDBPyConnection) -> set[tuple[str, str, str]]:
    return {(a["kind"], a["mn"], a["rule"]) for a in list_alerts(con, SYSTEM)}


def test_only_takes_the_named_rows_and_only_when_changed() -> None:
    con = store()
    f1 = finding(con, MN1)
    finding(con, MN2)
    e = exceedance(con, MN2)
    assert raise_alerts(con, [], only={"finding": [f1]})["opened"] == 1
    assert _keys(con) == {("finding", MN1, "constant")}
    # the same id again, unchanged: nothing to take
    assert raise_alerts(con, [], only={"finding": [f1]}) == {"opened": 0, "updated": 0,
                                                              "queued": 0}  # fmt: skip
    assert raise_alerts(con, [], only={"exceedance": [e]})["opened"] == 1
    assert raise_alerts(con, [], only={}) == {"opened": 0, "updated": 0, "queued": 0}
    # a full call takes what the others left
    assert raise_alerts(con, [])["opened"] == 1
    assert _keys(con) == {("finding", MN1, "constant"), ("finding", MN2, "constant"),
                          ("exceedance", MN2, "hour")}  # fmt: skip


def _hours(v: dict[str, np.ndarray], mn: str, first: int, n: int) -> pa.Table:
    part = {p: x[first * 60 : (first + n) * 60] for p, x in v.items()}
    return table(part, mn=mn, start=T0 + first * H)


def test_detector_raises_what_it_wrote_sweeps_the_rest_and_retries_a_failure() -> None:
    con = store()
    stuck = clean(8 * 60)
    stuck["a21026"][:] = 31.5  # one value for 8 h: a constant finding after 4 h
    quiet = clean(8 * 60, seed=3)
    before = finding(con, MN2, rule="o2_air", start=T0 - 24 * H)  # stored, never raised
    det = Detector(flush_s=0, sweep_s=3600.0, channels=[])

    def feed(part: pa.Table) -> None:
        load(con, part)
        det.on_batch(con, part)

    feed(_hours(quiet, MN2, 0, 1))  # the first judgement sweeps: the older row is raised
    assert _keys(con) == {("finding", MN2, "o2_air")}
    other = finding(con, MN2, rule="zero_negative", start=T0 - 12 * H)  # another writer's row
    broken: Any = [object()]  # a channel list that fails while deliveries are queued
    det._channels = broken
    feed(_hours(stuck, MN1, 0, 5))  # writes the constant finding; raising it fails
    assert det.alert_errors == 1 and ("finding", MN1, "constant") not in _keys(con)
    det._channels = []
    feed(_hours(quiet, MN2, 1, 1))  # writes nothing itself: raises what failed before
    assert det.alert_errors == 1 and det.errors == 0  # no new failure
    assert _keys(con) == {("finding", MN2, "o2_air"), ("finding", MN1, "constant")}
    # the other writer's row waits for the next sweep (here: a detector that sweeps always)
    sweeper = Detector(flush_s=0, sweep_s=0.0, channels=[])
    part = _hours(quiet, MN2, 2, 1)
    load(con, part)
    sweeper.on_batch(con, part)
    assert ("finding", MN2, "zero_negative") in _keys(con)
    assert {before, other} <= {r[0] for r in con.execute("SELECT ref_id FROM alert_source")
                               .fetchall()}  # fmt: skip
    det.close()
    sweeper.close()
