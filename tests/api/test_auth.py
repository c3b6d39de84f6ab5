"""Log-in, tokens, keys and the local credential against a real server on loopback."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecohub.access import apikeys, audit_read, local, tokens, users
from ecohub.access.principal import Principal
from tests.access.conftest import PASSWORD
from tests.api._auth_server import Server, cheap_argon2, server_fixture  # noqa: F401 - fixtures

TOKEN = "/api/v1/auth/token"


def _login(s: Server, name: str, password: str) -> httpx.Response:
    return s.client.post(TOKEN, data={"username": name, "password": password})


def _is_generic_401(r: httpx.Response) -> dict[str, object]:
    assert r.status_code == 401, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.headers["www-authenticate"].startswith("Bearer")
    body: dict[str, object] = r.json()
    assert {"type", "title", "status", "detail"} <= body.keys() and body["status"] == 401
    return body


def test_login_token_request_and_401_without_token(server: Server) -> None:
    users.add_user(server.con, "ana", "analyst", "110105", [], PASSWORD)
    r = _login(server, "ana", PASSWORD)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 15 * 60
    assert body["refresh_token"].startswith("ehr_")
    assert r.headers["cache-control"] == "no-store"
    auth = {"Authorization": f"Bearer {body['access_token']}"}
    me = server.client.get("/api/v1/whoami", headers=auth)
    assert me.json() == {"name": "ana", "role": "analyst", "region": "110105", "via": "token"}
    _is_generic_401(server.client.get("/api/v1/whoami"))
    _is_generic_401(server.client.get("/api/v1/whoami", headers={"Authorization": "Bearer junk"}))
    # 403 only for an authenticated caller whose role may not do it
    put = server.client.put("/api/v1/things/x", headers=auth)
    assert put.status_code == 403 and put.headers["content-type"] == "application/problem+json"


def test_failures_look_the_same(server: Server) -> None:
    users.add_user(server.con, "ana", "analyst", "110105", [], PASSWORD)
    users.add_user(server.con, "bob", "analyst", "110105", [], PASSWORD)
    users.add_user(server.con, "cat", "analyst", "110105", [], PASSWORD)
    users.disable_user(server.con, "bob")
    for _ in range(5):
        _login(server, "cat", "not the password")
    answers = [
        _login(server, "ana", "not the password"),  # wrong password
        _login(server, "nobody", PASSWORD),  # unknown user
        _login(server, "bob", PASSWORD),  # disabled
        _login(server, "cat", PASSWORD),  # locked (right password)
    ]
    bodies = [_is_generic_401(r) for r in answers]
    assert all(b == bodies[0] for b in bodies)
    assert {r.content for r in answers} == {answers[0].content}


def test_expired_token_and_disabled_user(server: Server) -> None:
    users.add_user(server.con, "ana", "analyst", "110105", [], PASSWORD)
    secret = tokens.load_secret(server.data_dir)
    p = Principal("ana", "analyst", "110105")
    past = datetime.now(UTC) - timedelta(hours=1)
    expired = tokens.issue_access_token(secret, p, minutes=15, now=past)
    _is_generic_401(
        server.client.get("/api/v1/whoami", headers={"Authorization": f"Bearer {expired}"})
    )
    forged = tokens.issue_access_token(b"another secret of 32 bytes......", p)
    _is_generic_401(
        server.client.get("/api/v1/whoami", headers={"Authorization": f"Bearer {forged}"})
    )
    good = tokens.issue_access_token(secret, p)
    auth = {"Authorization": f"Bearer {good}"}
    assert server.client.get("/api/v1/whoami", headers=auth).status_code == 200
    users.disable_user(server.con, "ana")
    _is_generic_401(server.client.get("/api/v1/whoami", headers=auth))


def test_refresh_rotation_and_reuse(server: Server) -> None:
    users.add_user(server.con, "ana", "analyst", "110105", [], PASSWORD)
    first = _login(server, "ana", PASSWORD).json()["refresh_token"]
    r = server.client.post(TOKEN, data={"grant_type": "refresh_token", "refresh_token": first})
    assert r.status_code == 200, r.text
    second = r.json()["refresh_token"]
    assert second != first
    # The first token again: someone else holds it. Refused, and the whole family dies.
    _is_generic_401(
        server.client.post(TOKEN, data={"grant_type": "refresh_token", "refresh_token": first})
    )
    _is_generic_401(
        server.client.post(TOKEN, data={"grant_type": "refresh_token", "refresh_token": second})
    )
    bad = server.client.post(TOKEN, data={"grant_type": "magic"})
    assert bad.status_code == 400 and "grant_type" in bad.json()["detail"]


LOGOUT = "/api/v1/auth/logout"


def test_logout_ends_the_login_on_the_server(server: Server) -> None:
    # A token copied from a shared office PC must die when its user logs out there.
    users.add_user(server.con, "ana", "analyst", "110105", [], PASSWORD)
    pair = _login(server, "ana", PASSWORD).json()
    auth = {"Authorization": f"Bearer {pair['access_token']}"}
    assert server.client.get("/api/v1/whoami", headers=auth).status_code == 200
    r = server.client.post(LOGOUT, headers=auth)
    assert r.status_code == 204 and r.content == b""
    _is_generic_401(server.client.get("/api/v1/whoami", headers=auth))
    refreshed = {"grant_type": "refresh_token", "refresh_token": pair["refresh_token"]}
    _is_generic_401(server.client.post(TOKEN, data=refreshed))
    # The refresh token alone ends its log-in too (an access token that has expired).
    other = _login(server, "ana", PASSWORD).json()
    r = server.client.post(LOGOUT, json={"refresh_token": other["refresh_token"]})
    assert r.status_code == 204
    gone = {"grant_type": "refresh_token", "refresh_token": other["refresh_token"]}
    _is_generic_401(server.client.post(TOKEN, data=gone))
    # Other log-ins of the same user live on; nonsense is answered alike (no oracle).
    third = _login(server, "ana", PASSWORD).json()
    for junk in (
        {"json": {"refresh_token": "ehr_nope_nope"}},
        {"headers": {"Authorization": "Bearer x.y.z"}},
    ):
        assert server.client.post(LOGOUT, **junk).status_code == 204  # type: ignore[arg-type]
    fine = {"Authorization": f"Bearer {third['access_token']}"}
    assert server.client.get("/api/v1/whoami", headers=fine).status_code == 200
    server.auth.audit_writer.flush()
    logged = [(e["user"], e["action"], e["result"]) for e in audit_read.show(server.con)
              if e["route"] == LOGOUT]  # fmt: skip
    nothing = ("-", "logout", "no log-in of ours")
    assert logged == [("ana", "logout", "ok"), ("ana", "logout", "ok"), nothing, nothing]


def test_api_key_both_headers_and_revoke(server: Server) -> None:
    users.add_user(server.con, "ana", "analyst", "110105", [], PASSWORD)
    key, rec = apikeys.create(server.con, "ana", 30)
    for headers in ({"Authorization": f"Bearer {key}"}, {"X-API-Key": key}):
        r = server.client.get("/api/v1/whoami", headers=headers)
        assert r.status_code == 200 and r.json()["via"] == "apikey"
    apikeys.revoke(server.con, rec.key_id)
    _is_generic_401(server.client.get("/api/v1/whoami", headers={"X-API-Key": key}))


def test_local_credential(server: Server) -> None:
    cred = local.read_local_credential(server.data_dir)
    assert cred is not None
    r = server.client.get("/api/v1/whoami", headers={"Authorization": f"Bearer {cred}"})
    assert r.json() == {"name": "local", "role": "admin", "region": None, "via": "local"}
    _is_generic_401(
        server.client.get("/api/v1/whoami", headers={"Authorization": f"Bearer {cred}x"})
    )


def test_open_route_is_anonymous_and_unaudited(server: Server) -> None:
    assert server.client.get("/open/v1/things").json() == {"as": "anonymous"}
    _is_generic_401(server.client.get("/open/v1/things", headers={"X-API-Key": "ehk_bad_key"}))
    assert all(
        e["route"] != "/open/v1/things" or e["action"] == "auth"
        for e in audit_read.show(server.con)
    )


def test_audit_records_logins_and_requests(server: Server) -> None:
    users.add_user(server.con, "ana", "analyst", "110105", [], PASSWORD)
    _login(server, "ana", "not the password")
    token = _login(server, "ana", PASSWORD).json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    server.client.get("/api/v1/whoami", params={"region": "110105"}, headers=auth)
    server.client.put("/api/v1/things/t1", headers=auth)
    server.client.get("/api/v1/whoami")
    # The middleware writes after the response: wait for the last entry to land.
    entries = _wait_for(server, 5)
    got = [(e["user"], e["action"], e["route"], e["rows"], e["result"]) for e in entries]
    assert got == [
        ("ana", "login", TOKEN, None, "denied: wrong password"),
        ("ana", "login", TOKEN, None, "ok"),
        ("ana", "read", "/api/v1/whoami", 1, "200"),
        ("ana", "write", "/api/v1/things/{thing}", None, "403"),
        ("-", "auth", "/api/v1/whoami", None, "401: no credentials"),
    ]
    assert entries[2]["filters"] == {"region": "110105"}
    assert entries[3]["filters"] == {"thing": "t1"}
    # Every entry names the address the request came from: a reviewer tells a guessing
    # attack from a typo by it (GB/T 22239-2019 8.1.4.3). The server listens on loopback.
    assert [e["client"] for e in entries] == ["127.0.0.1"] * 5
    assert audit_read.verify(server.con) is None


def _wait_for(server: Server, n: int) -> list[dict[str, object]]:
    """The audit entries once the writer has committed the ``n`` the requests queued (the
    middleware queues after the response is sent, so the last may still be on its way)."""
    writer = server.auth.audit_writer
    assert writer is not None
    for _ in range(200):
        writer.flush()
        entries = audit_read.show(server.con)
        if len(entries) >= n:
            return entries
        time.sleep(0.01)
    return audit_read.show(server.con)


_HEADER_TEXT = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=300)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    scheme=st.sampled_from(["Bearer ", "bearer ", "Basic ", ""]),
    prefix=st.sampled_from(["", "ehk_", "ehl_", "ehr_", "eyJhbGciOiJIUzI1NiJ9."]),
    value=_HEADER_TEXT,
    header=st.sampled_from(["Authorization", "X-API-Key"]),
)
def test_hostile_credentials_answer_401_never_500(
    server: Server, scheme: str, prefix: str, value: str, header: str
) -> None:
    r = server.client.get("/api/v1/whoami", headers={header: (scheme + prefix + value).strip()})
    _is_generic_401(r)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    form=st.dictionaries(
        st.sampled_from(["grant_type", "username", "password", "refresh_token", "scope"]),
        st.text(max_size=80),
        max_size=5,
    )
)
def test_hostile_token_forms_never_500(server: Server, form: dict[str, str]) -> None:
    # Each example starts with the address's failure budget full: the examples come from one
    # address, and past 20 refused log-ins its answer would be the throttle's 429 for every form
    # (tests/api/test_login_lockout.py), which is not what this test looks at.
    server.auth.throttle.clear()
    r = server.client.post(TOKEN, data=form)
    assert r.status_code in (400, 401, 422), r.text
    assert r.headers["content-type"] in ("application/problem+json", "application/json")
