"""Lock-outs and the per-address throttle of ``POST /api/v1/auth/token`` against a real server on
loopback, with clients at different loopback addresses (127.0.0.2, .3, ...: Linux routes all of
127/8 to the loopback interface). Security assessment F3: 5 anonymous wrong passwords locked
any account, the admin included, for everyone."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from ecohub.access import audit_read, users
from tests.access.conftest import PASSWORD
from tests.api._auth_server import Server, cheap_argon2, server_fixture  # noqa: F401 - fixtures

TOKEN = "/api/v1/auth/token"


@contextmanager
def _from(server: Server, address: str) -> Iterator[httpx.Client]:
    """A client whose connections come from ``address``."""
    transport = httpx.HTTPTransport(local_address=address)
    with httpx.Client(base_url=server.base, transport=transport, timeout=30) as client:
        yield client


def _login(client: httpx.Client, name: str, password: str) -> httpx.Response:
    return client.post(TOKEN, data={"username": name, "password": password})


def _logins(server: Server, n: int) -> list[tuple[str, str | None, str]]:
    """(user, client, result) of the log-in entries, once ``n`` are in the log."""
    writer = server.auth.audit_writer
    assert writer is not None
    rows: list[tuple[str, str | None, str]] = []
    for _ in range(200):
        writer.flush()
        rows = [
            (e["user"], e["client"], e["result"])
            for e in audit_read.show(server.con)
            if e["route"] == TOKEN
        ]
        if len(rows) >= n:
            break
        time.sleep(0.01)
    return rows


def test_wrong_passwords_from_one_address_do_not_lock_out_another(server: Server) -> None:
    users.add_user(server.con, "admin", "admin", None, [], PASSWORD)
    with _from(server, "127.0.0.2") as attacker, _from(server, "127.0.0.3") as admin:
        wrong = [_login(attacker, "admin", f"wrong-guess-{i}-xx") for i in range(5)]
        assert [r.status_code for r in wrong] == [401] * 5
        locked = _login(attacker, "admin", PASSWORD)
        # The attacker's address is locked, and cannot tell: the answer is any failure's.
        assert locked.status_code == 401 and locked.content == wrong[0].content
        ok = _login(admin, "admin", PASSWORD)
        assert ok.status_code == 200, ok.text
        assert ok.json()["token_type"] == "bearer"
    assert _logins(server, 7) == [
        *[("admin", "127.0.0.2", "denied: wrong password")] * 4,
        ("admin", "127.0.0.2", "denied: wrong password; locked at this address after 5 failures"),
        ("admin", "127.0.0.2", "denied: locked at this address"),
        ("admin", "127.0.0.3", "ok"),
    ]


def test_spraying_from_one_address_is_throttled(server: Server) -> None:
    users.add_user(server.con, "ana", "analyst", "110105", [], PASSWORD)
    with _from(server, "127.0.0.4") as sprayer, _from(server, "127.0.0.5") as other:
        pair = _login(sprayer, "ana", PASSWORD).json()  # a success costs nothing
        # 20 failures at once are allowed (auth_client_max_failures): one guess at each of
        # 20 names, unknown ones too.
        guesses = [_login(sprayer, f"user{i}", "Spring2026!spring") for i in range(20)]
        assert {r.status_code for r in guesses} == {401}
        r = _login(sprayer, "ana", PASSWORD)  # now even the right password waits
        assert r.status_code == 429
        assert r.headers["content-type"] == "application/problem+json"
        # One failure is forgiven every 45 s (20 per 15 minutes).
        assert 1 <= int(r.headers["retry-after"]) <= 45
        assert r.json()["status"] == 429 and "retry" in r.json()["detail"]
        # Another address is not affected, nor is a refresh from this one (a refresh token
        # cannot be guessed, so refreshes are not throttled).
        assert _login(other, "ana", PASSWORD).status_code == 200
        form = {"grant_type": "refresh_token", "refresh_token": pair["refresh_token"]}
        assert sprayer.post(TOKEN, data=form).status_code == 200
    entries = _logins(server, 24)
    assert entries[21][:2] == ("ana", "127.0.0.4")
    assert entries[21][2].startswith("denied: throttled: too many failed log-ins from this address")


def test_a_forwarded_address_is_taken_only_from_the_trusted_proxy(server: Server) -> None:
    # uvicorn's default (ecohub up does not change it): X-Forwarded-For is believed from
    # 127.0.0.1 only (FORWARDED_ALLOW_IPS names others), so a reverse proxy on the same host
    # passes the client's address on, and a client elsewhere cannot choose its own.
    forwarded = {"X-Forwarded-For": "203.0.113.50"}
    with _from(server, "127.0.0.1") as proxy, _from(server, "127.0.0.6") as client:
        proxy.post(TOKEN, data={"username": "nobody", "password": "x" * 12}, headers=forwarded)
        client.post(TOKEN, data={"username": "nobody", "password": "x" * 12}, headers=forwarded)
    assert [client for _, client, _ in _logins(server, 2)] == ["203.0.113.50", "127.0.0.6"]
