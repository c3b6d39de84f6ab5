"""A decision belongs to the value it was made on: when the stored value changes (a corrected
reload), the decision lapses, the new value is judged afresh by the rules, and the old
decision is kept in ``review_flag_lapsed`` and the audit log."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from ecohub.access import Principal
from ecohub.analytics.air_service import aqi
from ecohub.ingest.files import load_observations
from ecohub.supervision.review import ReviewError, decide, flags, run

from .conftest import at, flagged, put

INSPECTOR = Principal("insp", "inspector", "110000", via="password")


def _pm25_hourly(con: duckdb.DuckDBPyConnection, hour: int, reviewed: bool = True) -> float | None:
    """s1's hourly PM2.5 as the hourly AQI used it; None when the hour has no value."""
    df = aqi(con, kind="hourly", stations=["s1"], reviewed=reviewed)
    row = df[df.time == at(hour)]
    return float(row.pm25_1h.iloc[0]) if len(row) else None


def _csv(tmp_path: Path, name: str, rows: list[tuple[int, float]]) -> Path:
    f = tmp_path / name
    f.write_text(
        "station,time,PM2.5\n" + "".join(f"s1,2024-05-01 {h:02d}:00,{v}\n" for h, v in rows)
    )
    return f


def test_a_confirmed_decision_lapses_when_the_value_is_corrected(
    tmp_path: Path, store: duckdb.DuckDBPyConnection
) -> None:
    # 45, 50, 200, 40, 42: 200 >= 3 x 50 and 200 - 50 = 150 -> spike at hour 2 (the load's
    # review flags it); an inspector confirms it.
    load_observations(store, _csv(tmp_path, "a.csv", list(enumerate([45, 50, 200, 40, 42]))),
                      write_rejects=False)  # fmt: skip
    assert flagged(store, "spike") == [2]
    decide(store, INSPECTOR, station_id="s1", parameter="PM2.5", time=at(2), status="confirmed")
    # The value is reloaded corrected: 45. The load's review lapses the decision; 45 is no
    # spike (45 < 3 x 50), so no flag remains and the reviewed hour is 45.
    load_observations(store, _csv(tmp_path, "b.csv", [(2, 45)]), write_rejects=False)
    assert flags(store, station="s1").empty
    assert _pm25_hourly(store, 2) == 45
    lapsed = store.execute(
        "SELECT rule, value, new_value, status, decided_by FROM review_flag_lapsed"
    ).fetchall()
    assert lapsed == [("spike", 200.0, 45.0, "confirmed", "insp")]
    # The audit entry of the decision names the value it was made on.
    audit = store.execute("SELECT filters FROM audit_log WHERE action = 'review.decide'").fetchone()
    assert audit is not None and json.loads(audit[0])["value"] == 200


def test_an_overruled_decision_lapses_and_the_new_value_is_judged_afresh(
    store: duckdb.DuckDBPyConnection,
) -> None:
    put(store, [("s1", "a34004", h, v) for h, v in enumerate([45, 50, 200, 40, 42])])
    run(store)
    decide(store, INSPECTOR, station_id="s1", parameter="a34004", time=at(2), status="overruled")
    assert _pm25_hourly(store, 2) == 200  # overruled: used
    # Reloaded as 400: 400 >= 3 x 50 and 400 - 50 = 350 >= 150, a spike again. The overruling
    # was about 200; it does not carry over to 400, which is flagged and set aside.
    put(store, [("s1", "a34004", 2, 400)])
    res = run(store)
    rows = flags(store, station="s1")
    assert list(zip(rows.rule, rows.value, rows.status, strict=True)) == [
        ("spike", 400.0, "flagged")
    ]
    assert _pm25_hourly(store, 2, reviewed=False) == 400
    assert _pm25_hourly(store, 2) is None  # set aside: s1 has no value that hour
    assert res["lapsed"] == 1
    assert store.execute("SELECT value, new_value, status FROM review_flag_lapsed").fetchall() == [
        (200.0, 400.0, "overruled")
    ]


def test_a_flag_does_not_set_aside_a_changed_value_before_review_runs(
    store: duckdb.DuckDBPyConnection,
) -> None:
    # Values written without a review (as by a writer that does not call run_after_load):
    # the confirmed flag on 200 does not reach the 45 stored now, and nobody can decide on
    # the old flag until a review has judged the new value.
    put(store, [("s1", "a34004", h, v) for h, v in enumerate([45, 50, 200, 40, 42])])
    run(store)
    decide(store, INSPECTOR, station_id="s1", parameter="PM2.5", time=at(2), status="confirmed")
    put(store, [("s1", "a34004", 2, 45)])
    assert _pm25_hourly(store, 2) == 45
    with pytest.raises(ReviewError) as e:
        decide(store, INSPECTOR, station_id="s1", parameter="PM2.5", time=at(2),
               status="overruled")  # fmt: skip
    assert e.value.field == "time" and "200" in str(e.value) and "45" in str(e.value)
