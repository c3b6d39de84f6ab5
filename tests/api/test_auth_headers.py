"""Credential headers against a real server on loopback (walk C, findings 7 and 8).

- 7: an invalid ``X-API-Key`` sent beside a valid ``Authorization: Bearer`` was ignored (the
  request answered as the bearer, the bad key never audited). RFC 6750 section 2: a client MUST
  NOT use more than one method to send a token; a request with both is a 400
  ``invalid_request`` naming the headers, audited as a refused credential.
- 8: ``X-API-Key`` with trailing whitespace was a 401 while leading whitespace worked; RFC 9110
  section 5.5: whitespace around a field value is not part of it.
"""

from __future__ import annotations

import socket
import time
from pathlib import Path

import httpx
import pytest

from ecohub.access import apikeys, audit_read, users
from tests.access.conftest import PASSWORD
from tests.api._auth_server import Server, cheap_argon2, server_fixture  # noqa: F401 - fixtures

ROOT = Path(__file__).resolve().parents[2]


def _token(s: Server, name: str) -> str:
    r = s.client.post("/api/v1/auth/token", data={"username": name, "password": PASSWORD})
    return str(r.json()["access_token"])


def _two_credentials(r: httpx.Response) -> None:
    assert r.status_code == 400, r.text
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["error"] == "invalid_request"
    assert [e["field"] for e in body["errors"]] == ["Authorization", "X-API-Key"]
    assert body["detail"].startswith("Authorization, X-API-Key: send one credential")


def _auth_entries(s: Server, n: int) -> list[dict[str, object]]:
    writer = s.auth.audit_writer
    assert writer is not None
    for _ in range(200):
        writer.flush()
        got = [e for e in audit_read.show(s.con) if e["action"] == "auth"]
        if len(got) >= n:
            return got
        time.sleep(0.01)
    return [e for e in audit_read.show(s.con) if e["action"] == "auth"]


def test_a_bad_key_beside_a_good_token_is_refused_and_audited(server: Server) -> None:
    users.add_user(server.con, "ana", "analyst", "110105", [], PASSWORD)
    users.add_user(server.con, "boss", "admin", None, [], PASSWORD)
    token = _token(server, "ana")
    other_key = apikeys.create(server.con, "boss")[0]
    for key in ("ehk_0000000000000000_revoked-or-garbage", other_key):
        headers = {"Authorization": f"Bearer {token}", "X-API-Key": key}
        _two_credentials(server.client.get("/api/v1/whoami", headers=headers))
    # The open routes too: a client learns its request is wrong instead of being served.
    headers = {"Authorization": f"Bearer {token}", "X-API-Key": other_key}
    _two_credentials(server.client.get("/open/v1/things", headers=headers))
    entries = _auth_entries(server, 3)
    assert [(e["user"], e["via"], e["route"], e["result"]) for e in entries] == [
        ("-", "token+apikey", route, "400: two credentials: Authorization and X-API-Key")
        for route in ("/api/v1/whoami", "/api/v1/whoami", "/open/v1/things")
    ]
    assert audit_read.verify(server.con) is None


def _raw_status(s: Server, header: bytes) -> bytes:
    """The status line for ``GET /api/v1/whoami`` with ``header`` sent byte for byte (a client
    library may tidy a value's whitespace before sending it)."""
    host, port = s.base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(
            b"GET /api/v1/whoami HTTP/1.1\r\nHost: x\r\n"
            + header
            + b"\r\nConnection: close\r\n\r\n"
        )
        data = b""
        while b"\r\n" not in data:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
    return data.split(b"\r\n")[0]


@pytest.mark.parametrize("pad", [(b" ", b" "), (b"", b" "), (b"", b"\t"), (b"\t", b"  ")])
def test_whitespace_around_a_credential_is_not_part_of_it(
    server: Server, pad: tuple[bytes, bytes]
) -> None:
    users.add_user(server.con, "ana", "analyst", "110105", [], PASSWORD)
    key = apikeys.create(server.con, "ana")[0].encode()
    before, after = pad
    for header in (b"X-API-Key: " + before + key + after,
                   b"Authorization: Bearer " + before + key + after):  # fmt: skip
        assert _raw_status(server, header) == b"HTTP/1.1 200 OK", header


def test_console_and_cli_send_only_authorization() -> None:
    # Both send `Authorization: Bearer` and nothing else; neither may add X-API-Key (a request
    # with both is refused).
    static = ROOT / "src/ecohub/web/static"  # the console's own files (no vendored ones)
    sources = [
        *(ROOT / "src/ecohub/cli").rglob("*.py"),
        *static.glob("*.js"),
        *static.glob("*.html"),
    ]
    assert sources
    assert not [p for p in sources if "x-api-key" in p.read_text(encoding="utf-8").lower()]
