"""``/api/v1/supervision``, ``/api/v1/review`` and the admin routes on hand-built rows.

The door's test store (tests/api/door_data.py) holds one anomaly, one exceedance and one review
flag inside the scoped users' district (Chaoyang, source SRC_IN, station ST_IN) and one outside
(Haidian). Out of scope must read exactly as unknown.
"""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api import door_data as d
from tests.api.door_data import Door


@pytest.fixture(scope="module")
def door(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Door]:
    from argon2 import PasswordHasher

    from ecohub.access import users

    users.HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    built = d.build(Path(tmp_path_factory.mktemp("sup-routes")))
    yield built
    built.app.state.ctx.jobs.shutdown()
    built.con.close()


def _client(door: Door, role: str) -> TestClient:
    return TestClient(
        door.app,
        raise_server_exceptions=False,
        headers={"Authorization": f"Bearer {door.keys[role]}"},
    )


def _follow(c: TestClient, r: Any) -> dict[str, Any]:
    assert r.status_code == 202, r.text
    job = r.json()
    for _ in range(400):
        if job["state"] not in ("queued", "running"):
            return job
        time.sleep(0.05)
        job = c.get(r.headers["location"]).json()
    raise AssertionError(f"job still {job['state']}")


def test_enterprise_sees_its_own_source_only(door: Door) -> None:
    c = _client(door, "enterprise")
    for what in ("anomalies", "exceedances"):
        body = c.get(f"/api/v1/supervision/{what}").json()
        assert [r["source_code"] for r in body["items"]] == [d.SRC_IN], what
        # Another source's device reads exactly like a device that does not exist.
        out = c.get(f"/api/v1/supervision/{what}", params={"mn": d.MN_OUT})
        unknown = c.get(f"/api/v1/supervision/{what}", params={"mn": "NOSUCHMN"})
        assert out.status_code == unknown.status_code == 200
        assert out.json() == unknown.json() == {"items": [], "next_cursor": None}


def test_anomaly_row_json_and_csv(door: Door) -> None:
    c = _client(door, "admin")
    (row,) = c.get("/api/v1/supervision/anomalies", params={"mn": d.MN_IN}).json()["items"]
    # As written in door_data: a constant run 01:00-06:00 CST with its evidence.
    assert row["start"] == "2024-01-01T01:00:00+08:00"
    assert row["end"] == "2024-01-01T06:00:00+08:00"
    assert (row["rule"], row["evidence"], row["status"]) == ("constant", {"min": 42.0}, "new")
    r = c.get("/api/v1/supervision/anomalies", params={"mn": d.MN_IN, "format": "csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    (got,) = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert json.loads(got["evidence"]) == {"min": 42.0} and got["mn"] == d.MN_IN


def test_anomaly_pages_and_bad_filters(door: Door) -> None:
    c = _client(door, "admin")
    first = c.get("/api/v1/supervision/anomalies", params={"limit": 1}).json()
    assert len(first["items"]) == 1 and first["next_cursor"]
    second = c.get(
        "/api/v1/supervision/anomalies", params={"limit": 1, "cursor": first["next_cursor"]}
    ).json()
    assert second["next_cursor"] is None
    assert {first["items"][0]["mn"], second["items"][0]["mn"]} == {d.MN_IN, d.MN_OUT}
    moved = c.get(
        "/api/v1/supervision/anomalies",
        params={"limit": 1, "cursor": first["next_cursor"], "mn": d.MN_IN},
    )
    assert moved.status_code == 422 and moved.json()["errors"][0]["field"] == "cursor"
    bad_rule = c.get("/api/v1/supervision/anomalies", params={"rule": "nope"})
    assert bad_rule.status_code == 400 and bad_rule.json()["errors"][0]["field"] == "rule"
    bad_day = c.get("/api/v1/supervision/anomalies", params={"from": "yesterday"})
    assert bad_day.status_code == 422 and bad_day.json()["errors"][0]["field"] == "from"
    backwards = c.get(
        "/api/v1/supervision/exceedances", params={"from": "2024-01-02", "to": "2024-01-01"}
    )
    assert backwards.status_code == 400 and "not before" in backwards.json()["detail"]


def test_detect_is_a_job_of_inspectors(door: Door) -> None:
    body = {"from": "2024-01-01", "to": "2024-01-01"}
    assert _client(door, "analyst").post("/api/v1/supervision/detect", json=body).status_code == 403
    c = _client(door, "inspector")
    job = _follow(c, c.post("/api/v1/supervision/detect", json=body))
    assert job["state"] == "done", job
    assert job["result"]["from"] == "2024-01-01T00:00:00+08:00"
    assert job["result"]["to"] == "2024-01-02T00:00:00+08:00"
    # An unknown rule is refused before anything is queued (it was a 202 and a failed job).
    bad = c.post("/api/v1/supervision/detect", json={**body, "rules": ["nope"]})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "rules"
    assert "unknown rule 'nope'" in bad.json()["detail"]


def test_review_flags_are_region_scoped_and_decisions_audited(door: Door) -> None:
    analyst = _client(door, "analyst")
    items = analyst.get("/api/v1/review/flags").json()["items"]
    assert [(r["station_id"], r["value"], r["status"]) for r in items] == [
        (d.ST_IN, 999.0, "flagged")
    ]
    assert items[0]["time"] == d.FLAG_TIME.replace(" ", "T")
    summary = analyst.get("/api/v1/review/summary").json()["items"]
    assert {r["station_id"] for r in summary} == {d.ST_IN}
    decision = {"parameter": "PM2.5", "time": d.FLAG_TIME.replace(" ", "T"),
                "status": "overruled"}  # fmt: skip
    assert (
        analyst.post(
            "/api/v1/review/flags/decision", json={**decision, "station": d.ST_IN}
        ).status_code
        == 403
    )
    c = _client(door, "inspector")
    before = door.con.execute(
        "SELECT count(*) FROM audit_log WHERE action = 'review.decide'"
    ).fetchone()
    r = c.post("/api/v1/review/flags/decision", json={**decision, "station": d.ST_IN})
    assert r.json() == {"changed": 1, "status": "overruled"}
    after = door.con.execute(
        "SELECT count(*) FROM audit_log WHERE action = 'review.decide'"
    ).fetchone()
    assert before is not None and after is not None and after[0] == before[0] + 1
    # A station of another district answers as a station that does not exist.
    out = c.post("/api/v1/review/flags/decision", json={**decision, "station": d.ST_OUT})
    unknown = c.post("/api/v1/review/flags/decision", json={**decision, "station": "NoSuch"})
    assert out.status_code == unknown.status_code == 400
    assert out.json()["detail"].replace(d.ST_OUT, "X") == unknown.json()["detail"].replace(
        "NoSuch", "X"
    )


def test_users_and_keys_keep_the_password_out_of_the_audit_log(tmp_path: Path) -> None:
    from ecohub.access import apikeys, users
    from ecohub.api.app import close_app, create_app
    from ecohub.settings import Settings
    from ecohub.store.db import connect

    con = connect(tmp_path / "ecohub.duckdb")
    users.add_user(con, "boss", "admin", None, [], d.PASSWORD)
    key = apikeys.create(con, "boss")[0]
    app = create_app(con, settings=Settings(data_dir=tmp_path), data_dir=tmp_path)
    c = TestClient(app, raise_server_exceptions=False, headers={"Authorization": f"Bearer {key}"})
    secret = "a secret of the new user 12345"
    r = c.post("/api/v1/users", json={"name": "ana", "role": "analyst", "region": d.INSIDE,
                                      "password": secret})  # fmt: skip
    assert r.status_code == 201 and r.json()["name"] == "ana" and secret not in r.text
    short = c.post("/api/v1/users", json={"name": "bob", "role": "analyst", "region": d.INSIDE,
                                          "password": "short"})  # fmt: skip
    assert short.status_code == 400 and short.json()["errors"][0]["field"] == "password"
    made = c.post("/api/v1/apikeys", json={"user": "ana"}).json()
    assert made["key"].startswith("ehk_") and made["user"] == "ana"
    # The revoke URL takes an id, not a whole key (ehk_<id>_<secret>): 422.
    assert c.post("/api/v1/apikeys/ehk_0123abcd_notasecret/revoke").status_code == 422
    assert c.post(f"/api/v1/apikeys/{made['id']}/revoke").json()["revoked_at"]
    assert c.post("/api/v1/users/ana/disable").json()["enabled"] is False
    close_app(app)  # commits the queued audit entries
    log = json.dumps(con.execute("SELECT * FROM audit_log").fetchall(), default=str)
    assert "/api/v1/users" in log and secret not in log and "short" not in log
    assert made["key"].split("_")[2] not in log
    app = create_app(con, settings=Settings(data_dir=tmp_path), data_dir=tmp_path, audit=False)
    c = TestClient(app, raise_server_exceptions=False, headers={"Authorization": f"Bearer {key}"})
    report = c.get("/api/v1/audit/verify").json()
    assert report["intact"] is True and report["entries"] >= 5 and report["bad"] is None
    shown = c.get("/api/v1/audit", params={"user": "boss", "from": "2020-01-01"}).json()
    assert {e["route"] for e in shown} >= {"/api/v1/users", "/api/v1/apikeys"}
    close_app(app)
    con.close()
