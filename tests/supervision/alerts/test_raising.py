"""Raising: one alert per de-dup key while not closed; updates instead of new alerts; a
recurrence after close opens a new one; deliveries queued per channel filter."""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Literal

import duckdb
import pytest

from ecohub.access.principal import SYSTEM
from ecohub.settings import AlertChannel
from ecohub.supervision.alerts import acknowledge, close, list_alerts, raise_alerts
from tests.supervision.alerts.conftest import (
    MN1,
    MN2,
    T0,
    exceedance,
    finding,
    hook_channel,
    store,
)

INSPECTOR = SYSTEM.__class__("insp", "inspector", None, via="token")


def _deliveries(con: duckdb.DuckDBPyConnection) -> list[tuple[int, str]]:
    return con.execute("SELECT alert_id, channel FROM alert_delivery ORDER BY id").fetchall()


def test_findings_with_one_key_make_one_alert_and_one_delivery() -> None:
    con = store()
    ch = [hook_channel("http://127.0.0.1:9/x")]
    finding(con, start=T0)
    assert raise_alerts(con, ch) == {"opened": 1, "updated": 0, "queued": 1}
    # Two more runs of the same rule on the same series (after breaks), one widening.
    finding(con, start=T0 + timedelta(hours=6), evidence={"max": 55.0, "open": False})
    finding(con, start=T0 + timedelta(hours=12), evidence={"max": 48.0, "open": True})
    # "updated" counts alerts: both runs went to the one alert
    assert raise_alerts(con, ch) == {"opened": 0, "updated": 1, "queued": 0}
    assert raise_alerts(con, ch) == {"opened": 0, "updated": 0, "queued": 0}  # nothing changed
    (a,) = list_alerts(con, SYSTEM)
    assert (a["kind"], a["mn"], a["rule"], a["state"], a["occurrences"]) == (
        "finding",
        MN1,
        "constant",
        "open",
        3,
    )
    assert a["peak"] == 55.0  # the highest max of the three (42, 55, 48)
    assert a["first_seen"] == "2026-03-02T08:00:00+08:00"
    assert a["last_seen"] == "2026-03-03T00:00:00+08:00"  # the third run: 20:00 + 4 h
    assert a["detail"] == {"max": 48.0, "open": True} and a["active"] is True
    # the rules table's names (anomaly_rules.csv) and HJ 212-2017's pollutant name
    assert a["title_zh"] == "数据恒定不变 二氧化硫 (a21026)"
    assert a["title_en"].startswith("constant value while the plant runs ")
    assert (a["rule_zh"], a["rule_en"]) == ("数据恒定不变", "constant value while the plant runs")
    assert len(_deliveries(con)) == 1


def test_a_widened_finding_updates_its_alert() -> None:
    con = store()
    fid = finding(con, hours=4)
    raise_alerts(con, [])
    con.execute(
        """UPDATE anomaly SET "end" = "end" + INTERVAL 2 HOUR, evidence = '{"max": 60.0}',
           updated_at = now() + INTERVAL 1 SECOND WHERE id = ?""",
        [fid],
    )
    assert raise_alerts(con, []) == {"opened": 0, "updated": 1, "queued": 0}
    (a,) = list_alerts(con, SYSTEM)
    assert a["occurrences"] == 1 and a["peak"] == 60.0
    assert a["last_seen"] == "2026-03-02T14:00:00+08:00"  # 08:00 + 4 h + 2 h


def test_keys_differ_by_kind_device_pollutant_and_rule() -> None:
    con = store()
    finding(con)
    finding(con, mn=MN2)
    finding(con, pollutant="a21002")
    finding(con, rule="zero_negative", severity="high")
    exceedance(con)
    assert raise_alerts(con, [])["opened"] == 5
    kinds = sorted(
        (a["kind"], a["mn"], a["pollutant"], a["rule"]) for a in list_alerts(con, SYSTEM)
    )
    assert kinds == [
        ("exceedance", MN1, "a21026", "hour"),
        ("finding", MN1, "a21002", "constant"),
        ("finding", MN1, "a21026", "constant"),
        ("finding", MN1, "a21026", "zero_negative"),
        ("finding", MN2, "a21026", "constant"),
    ]


def test_exceedance_alert_is_high_and_follows_the_event() -> None:
    con = store()
    eid = exceedance(con, peak=150.0)
    raise_alerts(con, [])
    (a,) = list_alerts(con, SYSTEM)
    assert (a["severity"], a["peak"], a["active"]) == ("high", 1.5, True)
    assert a["detail"]["limit"] == 100.0 and a["detail"]["permit_no"] == "P1"
    # The data came back under the limit: the event closes, the alert says it is over.
    con.execute(
        "UPDATE exceedance SET open = false, updated_at = now() + INTERVAL 1 SECOND WHERE id = ?",
        [eid],
    )
    raise_alerts(con, [])
    (a,) = list_alerts(con, SYSTEM)
    assert (a["state"], a["active"]) == ("open", False)


def test_after_close_the_same_finding_goes_on_quietly_but_a_new_one_opens_an_alert() -> None:
    con = store()
    ch = [hook_channel("http://127.0.0.1:9/x")]
    fid = finding(con)
    raise_alerts(con, ch)
    (a,) = list_alerts(con, SYSTEM)
    acknowledge(con, INSPECTOR, a["id"], "checking the analyser")
    # acknowledged is not closed: a new run joins it
    finding(con, start=T0 + timedelta(hours=6))
    assert raise_alerts(con, ch) == {"opened": 0, "updated": 1, "queued": 0}
    close(con, INSPECTOR, a["id"], "analyser replaced")
    con.execute(
        'UPDATE anomaly SET "end" = "end" + INTERVAL 1 HOUR, '
        "updated_at = now() + INTERVAL 1 SECOND WHERE id = ?",
        [fid],
    )
    assert raise_alerts(con, ch) == {"opened": 0, "updated": 0, "queued": 0}
    finding(con, start=T0 + timedelta(days=1))
    assert raise_alerts(con, ch) == {"opened": 1, "updated": 0, "queued": 1}
    new, old = list_alerts(con, SYSTEM)
    assert (new["state"], new["occurrences"]) == ("open", 1)
    assert (old["state"], old["occurrences"], old["closed_by"]) == ("closed", 2, "insp")
    assert [aid for aid, _ in _deliveries(con)] == [old["id"], new["id"]]
    # the findings show the state of their alert
    statuses = con.execute("SELECT status FROM anomaly ORDER BY id").fetchall()
    assert statuses == [("closed",), ("closed",), ("new",)]


def test_severity_rises_while_open() -> None:
    con = store()
    finding(con, rule="constant", severity="low")
    raise_alerts(con, [])
    finding(con, rule="constant", severity="high", start=T0 + timedelta(hours=6))
    raise_alerts(con, [])
    (a,) = list_alerts(con, SYSTEM)
    assert a["severity"] == "high"


@pytest.mark.parametrize(
    ("min_severity", "region", "expected"),
    [
        ("low", None, {"S1-low", "S2-high"}),
        ("high", None, {"S2-high"}),
        ("low", "130000", {"S1-low"}),  # Hebei covers Tangshan's 130203
        ("low", "130203", {"S1-low"}),
        ("low", "110000", {"S2-high"}),  # Beijing covers Chaoyang
        ("medium", "130000", set()),
    ],
)
def test_channels_take_severity_and_region(
    min_severity: Literal["low", "medium", "high"], region: str | None, expected: set[str]
) -> None:
    con = store()
    finding(con, mn=MN1, severity="low")
    finding(con, mn=MN2, severity="high", rule="zero_negative")
    ch = AlertChannel(name="c", kind="webhook", url="http://127.0.0.1:9/x",
                      min_severity=min_severity, region=region)  # fmt: skip
    raise_alerts(con, [ch])
    got = con.execute(
        "SELECT a.source_code || '-' || a.severity FROM alert_delivery d "
        "JOIN alert a ON a.id = d.alert_id"
    ).fetchall()
    assert {g for (g,) in got} == expected


def test_raising_is_all_or_nothing_and_retried() -> None:
    """A failure part-way leaves nothing marked: the next call takes the rows again."""
    con = store()
    finding(con)
    finding(con, mn=MN2)
    con.execute("DROP TABLE alert_delivery")  # a broken store: queueing fails
    ch = [hook_channel("http://127.0.0.1:9/x")]
    with pytest.raises(Exception, match="alert_delivery"):
        raise_alerts(con, ch)
    assert con.execute("SELECT count(*) FROM alert").fetchone() == (0,)
    assert con.execute("SELECT count(*) FROM alert_source").fetchone() == (0,)
    con.execute(
        "CREATE TABLE alert_delivery (id BIGINT PRIMARY KEY DEFAULT nextval('alert_delivery_seq'),"
        " alert_id BIGINT NOT NULL, channel VARCHAR NOT NULL, event VARCHAR NOT NULL,"
        " attempts INTEGER NOT NULL DEFAULT 0, next_try TIMESTAMPTZ NOT NULL,"
        " last_error VARCHAR, delivered_at TIMESTAMPTZ, created_at TIMESTAMPTZ NOT NULL)"
    )
    assert raise_alerts(con, ch) == {"opened": 2, "updated": 0, "queued": 2}
    assert json.loads(json.dumps(list_alerts(con, SYSTEM)))[0]["state"] == "open"


def test_many_new_findings_of_one_key_in_one_call_open_one_alert() -> None:
    con = store()
    for i in range(4):
        finding(con, start=T0 + timedelta(hours=6 * i), evidence={"max": 40.0 + i, "open": i == 3})
    finding(con, mn=MN2)
    ch = [hook_channel("http://127.0.0.1:9/x")]
    assert raise_alerts(con, ch) == {"opened": 2, "updated": 0, "queued": 2}
    one = list_alerts(con, SYSTEM, mn=MN1)
    assert [(a["occurrences"], a["peak"], a["active"]) for a in one] == [(4, 43.0, True)]
    assert one[0]["first_seen"] == "2026-03-02T08:00:00+08:00"
    assert one[0]["last_seen"] == "2026-03-03T06:00:00+08:00"  # 08:00 + 18 h + 4 h
    links = con.execute("SELECT alert_id, count(*) FROM alert_source GROUP BY 1 ORDER BY 1")
    assert sorted(n for _, n in links.fetchall()) == [1, 4]


def test_ack_retries_a_write_conflict_with_the_detector(tmp_path: Path) -> None:
    """The detector updating an alert (its own transaction, another cursor) while an inspector
    acknowledges it: the acknowledgement is tried again, not lost and not a 500."""
    from ecohub.store.db import connect

    con = connect(tmp_path / "s.duckdb")
    con.execute("INSERT INTO source (source_code, region_code) VALUES ('S1', '130203')")
    finding(con)
    raise_alerts(con, [])
    detector = con.cursor()
    detector.execute("BEGIN")
    # as raising does: both it and the acknowledgement set updated_at (the same column)
    detector.execute(
        "UPDATE alert SET occurrences = occurrences + 1, updated_at = now() WHERE id = 1"
    )

    def commit_soon() -> None:
        time.sleep(0.2)  # the acknowledgement meets the open transaction, then it commits
        detector.execute("COMMIT")

    t = threading.Thread(target=commit_soon)
    t.start()
    done = acknowledge(con.cursor(), INSPECTOR, 1)
    t.join(10)
    assert done["state"] == "acknowledged" and done["occurrences"] == 2


def test_alert_ids_follow_the_start_of_what_they_report() -> None:
    con = store()
    finding(con, mn=MN2, start=T0 + timedelta(hours=2))  # stored first, began later
    finding(con, mn=MN1, start=T0)
    raise_alerts(con, [])
    assert [(a["id"], a["mn"]) for a in list_alerts(con, SYSTEM)] == [(2, MN2), (1, MN1)]
