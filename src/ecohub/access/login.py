"""Logging in with a password: lock-out per (account, client address), an account-wide backstop
and the per-address throttle (OWASP ASVS 4.0.3 2.2.1; GB/T 22239-2019 8.1.4.1 b 登录失败处理).

A lock of the whole account after 5 wrong passwords let anyone who knew a name (``admin``) keep
it locked with 5 requests every 15 minutes. Now:

- ``max_failures`` (5) wrong passwords in a row from one address lock the account *at that
  address* for ``lockout_minutes`` (15); the right password from any other address still works.
- ``account_max_failures`` (100) wrong passwords from all addresses together within one window
  of ``lockout_minutes`` lock it at every address for ``lockout_minutes``: the backstop against
  guessing spread over many addresses. One address adds at most ``max_failures`` per lock of its
  own, so tripping it takes at least ``account_max_failures / (2 * max_failures)`` (10)
  addresses in one window; it bounds the guesses at any account to 100 per 15 minutes.
- :class:`~ecohub.access.login_throttle.AddressThrottle` slows one address across all accounts.

Addresses are counted by :func:`client_key`: an IPv6 address by its /64 network (one customer's
link usually holds a whole /64, so its addresses are not separate clients). Counts and locks
live in the store (``login_failure``, ``app_user``), so they survive a restart. Every refusal
raises :class:`AuthFailed` with the one generic message; its ``reason`` is for the audit log.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import duckdb
from argon2.exceptions import InvalidHashError, VerificationError

from ecohub.access import users
from ecohub.access._db import WRITE_LOCK, first
from ecohub.access.errors import AuthFailed, Throttled
from ecohub.access.login_throttle import AddressThrottle
from ecohub.access.principal import Principal

LOCKED_HERE = "locked at this address"
LOCKED_EVERYWHERE = "locked at every address"


@dataclass(frozen=True)
class LoginLimits:
    """The lock-out settings (``auth_max_failures``, ``auth_lockout_minutes``,
    ``auth_account_max_failures``)."""

    max_failures: int = 5
    lockout_minutes: float = 15.0
    account_max_failures: int = 100


@dataclass(frozen=True)
class _Attempt:
    here: int  # which failure in a row at this address this attempt would be
    everywhere: int  # which failure of the account's window


def client_key(address: str | None) -> str:
    """What failures are counted by: an IPv4 address as it is (an IPv4-mapped IPv6 one as its
    IPv4 address), an IPv6 address as its /64 network, anything else as given, ``""`` unknown."""
    if not address:
        return ""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:64]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def log_in(
    con: duckdb.DuckDBPyConnection,
    name: str,
    password: str,
    *,
    client: str | None,
    limits: LoginLimits,
    throttle: AddressThrottle,
) -> Principal:
    """The principal of ``name`` for a log-in from ``client``: :class:`Throttled` when that
    address failed too often lately (nothing else is looked at), else :func:`authenticate`."""
    key = client_key(client)
    wait = throttle.take(key)
    if wait > 0:
        raise Throttled(wait)
    principal = authenticate(con, name, password, client=client, limits=limits)
    throttle.give_back(key)
    return principal


def authenticate(
    con: duckdb.DuckDBPyConnection,
    name: str,
    password: str,
    *,
    client: str | None = None,
    limits: LoginLimits = LoginLimits(),
) -> Principal:
    """The principal of ``name`` if ``password`` is right and the account is usable from
    ``client`` (an address; ``None``: a local call, counted as one unknown address).

    Raises :class:`AuthFailed` (always the same message) for an unknown user, a wrong password,
    a disabled account and one locked here or everywhere; each costs one argon2 verification.
    """
    row = None
    if len(password) <= users.MAX_PASSWORD_CHARS:
        row = first(
            con.execute(
                "SELECT name, role, region, sources, enabled, locked_until, created_at, "
                "password_hash FROM app_user WHERE name = ?",
                [name],
            ).fetchall()
        )
    if row is None:
        users.burn(password)
        too_long = len(password) > users.MAX_PASSWORD_CHARS
        raise AuthFailed("too long" if too_long else "unknown user")
    user, stored = users.user_from_row(row[:7]), row[7]
    if not user.enabled:
        users.burn(password)
        raise AuthFailed("disabled", name)
    key, now = client_key(client), datetime.now(UTC)
    attempt = _take_attempt(con, name, key, now, limits)
    if isinstance(attempt, str):
        users.burn(password)
        raise AuthFailed(attempt, name)
    try:
        users.HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        raise AuthFailed(_failed(con, name, key, now, attempt, limits), name) from None
    rehashed = users.HASHER.hash(password) if users.HASHER.check_needs_rehash(stored) else stored
    with WRITE_LOCK:
        con.execute(
            "UPDATE login_failure SET failures = 0, locked_until = NULL "
            "WHERE user_name = ? AND client = ?",
            [name, key],
        )
        # Take back this attempt's count; the window's other failures stay (a success here
        # says nothing about guesses from elsewhere), and so does an account-wide lock set by
        # a failure elsewhere while this password was being verified.
        con.execute(
            "UPDATE app_user SET failed_logins = greatest(failed_logins - 1, 0), "
            "locked_until = CASE WHEN locked_until > ? THEN locked_until END, "
            "password_hash = ? WHERE name = ?",
            [now, rehashed, name],
        )
    return user.principal("password", con)


def _take_attempt(
    con: duckdb.DuckDBPyConnection, name: str, key: str, now: datetime, limits: LoginLimits
) -> _Attempt | str:
    """Count this log-in as a failure at ``key`` and for the account before its password is
    verified (a success takes it back), and say which attempt it is; the refusal's reason when
    the account is locked here or everywhere. Taken under the write lock, so parallel guesses
    cannot all pass a check made before any of them failed: at most ``max_failures`` passwords
    from one address are ever verified between two locks (a check before the slow argon2
    verification let 11 of 40 parallel guesses through against a limit of 5)."""
    window = timedelta(minutes=limits.lockout_minutes)
    with WRITE_LOCK:
        account = first(
            con.execute(
                "SELECT failed_logins, failures_since, locked_until FROM app_user WHERE name = ?",
                [name],
            ).fetchall()
        )
        if account is None:  # removed since the look-up
            return "unknown user"
        count, since, until = account
        if until is not None and until > now:
            return LOCKED_EVERYWHERE
        mine = first(
            con.execute(
                "SELECT failures, locked_until FROM login_failure "
                "WHERE user_name = ? AND client = ?",
                [name, key],
            ).fetchall()
        )
        if mine is not None and mine[1] is not None and mine[1] > now:
            return LOCKED_HERE
        here = int(mine[0]) if mine is not None else 0
        if here >= limits.max_failures:  # the limit was lowered since: locked now
            _lock_here(con, name, key, now + window)
            return LOCKED_HERE
        if since is None or since <= now - window:
            count, since = 0, now  # a new window
        if int(count) >= limits.account_max_failures:  # lowered since, too
            _lock_everywhere(con, name, now + window)
            return LOCKED_EVERYWHERE
        con.execute(
            "UPDATE app_user SET failed_logins = ?, failures_since = ? WHERE name = ?",
            [int(count) + 1, since, name],
        )
        con.execute(
            "INSERT OR IGNORE INTO login_failure (user_name, client, failures, last_failure_at) "
            "VALUES (?, ?, 0, ?)",
            [name, key, now],
        )
        con.execute(
            "UPDATE login_failure SET failures = failures + 1, last_failure_at = ? "
            "WHERE user_name = ? AND client = ?",
            [now, name, key],
        )
        return _Attempt(here + 1, int(count) + 1)


def _failed(
    con: duckdb.DuckDBPyConnection,
    name: str,
    key: str,
    now: datetime,
    attempt: _Attempt,
    limits: LoginLimits,
) -> str:
    """Lock what this wrong password used up; the refusal's reason for the audit log."""
    reason = "wrong password"
    until = now + timedelta(minutes=limits.lockout_minutes)
    with WRITE_LOCK:
        if attempt.here >= limits.max_failures:
            _lock_here(con, name, key, until)
            reason += f"; {LOCKED_HERE} after {attempt.here} failures"
        if attempt.everywhere >= limits.account_max_failures:
            _lock_everywhere(con, name, until)
            reason += f"; {LOCKED_EVERYWHERE} after {attempt.everywhere} failures from all"
    return reason


def _lock_here(con: duckdb.DuckDBPyConnection, name: str, key: str, until: datetime) -> None:
    """Lock ``name`` at ``key`` and start that count afresh (the caller holds WRITE_LOCK)."""
    con.execute(
        "UPDATE login_failure SET failures = 0, locked_until = ? "
        "WHERE user_name = ? AND client = ?",
        [until, name, key],
    )


def _lock_everywhere(con: duckdb.DuckDBPyConnection, name: str, until: datetime) -> None:
    """Lock ``name`` at every address and start its window afresh (the caller holds
    WRITE_LOCK)."""
    con.execute(
        "UPDATE app_user SET failed_logins = 0, failures_since = NULL, locked_until = ? "
        "WHERE name = ?",
        [until, name],
    )


def clear_locks(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Every lock and failure count of ``name`` cleared, at every address (the caller holds
    WRITE_LOCK): an administrator's ``enable`` or password reset."""
    con.execute(
        "UPDATE app_user SET failed_logins = 0, failures_since = NULL, locked_until = NULL "
        "WHERE name = ?",
        [name],
    )
    con.execute(
        "UPDATE login_failure SET failures = 0, locked_until = NULL "
        "WHERE user_name = ? AND (failures > 0 OR locked_until IS NOT NULL)",
        [name],
    )


__all__ = [
    "LOCKED_EVERYWHERE",
    "LOCKED_HERE",
    "LoginLimits",
    "authenticate",
    "clear_locks",
    "client_key",
    "log_in",
]
