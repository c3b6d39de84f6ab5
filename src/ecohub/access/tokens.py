"""Access tokens (JWT, HS256) and refresh tokens (opaque, stored hashed, rotated on use).

The signing secret is 256 random bits generated on first start into ``<data_dir>/jwt.secret``
(mode 0600); it is never logged and never leaves the data folder. Deleting the file and
restarting invalidates every access token at once (and every paging cursor: their signing key
is derived from the same secret, :func:`derive_key`).

Access tokens live ``access_minutes`` (default 15) and carry ``sub`` (user name), ``role``,
``region``, ``sources``, ``jti``, ``iat`` and ``exp``. They are not trusted alone: every request
also looks the user up by primary key, so a disabled user is refused at its next request and a
changed role or region applies at once (the principal is built from the row, not the claims).

Refresh tokens (``ehr_<id>_<secret>``) are single-use: using one marks it used and returns a
new pair. Tokens rotated from one log-in form a *family* whose lifetime (``refresh_hours``,
default 12) counts from the log-in, so a session ends at the latest that long after the
password was given. Presenting an already used token means two parties hold the family (one of
them stole it): the whole family is revoked.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import jwt

from ecohub.access._db import WRITE_LOCK, first
from ecohub.access.errors import AuthFailed
from ecohub.access.principal import Principal
from ecohub.access.users import active_user

ALGORITHM = "HS256"
SECRET_FILE = "jwt.secret"
REFRESH_PREFIX = "ehr_"


def load_secret(data_dir: Path | str) -> bytes:
    """The signing secret of this data folder, created (mode 0600) on first use."""
    path = Path(data_dir) / SECRET_FILE
    with contextlib.suppress(FileNotFoundError):
        value = path.read_text(encoding="ascii").strip()
        if len(value) >= 64:
            return bytes.fromhex(value)
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_hex(32)
    tmp = path.with_name(f".{SECRET_FILE}.{os.getpid()}")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, value.encode())
    finally:
        os.close(fd)
    try:
        os.link(tmp, path)  # fails if another process created it first: use theirs
    except FileExistsError:
        os.unlink(tmp)
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    os.unlink(tmp)
    return bytes.fromhex(value)


def derive_key(secret: bytes, purpose: str) -> bytes:
    """A 256-bit key for ``purpose`` alone (``"cursor"``: paging cursors), derived from the
    data folder's ``secret``: HMAC-SHA256(secret, ``ecohub/<purpose>``). One secret to keep and
    to rotate, yet no key serves two uses: a value signed for one (a cursor, whose text holds
    data from imported files) can never pass as another's (an access token's signature)."""
    return hmac.new(secret, f"ecohub/{purpose}".encode(), hashlib.sha256).digest()


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    expires_in: int  # seconds
    refresh_token: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "access_token": self.access_token,
            "token_type": "bearer",
            "expires_in": self.expires_in,
            "refresh_token": self.refresh_token,
        }


def issue_access_token(
    secret: bytes,
    p: Principal,
    minutes: float = 15.0,
    *,
    now: datetime | None = None,
    family: str | None = None,
) -> str:
    """A signed access token for ``p`` valid ``minutes`` from ``now``; ``family``: the refresh
    family it was issued with (the token fails once that family is revoked)."""
    now = now or datetime.now(UTC)
    claims: dict[str, Any] = {
        "sub": p.name,
        "role": p.role,
        "region": p.region,
        "sources": list(p.sources),
        "jti": uuid.uuid4().hex,
        "iat": now,
        "exp": now + timedelta(minutes=minutes),
        "typ": "access",
    }
    if family is not None:
        claims["fam"] = family
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def verify_access_token(con: duckdb.DuckDBPyConnection, secret: bytes, token: str) -> Principal:
    """The principal of a valid token whose user is still enabled; else :class:`AuthFailed`."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            options={"require": ["sub", "exp", "iat", "jti"]},
        )
    except jwt.ExpiredSignatureError:
        raise AuthFailed("access token expired") from None
    except jwt.PyJWTError as exc:
        raise AuthFailed(f"bad access token: {type(exc).__name__}") from None
    if claims.get("typ") != "access" or not isinstance(claims["sub"], str):
        raise AuthFailed("not an access token")
    user = active_user(con, claims["sub"])
    if user is None:
        raise AuthFailed("token of a disabled or removed user", claims["sub"])
    family = claims.get("fam")
    if (
        family is not None
        and con.execute(
            "SELECT 1 FROM refresh_token WHERE family = ? AND revoked_at IS NOT NULL LIMIT 1",
            [str(family)],
        ).fetchall()
    ):
        # A reused refresh token revoked its family: the access tokens issued with it too.
        raise AuthFailed("access token of a revoked log-in", claims["sub"])
    return user.principal("token", con)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _new_refresh(
    con: duckdb.DuckDBPyConnection, user: str, family: str, now: datetime, expires: datetime
) -> str:
    token_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    con.execute(
        "INSERT INTO refresh_token (token_id, family, user_name, token_hash, issued_at, "
        "expires_at) VALUES (?, ?, ?, ?, ?, ?)",
        [token_id, family, user, _digest(secret), now, expires],
    )
    return f"{REFRESH_PREFIX}{token_id}_{secret}"


def login_tokens(
    con: duckdb.DuckDBPyConnection,
    secret: bytes,
    p: Principal,
    *,
    access_minutes: float = 15.0,
    refresh_hours: float = 12.0,
) -> TokenPair:
    """Tokens for a principal that just proved its password: a new refresh family."""
    now = datetime.now(UTC)
    family = uuid.uuid4().hex
    refresh = _new_refresh(con, p.name, family, now, now + timedelta(hours=refresh_hours))
    access = issue_access_token(secret, p, access_minutes, now=now, family=family)
    return TokenPair(access, round(access_minutes * 60), refresh)


def refresh(
    con: duckdb.DuckDBPyConnection,
    secret: bytes,
    refresh_token: str,
    *,
    access_minutes: float = 15.0,
) -> tuple[Principal, TokenPair]:
    """Rotate ``refresh_token``: mark it used, return a new pair in the same family.

    :class:`AuthFailed` if it is unknown, expired, revoked, or already used (which also
    revokes its family), or if its user is disabled.
    """
    token_id, _, secret_part = refresh_token.removeprefix(REFRESH_PREFIX).partition("_")
    row = first(
        con.execute(
            "SELECT family, user_name, token_hash, expires_at, used_at, revoked_at "
            "FROM refresh_token WHERE token_id = ?",
            [token_id[:64]],
        ).fetchall()
    )
    stored = row[2] if row else "0" * 64
    if not hmac.compare_digest(stored, _digest(secret_part)) or row is None:
        raise AuthFailed("unknown refresh token" if row is None else "wrong refresh token")
    family, user_name, _, expires_at, used_at, revoked_at = row
    now = datetime.now(UTC)
    if revoked_at is not None:
        raise AuthFailed("refresh token revoked", user_name)
    if used_at is not None:
        revoke_family(con, family)
        raise AuthFailed("refresh token reused: family revoked", user_name)
    if expires_at <= now:
        raise AuthFailed("refresh token expired", user_name)
    user = active_user(con, user_name)
    if user is None:
        raise AuthFailed("refresh of a disabled user", user_name)
    # Check, claim and issue the successor as one step under the lock that revoke_family also
    # takes: of two concurrent uses one wins, and the loser's revocation then covers the
    # winner's new token too (it cannot slip in after the family was revoked).
    with WRITE_LOCK:
        unused = con.execute(
            "SELECT 1 FROM refresh_token "
            "WHERE token_id = ? AND used_at IS NULL AND revoked_at IS NULL",
            [token_id],
        ).fetchall()
        if unused:
            con.execute("UPDATE refresh_token SET used_at = ? WHERE token_id = ?", [now, token_id])
            new_refresh = _new_refresh(con, user_name, family, now, expires_at)
    if not unused:
        revoke_family(con, family)
        raise AuthFailed("refresh token reused: family revoked", user_name)
    p = user.principal("token", con)
    access = issue_access_token(secret, p, access_minutes, now=now, family=family)
    return p, TokenPair(access, round(access_minutes * 60), new_refresh)


def revoke_family(con: duckdb.DuckDBPyConnection, family: str) -> None:
    with WRITE_LOCK:
        con.execute(
            "UPDATE refresh_token SET revoked_at = ? WHERE family = ? AND revoked_at IS NULL",
            [datetime.now(UTC), family],
        )


def end_login(
    con: duckdb.DuckDBPyConnection,
    secret: bytes,
    access_token: str | None = None,
    refresh_token: str | None = None,
) -> str | None:
    """Log out: revoke the log-in (the refresh family) that ``access_token`` or
    ``refresh_token`` belongs to, so neither the refresh tokens nor the access tokens issued
    with them work any more; the user whose log-in ended, or ``None`` when neither token is
    ours. Holding a token is what entitles one to end it (as in RFC 7009); an expired access
    token still names its log-in, a forged one names nothing."""
    ended: str | None = None
    families: list[tuple[str, str]] = []
    if access_token:
        with contextlib.suppress(jwt.PyJWTError):
            claims = jwt.decode(
                access_token,
                secret,
                algorithms=[ALGORITHM],
                options={"require": ["sub", "jti"], "verify_exp": False},
            )
            if claims.get("typ") == "access" and isinstance(claims.get("fam"), str):
                families.append((claims["fam"], str(claims["sub"])))
    if refresh_token:
        token_id, _, secret_part = refresh_token.removeprefix(REFRESH_PREFIX).partition("_")
        row = first(
            con.execute(
                "SELECT family, user_name, token_hash FROM refresh_token WHERE token_id = ?",
                [token_id[:64]],
            ).fetchall()
        )
        if row is not None and hmac.compare_digest(row[2], _digest(secret_part)):
            families.append((row[0], row[1]))
    for family, user in families:
        revoke_family(con, family)
        ended = user
    return ended
