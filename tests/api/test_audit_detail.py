"""What the audit log says about writes whose object is in the body (a user created, a key
issued, a job queued) and about questions asked in a body (a region query): over the real app
on loopback, with its audit writer, as `ecohub up` serves it."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
from argon2 import PasswordHasher

from ecohub.access import apikeys, users
from ecohub.api.app import close_app, create_app
from ecohub.settings import Settings
from ecohub.store.db import connect
from tests.loopback import on_loopback


def test_admin_writes_and_body_queries_are_audited_with_their_object(tmp_path: Path) -> None:
    users.HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    con = connect(tmp_path / "ecohub.duckdb")
    users.add_user(con, "boss", "admin", None, [], "correct horse battery")
    key = apikeys.create(con, "boss")[0]
    app = create_app(con, settings=Settings(data_dir=tmp_path), data_dir=tmp_path)
    try:
        with (
            on_loopback(app) as base,
            httpx.Client(
                base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=60
            ) as c,
        ):
            body = {"name": "newbie", "role": "analyst", "region": "110105",
                    "password": "a long enough password"}  # fmt: skip
            assert c.post("/api/v1/users", json=body).status_code == 201
            assert c.post("/api/v1/apikeys", json={"user": "newbie"}).status_code == 201
            circle = {"region": {"point": [116.4, 39.9], "distance_m": 5000}, "what": "stations"}
            assert c.post("/api/v1/geo/in", json=circle).status_code == 200

            def entries(route: str) -> list[tuple[str, dict[str, object]]]:
                rows = con.execute(
                    "SELECT action, filters FROM audit_log WHERE route = ? ORDER BY seq", [route]
                ).fetchall()
                return [(a, json.loads(f)) for a, f in rows]

            for _ in range(100):  # a read is committed shortly after its answer
                if entries("/api/v1/geo/in"):
                    break
                time.sleep(0.05)
            ((action, got),) = entries("/api/v1/users")
            assert action == "write" and got["user"] == "newbie" and got["role"] == "analyst"
            assert got["region"] == "110105"
            assert "password" not in json.dumps(got) and "long enough" not in json.dumps(got)
            ((action, got),) = entries("/api/v1/apikeys")
            assert action == "write" and got["user"] == "newbie" and got["key_id"]
            ((action, got),) = entries("/api/v1/geo/in")
            assert action == "read" and got["region"] == circle["region"]
            assert got["what"] == "stations"
    finally:
        close_app(app)
        con.close()
