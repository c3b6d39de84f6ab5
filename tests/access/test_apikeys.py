from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import duckdb
import pytest

from ecohub.access import apikeys, users
from ecohub.access.errors import GENERIC_FAILURE, AuthFailed, InvalidInput
from tests.access.conftest import PASSWORD


@pytest.fixture
def ana(store: duckdb.DuckDBPyConnection) -> str:
    users.add_user(store, "ana", "analyst", "110105", [], PASSWORD)
    return "ana"


def test_create_use_and_store_only_a_digest(store: duckdb.DuckDBPyConnection, ana: str) -> None:
    key, rec = apikeys.create(store, ana, expires_days=30)
    assert key.startswith(f"ehk_{rec.key_id}_")
    secret = key.split("_", 2)[2]
    assert len(secret) >= 43  # 32 random bytes, url-safe base64
    (stored,) = store.execute("SELECT secret_hash FROM api_key").fetchone()  # type: ignore[misc]
    assert stored == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in repr(store.execute("SELECT * FROM api_key").fetchall())
    p = apikeys.authenticate_key(store, key)
    assert (p.name, p.region, p.via) == ("ana", "110105", "apikey")
    (used,) = store.execute("SELECT last_used_at FROM api_key").fetchone()  # type: ignore[misc]
    assert used is not None
    assert [k.key_id for k in apikeys.list_keys(store)] == [rec.key_id]


def _fails(store: duckdb.DuckDBPyConnection, key: str) -> str:
    with pytest.raises(AuthFailed) as err:
        apikeys.authenticate_key(store, key)
    assert str(err.value) == GENERIC_FAILURE
    return err.value.reason


def test_wrong_revoked_expired_disabled(store: duckdb.DuckDBPyConnection, ana: str) -> None:
    key, rec = apikeys.create(store, ana)
    assert _fails(store, key[:-1] + ("A" if key[-1] != "A" else "B")) == "wrong API key secret"
    assert _fails(store, "ehk_0000000000000000_" + key.split("_", 2)[2]) == "unknown API key"
    assert _fails(store, "ehk_") == "unknown API key"
    apikeys.revoke(store, rec.key_id)
    assert _fails(store, key) == "API key revoked"

    key2, rec2 = apikeys.create(store, ana, expires_days=1)
    store.execute(
        "UPDATE api_key SET expires_at = ? WHERE key_id = ?",
        [datetime.now(UTC) - timedelta(seconds=1), rec2.key_id],
    )
    assert _fails(store, key2) == "API key expired"

    key3, _ = apikeys.create(store, ana)
    assert apikeys.authenticate_key(store, key3).name == "ana"
    users.disable_user(store, ana)
    assert _fails(store, key3) == "API key of a disabled user"


def test_create_rejects_bad_input(store: duckdb.DuckDBPyConnection, ana: str) -> None:
    with pytest.raises(InvalidInput) as err:
        apikeys.create(store, "ghost")
    assert err.value.field == "user"
    # Whole days from 1 to 3650, as the message says: 0.0001 days (8.6 s), NaN, "5" and True
    # were taken (the check was 0 < x <= 3650, the field named `expires`).
    for days in (0, -1, 3651, 100_000, 0.0001, 0.5, 5.0, float("nan"), float("inf"), "5", True):
        with pytest.raises(InvalidInput) as err:
            apikeys.create(store, ana, days)  # type: ignore[arg-type]
        assert err.value.field == "expires_days"
        assert "whole number of days from 1 to 3650" in err.value.message
    with pytest.raises(InvalidInput) as err:
        apikeys.revoke(store, "nope")
    assert err.value.field == "id"
    assert store.execute("SELECT count(*) FROM api_key").fetchone() == (0,)


def test_a_key_given_no_lifetime_expires_after_a_year(store: duckdb.DuckDBPyConnection) -> None:
    users.add_user(store, "robot", "analyst", "110105", [], PASSWORD)
    _, rec = apikeys.create(store, "robot")
    assert rec.expires_at is not None
    left = rec.expires_at - datetime.now(UTC)
    assert timedelta(days=364) < left <= timedelta(days=365)
