"""A user's password over its life: changed by the user, reset by an administrator, and an
account enabled again (MLPS 2.0 level 3 asks for passwords that are changed, and an account
that was disabled or locked must be restorable without waiting or a new name).

Changing or resetting a password ends every log-in made with the old one: its refresh tokens
are revoked, and so their families' access tokens fail from their next use
(:func:`ecohub.access.tokens.verify_access_token`). API keys are separate credentials of
machine clients and are left alone; revoke them on their own when they are at risk too.
"""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb

from ecohub.access import users
from ecohub.access._db import WRITE_LOCK
from ecohub.access.errors import InvalidInput
from ecohub.access.principal import Principal


def set_password(con: duckdb.DuckDBPyConnection, name: str, password: str) -> users.User:
    """``name``'s password replaced (argon2), its failure count and lock cleared, its log-ins
    ended; :class:`InvalidInput` naming ``name`` or ``password``."""
    users.check_password(password)
    if users.get_user(con, name) is None:
        raise InvalidInput("name", f"no user {name!r}")
    digest = users.HASHER.hash(password)
    now = datetime.now(UTC)
    with WRITE_LOCK:
        con.execute(
            "UPDATE app_user SET password_hash = ?, failed_logins = 0, locked_until = NULL "
            "WHERE name = ?",
            [digest, name],
        )
        con.execute(
            "UPDATE refresh_token SET revoked_at = ? WHERE user_name = ? AND revoked_at IS NULL",
            [now, name],
        )
    user = users.get_user(con, name)
    assert user is not None
    return user


def change_own(
    con: duckdb.DuckDBPyConnection, p: Principal, current: str, new: str, **limits: float
) -> users.User:
    """The caller's own password changed after it proved the current one (a wrong one counts
    toward the lock like any failed log-in: :class:`AuthFailed`). ``limits``: the log-in's
    ``max_failures`` and ``lockout_minutes``."""
    if p.role == "admin" and p.name == "local":
        raise InvalidInput("name", "the server's local credential has no password")
    try:
        users.check_password(new)
    except InvalidInput as exc:
        raise InvalidInput("new_password", exc.message) from None
    if new == current:
        raise InvalidInput("new_password", "must differ from the current password")
    users.authenticate(con, p.name, current, **limits)  # type: ignore[arg-type]
    return set_password(con, p.name, new)


def enable_user(con: duckdb.DuckDBPyConnection, name: str) -> users.User:
    """``name`` able to log in again: enabled, failure count and lock cleared. Its old tokens
    stay revoked (disabling revoked them); it logs in afresh."""
    if users.get_user(con, name) is None:
        raise InvalidInput("name", f"no user {name!r}")
    with WRITE_LOCK:
        con.execute(
            "UPDATE app_user SET enabled = TRUE, disabled_at = NULL, failed_logins = 0, "
            "locked_until = NULL WHERE name = ?",
            [name],
        )
    user = users.get_user(con, name)
    assert user is not None
    return user
