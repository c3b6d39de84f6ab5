"""Users: creation with validated scope, argon2 password hashes, log-in with lock-out.

Passwords are hashed with argon2id (argon2-cffi's ``PasswordHasher`` defaults, RFC 9106's
second recommended option); the table holds only the PHC string. Lock-out: after
``max_failures`` consecutive wrong passwords the account refuses every password for
``lockout_minutes``; the counter lives in the table, so it survives restarts.
"""

from __future__ import annotations

import contextlib
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any, cast

import duckdb
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ecohub.access import region_scope, revocation
from ecohub.access._db import WRITE_LOCK, first
from ecohub.access.errors import AuthFailed, InvalidInput
from ecohub.access.principal import ROLES, Principal, Role
from ecohub.access.region_scope import is_division, region_prefix
from ecohub.standards import divisions
from ecohub.standards.errors import InvalidCode
from ecohub.standards.source_codes import validate_source_code

MIN_PASSWORD_CHARS = 12  # MLPS 2.0 asks for complexity; length is what resists guessing
MAX_PASSWORD_CHARS = 1024  # our limit: argon2 hashes any length, but a megabyte is a DoS
NAME_PATTERN = re.compile(r"[a-z][a-z0-9._-]{1,31}")
#: Names the platform uses for its own principals (ecohub.access.principal, local.py).
RESERVED_NAMES = frozenset({"system", "anonymous", "local"})

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


def check_password(password: str) -> str:
    """Return ``password`` if it is acceptable, else raise :class:`InvalidInput` saying why."""
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


def _check_scope(
    role: str,
    region: str | None,
    sources: list[str] | tuple[str, ...],
    con: duckdb.DuckDBPyConnection | None = None,
) -> tuple[Role, str | None, tuple[str, ...]]:
    if role not in ROLES:
        raise InvalidInput("role", f"must be one of {', '.join(ROLES)}, not {role!r}")
    if region is not None and ":" in region and con is not None:
        region = region_scope.check_ref(con, region)  # key:<code> | user:<code>
    elif region is not None:
        try:
            region = divisions.validate(region)
        except InvalidCode as exc:
            raise InvalidInput("region", exc.message) from exc
    clean: list[str] = []
    for code in sources:
        try:
            value = validate_source_code(code)
        except InvalidCode as exc:
            raise InvalidInput("source", f"{code!r}: {exc}") from exc
        if value not in clean:
            clean.append(value)
    if role == "enterprise":
        if not clean:
            raise InvalidInput("source", "an enterprise user needs at least one source code")
        if region is None:
            # Scope is the sources AND a region: with none, the user would see nothing at all.
            raise InvalidInput(
                "region", "an enterprise user needs the region of its sources (e.g. 110105)"
            )
        _sources_inside(con, region, clean)
    elif clean:
        raise InvalidInput("source", f"only enterprise users are bound to sources, not {role}")
    elif role != "admin" and region is None:
        raise InvalidInput(
            "region", f"a {role} user needs a region (only an admin may be nationwide)"
        )
    return cast(Role, role), region, tuple(clean)


def _sources_inside(con: duckdb.DuckDBPyConnection | None, region: str, sources: list[str]) -> None:
    """Each registered source of an enterprise user lies in its division region (a source
    outside would be invisible to it); sources not registered yet are taken on trust."""
    if con is None or ":" in region:
        return
    marks = ", ".join("?" for _ in sources)
    rows = con.execute(
        f"SELECT source_code, region_code FROM source WHERE source_code IN ({marks}) "
        "AND region_code IS NOT NULL AND NOT starts_with(region_code, ?) ORDER BY 1",
        [*sources, region_prefix(region)],
    ).fetchall()
    if rows:
        code, where = rows[0]
        raise InvalidInput("source", f"{code} lies in {where}, outside region {region}")


def check_name(name: str) -> str:
    if not NAME_PATTERN.fullmatch(name):
        raise InvalidInput(
            "name",
            f"{name!r} must be 2-32 characters: a lower-case letter, then letters, digits, . _ -",
        )
    if name in RESERVED_NAMES:
        raise InvalidInput("name", f"{name!r} is reserved for the platform")
    return name


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
) -> User:
    """Create a user; raise :class:`InvalidInput` naming the field for any bad argument.

    ``department`` (name) and ``department_code``: the department the user works for."""
    check_name(name)
    role_, region_, sources_ = _check_scope(role, region, sources, con)
    dept_name, dept_code = check_department(department, department_code)
    check_password(password)
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


_COLUMNS = "name, role, region, sources, enabled, locked_until, created_at"
_WITH_DEPT = f"{_COLUMNS}, department_code, department_name"
DEPARTMENT_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")
MAX_DEPARTMENT_CHARS = 64


def check_department(name: str | None, code: str | None) -> tuple[str | None, str | None]:
    """A department's (name, code), stripped; :class:`InvalidInput` naming the bad field."""
    name = (name or "").strip() or None
    code = (code or "").strip() or None
    if name is not None and (
        len(name) > MAX_DEPARTMENT_CHARS or any(unicodedata.category(c)[0] == "C" for c in name)
    ):
        raise InvalidInput(
            "department", f"at most {MAX_DEPARTMENT_CHARS} characters, no control characters"
        )
    if code is not None and not DEPARTMENT_CODE.fullmatch(code):
        raise InvalidInput(
            "department_code",
            f"{code!r} must be 1-32 letters, digits, . _ - (a letter or digit first)",
        )
    if code is not None and name is None:
        raise InvalidInput("department", "a department code needs the department's name")
    return name, code


def _user(row: tuple[Any, ...]) -> User:
    dept = (row[7], row[8]) if len(row) > 8 else (None, None)
    return User(row[0], row[1], row[2], tuple(row[3].split()), row[4], row[5], row[6], *dept)


def get_user(con: duckdb.DuckDBPyConnection, name: str) -> User | None:
    """The user called ``name`` (one primary-key lookup), or ``None``."""
    sql = f"SELECT {_WITH_DEPT} FROM app_user WHERE name = ?"
    row = first(con.execute(sql, [name]).fetchall())
    return _user(row) if row else None


def list_users(con: duckdb.DuckDBPyConnection) -> list[User]:
    return [
        _user(r) for r in con.execute(f"SELECT {_WITH_DEPT} FROM app_user ORDER BY name").fetchall()
    ]


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
    user = get_user(con, name)
    assert user is not None
    revocation.bump()  # cached verifications of this user's keys go
    return user


def active_user(con: duckdb.DuckDBPyConnection, name: str) -> User | None:
    """The user if it exists and is enabled (checked on every authenticated request)."""
    user = get_user(con, name)
    return user if user is not None and user.enabled else None


def authenticate(
    con: duckdb.DuckDBPyConnection,
    name: str,
    password: str,
    *,
    max_failures: int = 5,
    lockout_minutes: float = 15.0,
) -> Principal:
    """The principal of ``name`` if ``password`` is right and the account usable.

    Raises :class:`AuthFailed` (always the same message) for an unknown user, a wrong password,
    a disabled or a locked account; each of them costs one argon2 verification.
    """
    row = None
    if len(password) <= MAX_PASSWORD_CHARS:
        row = first(
            con.execute(
                f"SELECT {_COLUMNS}, password_hash, failed_logins FROM app_user WHERE name = ?",
                [name],
            ).fetchall()
        )
    now = _now()
    if row is None:
        _burn(password)
        raise AuthFailed("unknown user" if len(password) <= MAX_PASSWORD_CHARS else "too long")
    user, stored = _user(row[:7]), row[7]
    if not user.enabled:
        _burn(password)
        raise AuthFailed("disabled", name)
    attempt = _take_attempt(con, name, now, max_failures, lockout_minutes)
    if attempt is None:
        _burn(password)
        raise AuthFailed("locked", name)
    try:
        HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        if attempt >= max_failures:
            with WRITE_LOCK:
                _lock(con, name, now + timedelta(minutes=lockout_minutes))
            raise AuthFailed(f"wrong password; locked after {attempt} failures", name) from None
        raise AuthFailed("wrong password", name) from None
    with WRITE_LOCK:
        con.execute(
            "UPDATE app_user SET failed_logins = 0, locked_until = NULL, password_hash = ? "
            "WHERE name = ?",
            [HASHER.hash(password) if HASHER.check_needs_rehash(stored) else stored, name],
        )
    return user.principal("password", con)


def _take_attempt(
    con: duckdb.DuckDBPyConnection,
    name: str,
    now: datetime,
    max_failures: int,
    lockout_minutes: float,
) -> int | None:
    """Count this log-in as a failure before its password is verified (a success resets the
    count), and say which attempt it is; ``None`` when the account is locked or its attempts
    are used up. Taken under the write lock, so parallel guesses cannot all pass a check
    made before any of them failed: at most ``max_failures`` passwords are ever verified
    between two locks (a check before the slow argon2 verification let 11 of 40 parallel
    guesses through against a limit of 5)."""
    with WRITE_LOCK:
        row = first(
            con.execute(
                "SELECT failed_logins, locked_until FROM app_user WHERE name = ?", [name]
            ).fetchall()
        )
        if row is None or (row[1] is not None and row[1] > now):
            return None
        if int(row[0]) >= max_failures:  # the limit was lowered since: locked now
            _lock(con, name, now + timedelta(minutes=lockout_minutes))
            return None
        con.execute("UPDATE app_user SET failed_logins = failed_logins + 1 WHERE name = ?", [name])
        return int(row[0]) + 1


def _lock(con: duckdb.DuckDBPyConnection, name: str, until: datetime) -> None:
    """Lock ``name`` until ``until`` and start its failure count afresh (the caller holds
    ``WRITE_LOCK``)."""
    con.execute(
        "UPDATE app_user SET failed_logins = 0, locked_until = ? WHERE name = ?", [until, name]
    )


def _burn(password: str) -> None:
    with contextlib.suppress(VerificationError):
        HASHER.verify(_dummy_hash(), password[:MAX_PASSWORD_CHARS])
