"""Users: creation with validated scope and a strong enough password, argon2 password hashes.

Passwords are hashed with argon2id (argon2-cffi's ``PasswordHasher`` defaults, RFC 9106's
second recommended option); the table holds only the PHC string. Logging in, with its lock-outs,
is :mod:`ecohub.access.login`; how strong a new password must be, :mod:`.password_strength`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import cache
from typing import Any

import duckdb
from argon2 import PasswordHasher
from argon2.exceptions import VerificationError

from ecohub.access import region_scope, revocation
from ecohub.access._db import WRITE_LOCK, first
from ecohub.access.errors import InvalidInput
from ecohub.access.password_strength import check_strength
from ecohub.access.principal import Principal, Role
from ecohub.access.region_scope import is_division
from ecohub.access.user_fields import check_department, check_name, check_scope

MIN_PASSWORD_CHARS = 12  # with the strength estimate (password_strength): length resists guessing
MAX_PASSWORD_CHARS = 1024  # our limit: argon2 hashes any length, but a megabyte is a DoS

HASHER = PasswordHasher()


@dataclass(frozen=True)
class User:
    """A row of ``app_user`` without its password hash."""

    name: str
    role: Role
    region: str | None
    sources: tuple[str, ...]
    enabled: bool
    locked_until: datetime | None
    created_at: datetime
    #: The department (部门) the user works for: grants of conditional sharing are between
    #: departments, and an application records its applicant's.
    department_code: str | None = None
    department_name: str | None = None
    #: (client address key, until) of each lock of this account at one address now in force
    #: (:mod:`ecohub.access.login`); filled by :func:`list_users` and ``get_user(locks=True)``.
    locked_addresses: tuple[tuple[str, datetime], ...] = ()

    def principal(self, via: str, con: duckdb.DuckDBPyConnection | None = None) -> Principal:
        """The caller this user is; a key-region or basin scope is resolved through ``con``
        (without it such a scope sees nothing: never wider)."""
        area = None
        if con is not None and self.region is not None and not is_division(self.region):
            area = region_scope.load(con, self.region)
        return Principal(self.name, self.role, self.region, self.sources, via=via, area=area)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "role": self.role,
            "region": self.region,
            "sources": list(self.sources),
            "enabled": self.enabled,
            "locked_until": self.locked_until.isoformat() if self.locked_until else None,
            # Locks at one client address ("" when the address was not known: a local call).
            "locked_addresses": [
                {"client": client or None, "until": until.isoformat()}
                for client, until in self.locked_addresses
            ],
            "created_at": self.created_at.isoformat(),
            "department": (
                {"code": self.department_code, "name": self.department_name}
                if self.department_code or self.department_name
                else None
            ),
        }


def _now() -> datetime:
    return datetime.now(UTC)


@cache
def _dummy_hash() -> str:
    # Verified against when the user is unknown, disabled or locked, so every failure costs one
    # argon2 verification, like a wrong password: the response time tells nothing either.
    return HASHER.hash("ecohub-dummy-password-for-constant-work")


def check_password(
    password: str, *, user: str | None, platform: Iterable[str] = (), field: str = "password"
) -> str:
    """Return ``password`` if it is acceptable for ``user``, else raise :class:`InvalidInput`
    naming ``field`` and saying why: its length and characters (:func:`check_password_form`),
    then how hard it is to guess, against ``user`` and the ``platform`` names too
    (:func:`ecohub.access.password_strength.check_strength`)."""
    try:
        check_password_form(password)
    except InvalidInput as exc:
        raise InvalidInput(field, exc.message) from None
    check_strength(password, user=user, platform=platform, field=field)
    return password


def check_password_form(password: str) -> str:
    """Return ``password`` if its length and characters are acceptable (cheap; no strength
    estimate), else raise :class:`InvalidInput` naming ``password``."""
    if len(password) < MIN_PASSWORD_CHARS:
        raise InvalidInput(
            "password",
            f"must have at least {MIN_PASSWORD_CHARS} characters (got {len(password)}); "
            "a long passphrase is stronger than a short complex word",
        )
    if len(password) > MAX_PASSWORD_CHARS:
        raise InvalidInput("password", f"must have at most {MAX_PASSWORD_CHARS} characters")
    if password.strip() != password or not password.isprintable():
        raise InvalidInput(
            "password", "must not start or end with spaces or contain control characters"
        )
    return password


def add_user(
    con: duckdb.DuckDBPyConnection,
    name: str,
    role: str,
    region: str | None,
    sources: list[str] | tuple[str, ...],
    password: str,
    *,
    department: str | None = None,
    department_code: str | None = None,
    platform: Iterable[str] = (),
) -> User:
    """Create a user; raise :class:`InvalidInput` naming the field for any bad argument.

    ``department`` (name) and ``department_code``: the department the user works for.
    ``platform``: the platform's names, which the password must not be built on."""
    check_name(name)
    role_, region_, sources_ = check_scope(role, region, sources, con)
    dept_name, dept_code = check_department(department, department_code)
    check_password(password, user=name, platform=platform)
    if get_user(con, name) is not None:
        raise InvalidInput("name", f"user {name!r} exists already")
    created = _now()
    try:
        con.execute(
            "INSERT INTO app_user (name, role, region, sources, password_hash, created_at, "
            "department_code, department_name) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                name,
                role_,
                region_,
                " ".join(sources_),
                HASHER.hash(password),
                created,
                dept_code,
                dept_name,
            ],
        )
    except duckdb.ConstraintException as exc:  # a concurrent add of the same name
        raise InvalidInput("name", f"user {name!r} exists already") from exc
    user = get_user(con, name)
    assert user is not None
    return user


# locked_until as a lock in force (a lock that has run out stays stored until the next success).
_COLUMNS = (
    "name, role, region, sources, enabled, "
    "CASE WHEN locked_until > now() THEN locked_until END AS locked_until, created_at"
)
_WITH_DEPT = f"{_COLUMNS}, department_code, department_name"


def user_from_row(row: tuple[Any, ...]) -> User:
    """A :class:`User` from a row of :data:`_COLUMNS` (and the department's two, if there)."""
    dept = (row[7], row[8]) if len(row) > 8 else (None, None)
    return User(row[0], row[1], row[2], tuple(row[3].split()), row[4], row[5], row[6], *dept)


def get_user(con: duckdb.DuckDBPyConnection, name: str, *, locks: bool = False) -> User | None:
    """The user called ``name`` (one primary-key lookup), or ``None``; with ``locks``, also its
    locks at single addresses in force now (one more lookup)."""
    sql = f"SELECT {_WITH_DEPT} FROM app_user WHERE name = ?"
    row = first(con.execute(sql, [name]).fetchall())
    if not row:
        return None
    user = user_from_row(row)
    if locks:
        user = replace(user, locked_addresses=tuple(_address_locks(con, name).get(name, ())))
    return user


def list_users(con: duckdb.DuckDBPyConnection) -> list[User]:
    """Every user, by name, each with its locks at single addresses in force now."""
    rows = con.execute(f"SELECT {_WITH_DEPT} FROM app_user ORDER BY name").fetchall()
    locks = _address_locks(con)
    return [replace(user_from_row(r), locked_addresses=tuple(locks.get(r[0], ()))) for r in rows]


def _address_locks(
    con: duckdb.DuckDBPyConnection, name: str | None = None
) -> dict[str, list[tuple[str, datetime]]]:
    """Locks at one address in force now, by user (``login_failure``: ecohub.access.login)."""
    sql = "SELECT user_name, client, locked_until FROM login_failure WHERE locked_until > ?"
    args: list[Any] = [_now()]
    if name is not None:
        sql += " AND user_name = ?"
        args.append(name)
    out: dict[str, list[tuple[str, datetime]]] = {}
    for user, client, until in con.execute(sql + " ORDER BY 1, 2", args).fetchall():
        out.setdefault(user, []).append((client, until))
    return out


def disable_user(con: duckdb.DuckDBPyConnection, name: str) -> User:
    """Disable ``name``: no more log-ins; its tokens and keys stop working at their next use."""
    if get_user(con, name) is None:
        raise InvalidInput("name", f"no user {name!r}")
    with WRITE_LOCK:
        con.execute(
            "UPDATE app_user SET enabled = FALSE, disabled_at = ? WHERE name = ?", [_now(), name]
        )
        con.execute(
            "UPDATE refresh_token SET revoked_at = ? WHERE user_name = ? AND revoked_at IS NULL",
            [_now(), name],
        )
    user = get_user(con, name, locks=True)
    assert user is not None
    revocation.bump()  # cached verifications of this user's keys go
    return user


def active_user(con: duckdb.DuckDBPyConnection, name: str) -> User | None:
    """The user if it exists and is enabled (checked on every authenticated request)."""
    user = get_user(con, name)
    return user if user is not None and user.enabled else None


def burn(password: str) -> None:
    """Verify ``password`` against a dummy hash: a refusal that needs no verification (unknown
    user, disabled, locked) costs the same time as a wrong password, so timing tells nothing."""
    with contextlib.suppress(VerificationError):
        HASHER.verify(_dummy_hash(), password[:MAX_PASSWORD_CHARS])
