"""``/api/v1/alerts``: scoped reads, the acknowledge / close workflow with its conflicts and
field errors, and the audit entries it leaves. The door's store (tests/api/door_data.py) has
alerts raised from its findings and events inside (Chaoyang) and outside (Haidian)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.api import door_data as d
from tests.api.door_data import Door


@pytest.fixture(scope="module")
def door(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Door]:
    from argon2 import PasswordHasher

    from ecohub.access import apikeys, users

    users.HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    built = d.build(Path(tmp_path_factory.mktemp("alert-routes")))
    # an analyst and an inspector of another region (Tangshan, Hebei)
    for role in ("analyst", "inspector"):
        users.add_user(built.con, f"far_{role}", role, "130203", [], d.PASSWORD)
        built.keys[f"far_{role}"] = apikeys.create(built.con, f"far_{role}")[0]
    yield built
    built.app.state.ctx.jobs.shutdown()
    built.con.close()


def _client(door: Door, role: str) -> TestClient:
    return TestClient(door.app, raise_server_exceptions=False,
                      headers={"Authorization": f"Bearer {door.keys[role]}"})  # fmt: skip


def _new_alert(door: Door, mn: str = d.MN_IN, source: str = d.SRC_IN) -> int:
    row = door.con.execute(
        "INSERT INTO alert (dedup_key, kind, mn, source_code, pollutant, rule, severity, "
        "first_seen, last_seen, active, raised_at, updated_at) VALUES (?, 'finding', ?, ?, "
        "'a21026', 'silent', 'low', now(), now(), true, now(), now()) RETURNING id",
        [f"t|{mn}", mn, source],
    ).fetchone()
    assert row is not None
    return int(row[0])


def test_listing_is_region_scoped(door: Door) -> None:
    admin = _client(door, "admin").get("/api/v1/alerts", params={"kind": "exceedance"}).json()
    assert {a["mn"] for a in admin["items"]} == {d.MN_IN, d.MN_OUT}
    inside = _client(door, "analyst").get("/api/v1/alerts").json()["items"]
    assert inside and {a["source_code"] for a in inside} == {d.SRC_IN}
    assert {a["region_code"] for a in inside} == {d.INSIDE}
    # An analyst of another region sees nothing, and no alert by id.
    far = _client(door, "far_analyst")
    assert far.get("/api/v1/alerts").json() == {"items": [], "next_cursor": None}
    out = far.get(f"/api/v1/alerts/{d.ALERT_IN}")
    unknown = far.get("/api/v1/alerts/987654")
    assert out.status_code == unknown.status_code == 404
    assert out.json()["detail"].replace(str(d.ALERT_IN), "N") == unknown.json()[
        "detail"].replace("987654", "N")  # fmt: skip
    # enterprises and the public do not read alerts
    assert _client(door, "enterprise").get("/api/v1/alerts").status_code == 403


def test_filters_and_formats(door: Door) -> None:
    c = _client(door, "admin")
    high = c.get("/api/v1/alerts", params={"severity": "high"}).json()["items"]
    assert high and {a["kind"] for a in high} == {"exceedance"}
    medium_up = c.get("/api/v1/alerts", params={"severity": "medium", "source": d.SRC_IN})
    assert {a["kind"] for a in medium_up.json()["items"]} == {"finding", "exceedance"}
    # the door's findings are on 2024-01-01 01:00-06:00 and its events 10:00-11:00 (CST)
    early = c.get("/api/v1/alerts", params={"from": "2024-01-01T00:00", "to": "2024-01-01T07:00",
                                            "mn": d.MN_IN}).json()["items"]  # fmt: skip
    assert [a["kind"] for a in early] == ["finding"]
    r = c.get("/api/v1/alerts", params={"mn": d.MN_IN, "kind": "exceedance", "format": "csv"})
    (row,) = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert row["peak"] == "1.2" and row["severity"] == "high" and '"limit": 50.0' in row["detail"]
    bad = c.get("/api/v1/alerts", params={"severity": "urgent"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "severity"
    backwards = c.get("/api/v1/alerts", params={"from": "2024-01-02", "to": "2024-01-01"})
    assert backwards.status_code == 422 and backwards.json()["errors"][0]["field"] == "from"
    assert c.get("/api/v1/alerts/0").status_code == 422


def test_workflow_transitions_and_audit(door: Door) -> None:
    aid = _new_alert(door)
    insp = _client(door, "inspector")
    assert _client(door, "analyst").post(f"/api/v1/alerts/{aid}/ack", json={}).status_code == 403
    # closing needs a comment: 422 naming it (no body, missing, and blank)
    for body in (None, {}, {"comment": "   "}):
        r = insp.post(f"/api/v1/alerts/{aid}/close", json=body)
        assert r.status_code == 422, r.text
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["errors"][0]["field"] == "comment"
    r = insp.post(f"/api/v1/alerts/{aid}/ack", json={"comment": "calling the plant"})
    assert r.status_code == 200, r.text
    a = r.json()
    assert (a["state"], a["acked_by"], a["ack_comment"]) == (
        "acknowledged",
        "u_inspector",
        "calling the plant",
    )
    again = insp.post(f"/api/v1/alerts/{aid}/ack")
    assert again.status_code == 409 and again.headers["content-type"] == "application/problem+json"
    assert again.json()["errors"] == [{"field": "state", "reason": (
        f"alert {aid} is already acknowledged (by u_inspector); ack needs open")}]  # fmt: skip
    r = insp.post(f"/api/v1/alerts/{aid}/close", json={"comment": "analyser recalibrated"})
    assert r.status_code == 200 and r.json()["state"] == "closed"
    assert r.json()["closed_by"] == "u_inspector" and r.json()["close_comment"] == (
        "analyser recalibrated")  # fmt: skip
    for step, body in (("ack", {}), ("close", {"comment": "again"})):
        r = insp.post(f"/api/v1/alerts/{aid}/{step}", json=body)
        assert r.status_code == 409 and "already closed" in r.json()["detail"], r.text
    # open -> closed directly, by an admin
    other = _new_alert(door)
    r = _client(door, "admin").post(f"/api/v1/alerts/{other}/close", json={"comment": "dup"})
    assert r.json()["state"] == "closed" and r.json()["acked_by"] is None
    entries = door.con.execute(
        "SELECT user_name, action, filters FROM audit_log WHERE action LIKE 'alert.%' ORDER BY seq"
    ).fetchall()
    mine = [(u, a) for u, a, f in entries if f'"alert":{aid}' in f or f'"alert":{other}' in f]
    assert mine == [("u_inspector", "alert.ack"), ("u_inspector", "alert.close"),
                    ("u_admin", "alert.close")]  # fmt: skip


def test_inspector_of_another_region_cannot_act(door: Door) -> None:
    aid = _new_alert(door)
    far = _client(door, "far_inspector")
    out = far.post(f"/api/v1/alerts/{aid}/ack", json={})
    unknown = far.post("/api/v1/alerts/987654/ack", json={})
    assert out.status_code == unknown.status_code == 404
    state = door.con.execute("SELECT state FROM alert WHERE id = ?", [aid]).fetchone()
    assert state == ("open",)


def test_channels_are_listed_for_operators_without_secrets(tmp_path: Path) -> None:
    from pydantic import SecretStr

    from ecohub.access import apikeys, users
    from ecohub.api.app import close_app, create_app
    from ecohub.settings import AlertChannel, Settings
    from ecohub.store.db import connect

    con = connect(tmp_path / "ecohub.duckdb")
    users.add_user(con, "boss", "admin", None, [], d.PASSWORD)
    key = apikeys.create(con, "boss")[0]
    channels = [
        AlertChannel(name="wecom", kind="webhook", min_severity="high",
                     url="https://qyapi.example/cgi-bin/webhook/send?key=ROBOT-KEY",
                     secret=SecretStr("HMAC-KEY")),
        AlertChannel(name="duty", kind="smtp", host="mail.example", port=587,
                     security="starttls", username="ecohub", password=SecretStr("MAIL-PASSWORD"),
                     sender="ecohub@bureau.example", to=["duty@bureau.example"],
                     region="110000"),
    ]  # fmt: skip
    app = create_app(con, settings=Settings(data_dir=tmp_path, alert_channels=channels),
                     data_dir=tmp_path, audit=False)  # fmt: skip
    c = TestClient(app, raise_server_exceptions=False, headers={"Authorization": f"Bearer {key}"})
    r = c.get("/api/v1/alerts/channels")
    assert r.status_code == 200
    for secret in ("ROBOT-KEY", "HMAC-KEY", "MAIL-PASSWORD"):
        assert secret not in r.text
    hook, mail = r.json()
    assert hook["target"] == "https://qyapi.example/cgi-bin/webhook/send" and hook["signed"]
    assert mail["target"] == "smtp://mail.example:587" and mail["region"] == "110000"
    assert mail["to"] == ["duty@bureau.example"] and mail["pending"] == 0
    close_app(app)
    con.close()
