"""``/api/v1/sources/…``, ``/api/v1/cases``, ``/api/v1/eia`` and the load jobs on the door's
test store (tests/api/door_data.py): bad parameters are 422 naming the field, a file that
cannot be loaded fails its job naming ``path``, and an enterprise user sees only its source."""

from __future__ import annotations

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
    built = d.build(Path(tmp_path_factory.mktemp("ent-routes")))
    yield built
    built.app.state.ctx.jobs.shutdown()
    built.con.close()


def _client(door: Door, role: str) -> TestClient:
    return TestClient(door.app, raise_server_exceptions=False,
                      headers={"Authorization": f"Bearer {door.keys[role]}"})  # fmt: skip


def _field(r: Any) -> str:
    return str(r.json()["errors"][0]["field"])


def test_bad_parameters_name_the_field(door: Door) -> None:
    c = _client(door, "admin")
    for url, field in (
        ("/api/v1/sources/watchlist?month=2026-13", "month"),
        ("/api/v1/sources/watchlist?month=26-1", "month"),
        ("/api/v1/sources/watchlist?limit=0", "limit"),
        ("/api/v1/sources/unapproved?region=11", "region"),
        ("/api/v1/cases?link=bogus", "link"),
        (f"/api/v1/sources/{d.SRC_IN}/profile?month=x", "month"),
    ):
        r = c.get(url)
        assert r.status_code == 422, (url, r.text)
        assert _field(r).endswith(field), (url, r.json())


def test_load_job_parameters_and_a_file_that_cannot_load(door: Door) -> None:
    c = _client(door, "admin")
    r = c.post("/api/v1/jobs", json={"kind": "load-cases", "params": {"path": "rel.csv"}})
    assert r.status_code == 422 and "path" in _field(r)
    bad = door.imports / "bad.csv"  # a server's jobs read files from its import folders
    bad.write_text("单位名称\n某公司\n", encoding="utf-8")
    r = c.post("/api/v1/jobs", json={"kind": "load-eia", "params": {"path": str(bad)}})
    assert r.status_code == 202, r.text
    job = r.json()
    for _ in range(400):
        if job["state"] not in ("queued", "running"):
            break
        time.sleep(0.05)
        job = c.get(r.headers["location"]).json()
    assert job["state"] == "failed"
    assert job["error"]["errors"][0]["field"].endswith("path")
    assert "bad.csv: missing column(s) approval_no" in job["error"]["detail"]
    denied = _client(door, "analyst").post(
        "/api/v1/jobs", json={"kind": "load-cases", "params": {"path": str(bad)}}
    )
    assert denied.status_code == 403


def test_enterprise_user_sees_its_own_cases_profile_only(door: Door) -> None:
    c = _client(door, "enterprise")
    assert [x["case_id"] for x in c.get("/api/v1/cases").json()["items"]] == ["CASE_IN"]
    assert [x["approval_no"] for x in c.get("/api/v1/eia").json()["items"]] == ["EIA_IN"]
    prof = c.get(f"/api/v1/sources/{d.SRC_IN}/profile").json()
    # door_data: an open violation case; data on 2024-01-01 before the approval of 2024-06-01
    assert "open_cases" in prof["risk"]["serious"]
    assert prof["unapproved"]["status"] == "before_approval"
    assert prof["unapproved"]["evidence"][0]["kind"] == "hj212_data"
    assert c.get(f"/api/v1/sources/{d.SRC_OUT}/profile").status_code == 404
    assert c.get("/api/v1/sources/watchlist").status_code == 403


def test_profile_complaints_follow_the_complaint_rules(door: Door) -> None:
    """An enterprise sees only how many complaints are linked to its source; a reader sees the
    linked complaints inside its region (scope in the query), admin all of them."""
    door.con.execute(
        f"""INSERT INTO complaint_source VALUES
          ('{d.CP_IN}', '{d.SRC_IN}', TIMESTAMP '2026-10-01 08:00:00', 'odour', 250.0, 0.88),
          ('{d.CP_OUT}', '{d.SRC_IN}', TIMESTAMP '2026-10-01 09:00:00', 'odour', 2600.0, 0.3)"""
    )
    url = f"/api/v1/sources/{d.SRC_IN}/profile"
    try:
        r = _client(door, "enterprise").get(url)
        assert r.status_code == 200, r.text
        assert r.json()["complaints"] is None and r.json()["complaint_count"] == 2
        # nothing of either complaint anywhere in the answer: no id, no distance
        assert d.CP_IN not in r.text and d.CP_OUT not in r.text and "2600" not in r.text
        for role in ("analyst", "inspector"):  # Chaoyang: CP_OUT lies in Haidian
            prof = _client(door, role).get(url).json()
            assert [c["complaint_id"] for c in prof["complaints"]] == [d.CP_IN], role
            assert prof["complaint_count"] == 1
        prof = _client(door, "admin").get(url).json()
        assert [c["complaint_id"] for c in prof["complaints"]] == [d.CP_OUT, d.CP_IN]
        assert prof["complaint_count"] == 2
    finally:
        door.con.execute("DELETE FROM complaint_source")
