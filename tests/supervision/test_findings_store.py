"""Merging findings into `anomaly` while another transaction reads it (as the alert dispatcher
and API readers do while the HJ 212 detector stores): a finding widened twice under an open
reader must be stored, not lost to a write-write conflict."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pyarrow as pa
import pytest

from ecohub.store.db import connect, in_transaction
from ecohub.supervision.findings import store_findings
from ecohub.supervision.runs import FINDING_SCHEMA

CST = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 3, 2, 8, 0, tzinfo=CST)
MN = "88888880000001"
S = timedelta(seconds=1)


def finding(
    start: datetime, hours: float, rule: str = "constant", evidence: dict[str, float] | None = None
) -> pa.Table:
    return pa.Table.from_pylist(
        [{"mn": MN, "pollutant": "a21026", "rule": rule, "start": start,
          "end": start + timedelta(hours=hours),
          "evidence": json.dumps(evidence if evidence is not None else {"h": hours}),
          "severity": "medium"}],
        schema=FINDING_SCHEMA,
    )  # fmt: skip


def test_widening_twice_under_an_open_reader(tmp_path: Path) -> None:
    con = connect(tmp_path / "s.duckdb")
    con.execute("SET TimeZone = 'Asia/Shanghai'")
    writer = con.cursor()
    (first,) = store_findings(writer, finding(T0, 1))
    reader = con.cursor()
    reader.execute("BEGIN")
    assert reader.execute("SELECT count(*) FROM anomaly").fetchall() == [(1,)]
    # The stream reports the open run again after each batch, each time with a later end.
    assert store_findings(writer, finding(T0, 2)) == [first]
    assert store_findings(writer, finding(T0, 3)) == [first]
    reader.execute("COMMIT")
    rows = con.execute('SELECT id, start, "end", evidence FROM anomaly').fetchall()
    assert [(r[0], r[1], r[2], json.loads(r[3])) for r in rows] == [
        (first, T0, T0 + timedelta(hours=3), {"h": 3})
    ]


def test_inside_the_callers_transaction_it_commits_with_the_caller(tmp_path: Path) -> None:
    con = connect(tmp_path / "s.duckdb")
    con.execute("SET TimeZone = 'Asia/Shanghai'")
    con.execute("BEGIN")
    store_findings(con, finding(T0, 1))
    con.execute("ROLLBACK")
    assert con.execute("SELECT count(*) FROM anomaly").fetchall() == [(0,)]


def test_in_transaction_leaves_the_callers_transaction_usable() -> None:
    con = connect(":memory:")
    assert not in_transaction(con)
    con.execute("BEGIN")
    con.execute("CREATE TABLE t (x INTEGER)")
    assert in_transaction(con)
    con.execute("INSERT INTO t VALUES (1)")  # not aborted by the check
    con.execute("COMMIT")
    assert not in_transaction(con)
    assert con.execute("SELECT x FROM t").fetchall() == [(1,)]


def test_the_stream_keeps_findings_a_failed_store_left(tmp_path: Path) -> None:
    from ecohub.supervision.stream import Detector

    con = connect(tmp_path / "s.duckdb")
    con.execute("SET TimeZone = 'Asia/Shanghai'")
    detector = Detector(alerts=False)
    try:
        con.execute("ALTER TABLE anomaly RENAME TO anomaly_away")  # the store fails
        with pytest.raises(duckdb.CatalogException):
            detector._store(con, finding(T0, 1))
        con.execute("ALTER TABLE anomaly_away RENAME TO anomaly")
        detector._store(con, finding(T0 + timedelta(hours=5), 1))
    finally:
        detector.close()
    starts = [r[0] for r in con.execute("SELECT start FROM anomaly ORDER BY start").fetchall()]
    assert starts == [T0, T0 + timedelta(hours=5)]


def test_a_drop_keeps_the_evidence_of_its_onset(tmp_path: Path) -> None:
    """drop_flat fires at the drop and again an hour later, when its three hours "before"
    include the first flat hour: the merged finding keeps the drop's level (36.2 -> 11.0), not
    the re-fire's diluted one (27.6). A stuck value keeps the latest (its run grows)."""
    con = connect(tmp_path / "s.duckdb")
    con.execute("SET TimeZone = 'Asia/Shanghai'")
    onset = {"before": 36.2, "after": 11.0}
    refire = {"before": 27.6, "after": 11.0}
    store_findings(con, finding(T0, 3, "drop_flat", onset))
    store_findings(con, finding(T0 + timedelta(hours=1), 3, "drop_flat", refire))
    # and both in one batch (the batch detector reports both runs at once)
    store_findings(con, pa.concat_tables([
        finding(T0 + timedelta(days=1, hours=1), 3, "drop_flat", refire),
        finding(T0 + timedelta(days=1), 3, "drop_flat", onset),
    ]))  # fmt: skip
    rows = con.execute(
        "SELECT start, \"end\", evidence FROM anomaly WHERE rule = 'drop_flat' ORDER BY start"
    ).fetchall()
    assert [(r[0], r[1], json.loads(r[2])) for r in rows] == [
        (T0, T0 + timedelta(hours=4), onset),
        (T0 + timedelta(days=1), T0 + timedelta(days=1, hours=4), onset),
    ]


def _rows(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return [
        (r[0], r[1], r[2], json.loads(r[3]))
        for r in con.execute(
            'SELECT id, start, "end", evidence FROM anomaly ORDER BY start, id'
        ).fetchall()
    ]


def test_a_run_over_several_stored_pieces_leaves_one_row(tmp_path: Path) -> None:
    """The stream stored a zs_mismatch run in three pieces (split at marked stretches) and
    raised one alert from them (occurrences 3); a batch run finds the whole run: one row is
    left, linked to the alert, which counts no new occurrence (walk M, finding 1)."""
    from ecohub.supervision.alerts.raising import raise_alerts

    con = connect(tmp_path / "s.duckdb")
    con.execute("SET TimeZone = 'Asia/Shanghai'")
    day = T0 - timedelta(hours=8)  # 00:00
    h = timedelta(hours=1)
    pieces = [(day, 3 * h - 60 * S), (day + 4 * h, 100 * 60 * S), (day + 6 * h, 18 * h - 60 * S)]
    ids = []
    for start, length in pieces:
        (i,) = store_findings(con, finding(start, length / h, "zs_mismatch", {"n": length / S}))
        ids.append(i)
        raise_alerts(con, channels=[])
    assert con.execute("SELECT id, occurrences FROM alert").fetchall() == [(1, 3)]
    whole = {"n": 1439.0}
    reader = con.cursor()  # an open reader (the dispatcher, the API) sees the three rows
    reader.execute("BEGIN")
    assert reader.execute("SELECT count(*) FROM anomaly").fetchall() == [(3,)]
    got = store_findings(con, finding(day, (24 * h - 60 * S) / h, "zs_mismatch", whole))
    reader.execute("COMMIT")
    assert got == [ids[0]]
    assert _rows(con) == [(ids[0], day, day + 24 * h - 60 * S, whole)]
    links = "SELECT kind, ref_id, alert_id FROM alert_source ORDER BY ALL"
    assert con.execute(links).fetchall() == [("finding", ids[0], 1)]
    assert raise_alerts(con, channels=[]) == {"opened": 0, "updated": 1, "queued": 0}
    assert con.execute("SELECT id, occurrences, last_seen FROM alert").fetchall() == [
        (1, 3, day + 24 * h - 60 * S)
    ]


def test_a_finding_that_bridges_two_stored_ones_joins_them(tmp_path: Path) -> None:
    con = connect(tmp_path / "s.duckdb")
    con.execute("SET TimeZone = 'Asia/Shanghai'")
    (a,) = store_findings(con, finding(T0, 1, evidence={"h": 1}))  # 08:00-09:00
    (b,) = store_findings(con, finding(T0 + timedelta(hours=2), 1, evidence={"h": 2}))
    assert store_findings(con, finding(T0 + timedelta(hours=1), 1, evidence={"h": 3})) == [a]
    # one row 08:00-11:00; evidence of the latest end: the stored 10:00-11:00 piece's
    assert _rows(con) == [(a, T0, T0 + timedelta(hours=3), {"h": 2})]
    assert b != a


def test_identical_rows_left_by_the_old_merge_become_one(tmp_path: Path) -> None:
    con = connect(tmp_path / "s.duckdb")
    con.execute("SET TimeZone = 'Asia/Shanghai'")
    for _ in range(3):  # what the old merge left: one finding, three identical rows
        con.execute(
            'INSERT INTO anomaly (mn, pollutant, rule, start, "end", evidence, severity, '
            "found_at, updated_at) VALUES (?, 'a21026', 'constant', ?, ?, '{\"h\": 2}', "
            "'medium', now(), now())",
            [MN, T0, T0 + timedelta(hours=2)],
        )
    first = con.execute("SELECT min(id) FROM anomaly").fetchall()[0][0]
    assert store_findings(con, finding(T0, 2, evidence={"h": 2})) == [first]
    assert _rows(con) == [(first, T0, T0 + timedelta(hours=2), {"h": 2})]
