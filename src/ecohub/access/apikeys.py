"""API keys for machine clients: ``ehk_<id>_<secret>``, shown once, stored as a SHA-256 digest.

Why SHA-256 and not argon2: argon2 makes guessing a *human-chosen* password from its hash slow.
The secret here is 256 random bits from :mod:`secrets`; no guess rate, however fast, gets
through 2**256 candidates, so a slow hash would only cost every request tens of milliseconds
and buy nothing. The ``id`` part lets the lookup be one primary-key read; the secret is then
compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb

from ecohub.access import revocation
from ecohub.access._db import WRITE_LOCK, first
from ecohub.access.errors import AuthFailed, InvalidInput
from ecohub.access.principal import Principal
from ecohub.access.users import active_user, get_user

PREFIX = "ehk_"
MAX_EXPIRY_DAYS = 3650
#: A key given no lifetime lives a year: a machine credential is renewed, not kept forever
#: (MLPS level 3 asks for a credential lifecycle; a forgotten key stops working by itself).
DEFAULT_EXPIRY_DAYS = 365
#: How stale ``last_used_at`` may be: writing it on every request would make every read a write
#: (and concurrent requests of one key would conflict on the row).
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class ApiKey:
    """A key's record (never its secret)."""

    key_id: str
    user: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None

    def as_dict(self) -> dict[str, Any]:
        def iso(t: datetime | None) -> str | None:
            return t.isoformat() if t else None

        return {
            "id": self.key_id,
            "user": self.user,
            "created_at": iso(self.created_at),
            "expires_at": iso(self.expires_at),
            "revoked_at": iso(self.revoked_at),
            "last_used_at": iso(self.last_used_at),
        }


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def check_expiry(expires_days: object) -> int:
    """``expires_days`` as the whole number of days a key lives (``None``:
    :data:`DEFAULT_EXPIRY_DAYS`); :class:`InvalidInput` naming ``expires_days`` for anything
    but a whole number from 1 to :data:`MAX_EXPIRY_DAYS` (0.0001, NaN, ``"5"`` and ``True``
    included)."""
    if expires_days is None:
        return DEFAULT_EXPIRY_DAYS
    whole = isinstance(expires_days, int) and not isinstance(expires_days, bool)
    if not whole or not 1 <= expires_days <= MAX_EXPIRY_DAYS:  # type: ignore[operator]
        raise InvalidInput(
            "expires_days",
            f"must be a whole number of days from 1 to {MAX_EXPIRY_DAYS}, got {expires_days!r}",
        )
    return int(expires_days)  # type: ignore[call-overload]


def create(
    con: duckdb.DuckDBPyConnection, user: str, expires_days: int | None = None
) -> tuple[str, ApiKey]:
    """A new key for ``user``: ``(key, record)``, valid ``expires_days`` whole days (default
    :data:`DEFAULT_EXPIRY_DAYS`; :func:`check_expiry`). Only a digest is stored: the key
    cannot be shown again."""
    days = check_expiry(expires_days)
    if get_user(con, user) is None:
        raise InvalidInput("user", f"no user {user!r}")
    if active_user(con, user) is None:
        raise InvalidInput("user", f"user {user!r} is disabled")
    key_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    expires = now + timedelta(days=days)
    con.execute(
        "INSERT INTO api_key (key_id, user_name, secret_hash, created_at, expires_at) "
        "VALUES (?, ?, ?, ?, ?)",
        [key_id, user, _digest(secret), now, expires],
    )
    return f"{PREFIX}{key_id}_{secret}", _get(con, key_id)


_COLUMNS = "key_id, user_name, created_at, expires_at, revoked_at, last_used_at"


def list_keys(con: duckdb.DuckDBPyConnection, user: str | None = None) -> list[ApiKey]:
    sql = f"SELECT {_COLUMNS} FROM api_key"
    params: list[Any] = []
    if user is not None:
        sql += " WHERE user_name = ?"
        params.append(user)
    return [
        ApiKey(*r) for r in con.execute(sql + " ORDER BY created_at, key_id", params).fetchall()
    ]


def _get(con: duckdb.DuckDBPyConnection, key_id: str) -> ApiKey:
    row = first(
        con.execute(f"SELECT {_COLUMNS} FROM api_key WHERE key_id = ?", [key_id]).fetchall()
    )
    if row is None:
        raise InvalidInput("id", f"no API key {key_id!r}")
    return ApiKey(*row)


def revoke(con: duckdb.DuckDBPyConnection, key_id: str) -> ApiKey:
    """Revoke a key by its id (the part after ``ehk_``); it fails from its next use on."""
    key_id = key_id.removeprefix(PREFIX).split("_", 1)[0]
    if _get(con, key_id).revoked_at is None:
        with WRITE_LOCK:
            con.execute(
                "UPDATE api_key SET revoked_at = ? WHERE key_id = ?", [datetime.now(UTC), key_id]
            )
    revocation.bump()  # a cached verification of this key goes
    return _get(con, key_id)


def looks_like_key(token: str) -> bool:
    return token.startswith(PREFIX)


def authenticate_key(con: duckdb.DuckDBPyConnection, key: str) -> Principal:
    """The principal of the key's user; :class:`AuthFailed` if the key is wrong, revoked,
    expired, or its user disabled."""
    key_id, _, secret = key.removeprefix(PREFIX).partition("_")
    row = first(
        con.execute(
            "SELECT user_name, secret_hash, expires_at, revoked_at, last_used_at "
            "FROM api_key WHERE key_id = ?",
            [key_id[:64]],
        ).fetchall()
    )
    # Compare even when the id is unknown, so both failures take the same path.
    stored = row[1] if row else "0" * 64
    if not hmac.compare_digest(stored, _digest(secret)) or row is None:
        raise AuthFailed("unknown API key" if row is None else "wrong API key secret")
    user_name, _, expires_at, revoked_at, last_used = row
    now = datetime.now(UTC)
    if revoked_at is not None:
        raise AuthFailed("API key revoked", user_name)
    if expires_at is not None and expires_at <= now:
        raise AuthFailed("API key expired", user_name)
    user = active_user(con, user_name)
    if user is None:
        raise AuthFailed("API key of a disabled user", user_name)
    if last_used is None or now - last_used >= LAST_USED_RESOLUTION:
        with WRITE_LOCK:
            con.execute("UPDATE api_key SET last_used_at = ? WHERE key_id = ?", [now, key_id])
    return user.principal("apikey", con)
