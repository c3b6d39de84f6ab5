"""Authentication for the HTTP API: the principal dependencies (the token route that issues
credentials is :mod:`ecohub.api.token_route`).

Credentials accepted on every protected route, one per request (both headers: 400
``invalid_request``, :mod:`ecohub.api.credentials`), whitespace around the value ignored:

- ``Authorization: Bearer <credential>`` where the credential is an access token (JWT), an API
  key (``ehk_...``) or the server's local credential (``ehl_...``);
- ``X-API-Key: <API key>``.

Missing, invalid, expired, revoked credentials and disabled users all answer 401 with
``WWW-Authenticate: Bearer`` and one fixed body; 403 is only for an authenticated caller whose
role may not use the capability (:class:`ecohub.access.AccessDenied`).

Wire-up: ``install_auth(app, con, data_dir, settings)`` once; protected routes take
``p: Principal = Depends(current_principal)``, open-data routes
``p: Principal = Depends(optional_principal)``.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
from fastapi import FastAPI, Request, Security
from fastapi.responses import JSONResponse
from fastapi.security import APIKeyHeader, OAuth2PasswordBearer
from starlette.concurrency import run_in_threadpool

from ecohub.access import apikeys, local, revocation, tokens
from ecohub.access.audit_writer import AuditWriter
from ecohub.access.errors import GENERIC_FAILURE, AuthFailed
from ecohub.access.login import LoginLimits
from ecohub.access.login_throttle import AddressThrottle
from ecohub.access.principal import ANONYMOUS, Grant, Principal
from ecohub.access.scope import AccessDenied
from ecohub.api.credentials import TwoCredentials, one_credential, two_credentials
from ecohub.api.problems import problem
from ecohub.cst import today
from ecohub.settings import Settings

TOKEN_PATH = "/api/v1/auth/token"
MAX_NAME_IN_AUDIT = 64  # an attacker's 1 MB "user name" is not copied into the log

_bearer = OAuth2PasswordBearer(tokenUrl=TOKEN_PATH, auto_error=False)
_api_key = APIKeyHeader(name="X-API-Key", auto_error=False)


_CACHE_MAX = 10_000  # cached verifications kept at most (then the cache starts again)


class Unauthorized(Exception):
    """No usable credentials: answered 401 with ``WWW-Authenticate: Bearer``."""

    def __init__(self, detail: str = GENERIC_FAILURE) -> None:
        self.detail = detail
        super().__init__(detail)


@dataclass
class AuthState:
    """What the dependencies need, kept on ``app.state.auth``."""

    con: duckdb.DuckDBPyConnection
    secret: bytes
    local_credential: str | None
    limits: LoginLimits = field(default_factory=LoginLimits)
    # Failed password log-ins per client address, across accounts (429 past it).
    throttle: AddressThrottle = field(default_factory=lambda: AddressThrottle(20, 15 * 60.0))
    access_minutes: float = 15.0
    refresh_hours: float = 12.0
    audit_writer: AuditWriter | None = None
    # Verified credentials (by SHA-256 of the credential) for ``cache_s`` seconds: a client
    # sending the same API key or token on every request costs two lookups once per window,
    # not per request. Revoking a key or disabling a user forgets them all at once
    # (``access.revocation``); a token's own expiry takes effect within ``cache_s``.
    cache_s: float = 2.0
    cache: dict[bytes, tuple[Principal, float, int]] = field(default_factory=dict)
    # The caller's grants in force on a route's tables (``ecohub.api.rules.guard``), by user,
    # role, day and tables, for ``cache_s`` seconds; a decision on an application forgets them
    # all at once (``catalog.grant_scope.generation``). Per caller: never shared across scopes.
    grant_cache: dict[tuple[Any, ...], tuple[tuple[Grant, ...], float, int]] = field(
        default_factory=dict
    )
    #: The China calendar day of a request: grants are in force by it (a test may set it).
    today: Callable[[], date] = field(default=today)

    def close(self) -> None:
        """Commit queued audit entries and stop the writer (call when the server stops)."""
        if self.audit_writer is not None:
            self.audit_writer.close()


def install_auth(
    app: FastAPI,
    con: duckdb.DuckDBPyConnection,
    data_dir: Path | str,
    settings: Settings | None = None,
    *,
    write_local_credential: bool = True,
    audit: bool = True,
) -> AuthState:
    """Add the token route, the 401/403 handlers and (``audit``) the audit middleware to ``app``.

    Loads (or creates) the signing secret in ``data_dir`` and writes a fresh local credential
    there (``write_local_credential``). Call the returned state's ``close()`` when the server
    stops, so queued audit entries are committed.
    """
    s = settings or Settings()
    state = AuthState(
        con=con,
        secret=tokens.load_secret(data_dir),
        local_credential=local.write_local_credential(data_dir) if write_local_credential else None,
        limits=LoginLimits(
            max_failures=s.auth_max_failures,
            lockout_minutes=s.auth_lockout_minutes,
            account_max_failures=s.auth_account_max_failures,
        ),
        throttle=AddressThrottle(s.auth_client_max_failures, s.auth_client_window_minutes * 60),
        access_minutes=s.auth_access_token_minutes,
        refresh_hours=s.auth_refresh_token_hours,
        cache_s=s.auth_cache_s,
    )
    app.state.auth = state
    from ecohub.api.token_route import router

    app.include_router(router)
    app.add_exception_handler(Unauthorized, _unauthorized)  # type: ignore[arg-type]
    app.add_exception_handler(AccessDenied, _forbidden)  # type: ignore[arg-type]
    app.add_exception_handler(TwoCredentials, two_credentials)  # type: ignore[arg-type]
    if audit:
        from ecohub.api.audit import AuditMiddleware

        state.audit_writer = app.state.audit_writer = AuditWriter(con)
        app.add_middleware(AuditMiddleware)
    return state


def _unauthorized(request: Request, exc: Unauthorized) -> JSONResponse:
    return problem(401, detail=exc.detail, headers={"WWW-Authenticate": "Bearer"})


def _forbidden(request: Request, exc: AccessDenied) -> JSONResponse:
    return problem(403, detail=str(exc))


def _auth_state(request: Request) -> AuthState:
    state: AuthState = request.app.state.auth
    return state


def _cached(state: AuthState, credential: str) -> Principal | None:
    """The caller, when that needs no store access: the local credential, or a credential
    verified within ``cache_s`` and not revoked since; else ``None``."""
    if credential.startswith(local.PREFIX):
        if local.matches(state.local_credential, credential):
            return local.LOCAL
        raise AuthFailed("wrong local credential")
    hit = state.cache.get(hashlib.sha256(credential.encode()).digest())
    if hit is not None and hit[1] > time.monotonic() and hit[2] == revocation.generation():
        return hit[0]
    return None


def _resolve(state: AuthState, credential: str) -> Principal:
    hit = _cached(state, credential)
    if hit is not None:
        return hit
    now = time.monotonic()
    digest = hashlib.sha256(credential.encode()).digest()
    gen = revocation.generation()
    cur = state.con.cursor()
    try:
        if apikeys.looks_like_key(credential):
            principal = apikeys.authenticate_key(cur, credential)
        else:
            principal = tokens.verify_access_token(cur, state.secret, credential)
    finally:
        cur.close()
    if state.cache_s > 0:
        if len(state.cache) >= _CACHE_MAX:
            state.cache.clear()
        state.cache[digest] = (principal, now + state.cache_s, gen)
    return principal


def _via(credential: str) -> str:
    if credential.startswith(local.PREFIX):
        return "local"
    return "apikey" if apikeys.looks_like_key(credential) else "token"


async def _authenticate(
    request: Request, bearer: str | None, api_key: str | None
) -> Principal | None:
    try:
        credential = one_credential(bearer, api_key)
    except TwoCredentials:
        via = f"{_via(bearer.strip()) if bearer else 'token'}+apikey"
        request.state.auth_failure = ("-", via, "two credentials: Authorization and X-API-Key")
        raise
    if credential is None:
        return None
    state = _auth_state(request)
    try:
        # A cached verification is answered on the event loop; only a store lookup goes to a
        # worker thread (each hop to one costs more than the check itself).
        principal = _cached(state, credential)
        if principal is None:
            principal = await run_in_threadpool(_resolve, state, credential)
        return principal
    except AuthFailed as exc:
        request.state.auth_failure = (exc.user or "-", _via(credential), exc.reason)
        raise Unauthorized() from None


async def current_principal(
    request: Request,
    bearer: str | None = Security(_bearer),
    api_key: str | None = Security(_api_key),
) -> Principal:
    """The authenticated caller; 401 when credentials are missing or not valid."""
    principal = await _authenticate(request, bearer, api_key)
    if principal is None:
        request.state.auth_failure = ("-", "anonymous", "no credentials")
        raise Unauthorized("authentication required")
    request.state.principal = principal
    return principal


async def optional_principal(
    request: Request,
    bearer: str | None = Security(_bearer),
    api_key: str | None = Security(_api_key),
) -> Principal:
    """For open routes: the caller if it sent valid credentials, ANONYMOUS if it sent none
    (401 if it sent wrong ones, so a client learns its key is broken). Open reads are not
    audited."""
    request.state.audit_open = True
    principal = await _authenticate(request, bearer, api_key)
    return principal if principal is not None else ANONYMOUS


__all__ = [
    "TOKEN_PATH",
    "AuthState",
    "Unauthorized",
    "current_principal",
    "install_auth",
    "optional_principal",
]
