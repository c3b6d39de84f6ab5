from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import jwt
import pytest

from ecohub.access import login, tokens, users
from ecohub.access.errors import AuthFailed
from ecohub.access.principal import Principal
from tests.access.conftest import PASSWORD


@pytest.fixture
def secret(tmp_path: Path) -> bytes:
    return tokens.load_secret(tmp_path)


@pytest.fixture
def ana(store: duckdb.DuckDBPyConnection) -> Principal:
    users.add_user(store, "ana", "analyst", "110105", [], PASSWORD)
    return login.authenticate(store, "ana", PASSWORD)


def _reason(fn: object, *args: object) -> str:
    with pytest.raises(AuthFailed) as err:
        fn(*args)  # type: ignore[operator]
    return err.value.reason


def test_access_token_claims(secret: bytes, ana: Principal) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    token = tokens.issue_access_token(secret, ana, 15, now=now)
    claims = jwt.decode(token, secret, algorithms=["HS256"])
    assert claims["sub"] == "ana" and claims["role"] == "analyst"
    assert claims["region"] == "110105" and claims["sources"] == []
    assert claims["exp"] - claims["iat"] == 15 * 60
    assert len(claims["jti"]) == 32
    assert jwt.get_unverified_header(token)["alg"] == "HS256"


def test_expired_and_tampered_tokens(
    store: duckdb.DuckDBPyConnection, secret: bytes, ana: Principal
) -> None:
    past = datetime.now(UTC) - timedelta(minutes=16)
    expired = tokens.issue_access_token(secret, ana, 15, now=past)
    assert _reason(tokens.verify_access_token, store, secret, expired) == "access token expired"
    # alg=none and a token signed with another key are both refused
    unsigned = jwt.encode(
        {"sub": "ana", "exp": 2**40, "iat": 0, "jti": "x"}, None, algorithm="none"
    )
    assert "bad access token" in _reason(tokens.verify_access_token, store, secret, unsigned)
    other = tokens.issue_access_token(b"k" * 32, ana)
    assert "bad access token" in _reason(tokens.verify_access_token, store, secret, other)
    good = tokens.issue_access_token(secret, ana)
    assert tokens.verify_access_token(store, secret, good).name == "ana"


def test_refresh_rotates_and_reuse_revokes_the_family(
    store: duckdb.DuckDBPyConnection, secret: bytes, ana: Principal
) -> None:
    pair = tokens.login_tokens(store, secret, ana, refresh_hours=12)
    p, second = tokens.refresh(store, secret, pair.refresh_token)
    assert p.name == "ana" and second.refresh_token != pair.refresh_token
    # Only digests are stored.
    stored = repr(store.execute("SELECT * FROM refresh_token").fetchall())
    assert pair.refresh_token.split("_", 2)[2] not in stored
    # The rotated token keeps the family's end (12 h from the log-in), not a fresh 12 h.
    ends = store.execute("SELECT DISTINCT expires_at FROM refresh_token").fetchall()
    assert len(ends) == 1
    assert tokens.verify_access_token(store, secret, second.access_token).name == "ana"
    assert "reused" in _reason(tokens.refresh, store, secret, pair.refresh_token)
    assert _reason(tokens.refresh, store, secret, second.refresh_token) == "refresh token revoked"
    # The family's access tokens fail too (the thief's and the owner's: both log in again).
    for access in (pair.access_token, second.access_token):
        assert "revoked log-in" in _reason(tokens.verify_access_token, store, secret, access)
    # Another log-in of the same user is not touched.
    other = tokens.login_tokens(store, secret, ana)
    assert tokens.verify_access_token(store, secret, other.access_token).name == "ana"


def test_refresh_expired_unknown_and_disabled(
    store: duckdb.DuckDBPyConnection, secret: bytes, ana: Principal
) -> None:
    pair = tokens.login_tokens(store, secret, ana)
    store.execute(
        "UPDATE refresh_token SET expires_at = ?", [datetime.now(UTC) - timedelta(seconds=1)]
    )
    assert _reason(tokens.refresh, store, secret, pair.refresh_token) == "refresh token expired"
    assert _reason(tokens.refresh, store, secret, "ehr_nothing_here") == "unknown refresh token"
    assert _reason(tokens.refresh, store, secret, pair.refresh_token + "x") == "wrong refresh token"
    pair = tokens.login_tokens(store, secret, ana)
    users.disable_user(store, "ana")  # revokes its refresh tokens too
    assert _reason(tokens.refresh, store, secret, pair.refresh_token) == "refresh token revoked"
    assert "disabled" in _reason(tokens.verify_access_token, store, secret, pair.access_token)


def test_concurrent_use_of_one_refresh_token_lets_one_win(
    store: duckdb.DuckDBPyConnection, secret: bytes, ana: Principal
) -> None:
    import threading

    pair = tokens.login_tokens(store, secret, ana)
    results: list[str] = []

    def use() -> None:
        cur = store.cursor()
        try:
            tokens.refresh(cur, secret, pair.refresh_token)
            results.append("ok")
        except AuthFailed as exc:
            results.append(exc.reason)
        finally:
            cur.close()

    threads = [threading.Thread(target=use) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count("ok") == 1
    # The losers saw a reuse, so the family - including the winner's new token - is revoked.
    assert store.execute(
        "SELECT count(*) FROM refresh_token WHERE revoked_at IS NULL"
    ).fetchall() == [(0,)]
