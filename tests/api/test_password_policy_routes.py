"""The user routes of the real app on loopback: weak passwords refused naming the field
(security assessment F6), lock state in ``GET /users`` and ``enable`` lifting it (F3)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import httpx
import pytest

from ecohub.access import apikeys, users
from ecohub.api.app import close_app, create_app
from ecohub.settings import Settings
from ecohub.store.db import connect
from tests.access.conftest import PASSWORD, cheap_argon2  # noqa: F401 - fixture
from tests.loopback import on_loopback

TOKEN = "/api/v1/auth/token"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, duckdb.DuckDBPyConnection, str]]:
    """(base URL, store, an admin's API key) of the whole app, as `ecohub up` serves it."""
    con = connect(tmp_path / "ecohub.duckdb")
    users.add_user(con, "boss", "admin", None, [], PASSWORD)
    key = apikeys.create(con, "boss")[0]
    app = create_app(
        con, settings=Settings(data_dir=tmp_path, load_sample=False), data_dir=tmp_path
    )
    try:
        with on_loopback(app) as base:
            yield base, con, key
    finally:
        close_app(app)
        con.close()


@pytest.mark.parametrize(
    ("name", "password"),
    [("weak1", "aaaaaaaaaaaa"), ("weak2", "password1234"), ("weak3", "weak3weak3weak3")],
)
def test_weak_passwords_are_refused_naming_the_field(
    served: tuple[str, duckdb.DuckDBPyConnection, str], name: str, password: str
) -> None:
    base, con, key = served
    auth = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=base, headers=auth, timeout=60) as c:
        body = {"name": name, "role": "analyst", "region": "110105", "password": password}
        r = c.post("/api/v1/users", json=body)
        assert r.status_code == 400, r.text  # as for a password too short
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["detail"].startswith("password: too easy to guess (strength ")
        assert r.json()["errors"][0]["field"] == "password"
        assert password not in r.text
        assert users.get_user(con, name) is None
        # A reset by the administrator follows the same rule.
        r = c.post("/api/v1/users/boss/password", json={"password": password})
        assert r.status_code == 400 and r.json()["errors"][0]["field"] == "password"
    # And so does a change of one's own password.
    with httpx.Client(base_url=base, timeout=60) as c:
        token = c.post(TOKEN, data={"username": "boss", "password": PASSWORD}).json()
        bearer = {"Authorization": f"Bearer {token['access_token']}"}
        own = {"current_password": PASSWORD, "new_password": password}
        r = c.post("/api/v1/auth/password", json=own, headers=bearer)
        assert r.status_code == 400 and r.json()["errors"][0]["field"] == "new_password"
        assert password not in r.text


def test_users_show_locks_at_addresses_and_enable_lifts_them(
    served: tuple[str, duckdb.DuckDBPyConnection, str],
) -> None:
    base, con, key = served
    users.add_user(con, "ana", "analyst", "110105", [], PASSWORD)
    attacker = httpx.HTTPTransport(local_address="127.0.0.2")
    with httpx.Client(base_url=base, transport=attacker, timeout=60) as c:
        for _ in range(5):
            c.post(TOKEN, data={"username": "ana", "password": "not the password"})
        assert c.post(TOKEN, data={"username": "ana", "password": PASSWORD}).status_code == 401
        auth = {"Authorization": f"Bearer {key}"}
        ana = next(u for u in c.get("/api/v1/users", headers=auth).json() if u["name"] == "ana")
        assert ana["locked_until"] is None  # not locked for everyone
        assert [lock["client"] for lock in ana["locked_addresses"]] == ["127.0.0.2"]
        enabled = c.post("/api/v1/users/ana/enable", headers=auth).json()
        assert enabled["locked_addresses"] == []
        assert c.post(TOKEN, data={"username": "ana", "password": PASSWORD}).status_code == 200
