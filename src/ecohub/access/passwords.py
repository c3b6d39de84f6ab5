"""A user's password over its life: changed by the user, reset by an administrator, and an
account enabled again (MLPS 2.0 level 3 asks for passwords that are changed, and an account
that was disabled or locked must be restorable without waiting or a new name).

Changing or resetting a password ends every log-in made with the old one: its refresh tokens
are revoked, and so their families' access tokens fail from their next use
(:func:`ecohub.access.tokens.verify_access_token`). API keys are separate credentials of
machine clients and are left alone; revoke them on their own when they are at risk too.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

import duckdb

from ecohub.access import login, users
from ecohub.access._db import WRITE_LOCK
from ecohub.access.errors import InvalidInput
from ecohub.access.principal import Principal


def set_password(
    con: duckdb.DuckDBPyConnection, name: str, password: str, *, platform: Iterable[str] = ()
) -> users.User:
    """``name``'s password replaced (argon2), its failure counts and locks cleared at every
    address, its log-ins ended; :class:`InvalidInput` naming ``name`` or ``password`` (too
    short, or too easy to guess: built on the name or the ``platform`` names, common, ...)."""
    users.check_password_form(password)
    if users.get_user(con, name) is None:
        raise InvalidInput("name", f"no user {name!r}")
    users.check_password(password, user=name, platform=platform)
    return _store(con, name, password)


def _store(con: duckdb.DuckDBPyConnection, name: str, password: str) -> users.User:
    digest = users.HASHER.hash(password)
    now = datetime.now(UTC)
    with WRITE_LOCK:
        con.execute("UPDATE app_user SET password_hash = ? WHERE name = ?", [digest, name])
        login.clear_locks(con, name)
        con.execute(
            "UPDATE refresh_token SET revoked_at = ? WHERE user_name = ? AND revoked_at IS NULL",
            [now, name],
        )
    user = users.get_user(con, name, locks=True)
    assert user is not None
    return user


def change_own(
    con: duckdb.DuckDBPyConnection,
    p: Principal,
    current: str,
    new: str,
    *,
    client: str | None = None,
    limits: login.LoginLimits = login.LoginLimits(),
    platform: Iterable[str] = (),
) -> users.User:
    """The caller's own password changed after it proved the current one from ``client`` (a
    wrong one counts toward the locks like any failed log-in there: :class:`AuthFailed`).

    The new one's length is checked first, its strength only once the current password is
    proved: scoring costs up to a second of CPU, which a stolen token alone may not spend."""
    if p.role == "admin" and p.name == "local":
        raise InvalidInput("name", "the server's local credential has no password")
    try:
        users.check_password_form(new)
    except InvalidInput as exc:
        raise InvalidInput("new_password", exc.message) from None
    if new == current:
        raise InvalidInput("new_password", "must differ from the current password")
    login.authenticate(con, p.name, current, client=client, limits=limits)
    users.check_password(new, user=p.name, platform=platform, field="new_password")
    return _store(con, p.name, new)


def enable_user(con: duckdb.DuckDBPyConnection, name: str) -> users.User:
    """``name`` able to log in again: enabled, failure counts and locks cleared at every
    address. Its old tokens stay revoked (disabling revoked them); it logs in afresh."""
    if users.get_user(con, name) is None:
        raise InvalidInput("name", f"no user {name!r}")
    with WRITE_LOCK:
        con.execute("UPDATE app_user SET enabled = TRUE, disabled_at = NULL WHERE name = ?", [name])
        login.clear_locks(con, name)
    user = users.get_user(con, name, locks=True)
    assert user is not None
    return user
