"""``POST /api/v1/auth/token``: log-in (OAuth2 password grant) and refresh, each recorded in the
audit log with the name tried and the client's address (RFC 6749 section 5.1 answers).

A password log-in from an address that failed too often lately (across all accounts) is answered
429 with ``Retry-After`` (:mod:`ecohub.access.login_throttle`). Refused refreshes do not count
toward it: a refresh token is a 256-bit random secret, which no number of tries can guess, and
a stale one (a second tab after a log-out) is a client's mistake that must not lock the people
behind the same address out of their password log-in. The same holds for API keys (every
route): each refusal is audited with its address, and throttling them would protect nothing.
"""

from __future__ import annotations

from typing import Any

import duckdb
from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import JSONResponse
from pydantic import Field

from ecohub.access import login, revocation, tokens, users
from ecohub.access.audit import record
from ecohub.access.errors import GENERIC_FAILURE, AuthFailed, Throttled
from ecohub.access.principal import ANONYMOUS
from ecohub.api.audit import client_address
from ecohub.api.auth import MAX_NAME_IN_AUDIT, TOKEN_PATH, AuthState, _auth_state
from ecohub.api.bodies import StrictBody
from ecohub.api.problems import problem

router = APIRouter(tags=["auth"])
LOGOUT_PATH = "/api/v1/auth/logout"


class LogoutBody(StrictBody):
    refresh_token: str | None = Field(None, max_length=256)


@router.post(
    LOGOUT_PATH,
    summary="Log out: end the log-in of the tokens sent",
    status_code=204,
    response_class=Response,
)
def logout(request: Request, body: LogoutBody | None = None) -> Response:
    """Revoke the log-in that the bearer access token (``Authorization: Bearer``) and/or the
    body's ``refresh_token`` belong to: its refresh tokens and the access tokens issued with
    them stop working at once. Always 204, whether or not a token was ours (no oracle); the
    audit log says which log-in ended."""
    state = _auth_state(request)
    header = request.headers.get("authorization", "")
    scheme, _, value = header.strip().partition(" ")
    access = value.strip() if scheme.lower() == "bearer" else None
    cur = state.con.cursor()
    try:
        user = tokens.end_login(cur, state.secret, access, body.refresh_token if body else None)
        if user is not None:
            revocation.bump()  # cached verifications of its access tokens are stale now
        record(
            cur,
            ANONYMOUS,
            "logout",
            LOGOUT_PATH,
            None,
            None,
            "ok" if user is not None else "no log-in of ours",
            user=user or "-",
            via="token",
            client=client_address(request.scope),
        )
    finally:
        cur.close()
    return Response(status_code=204)


@router.post(
    TOKEN_PATH,
    summary="Log in (OAuth2 password grant) or refresh a token pair",
    responses={
        400: {"description": "bad request"},
        401: {"description": "not authenticated"},
        429: {"description": "too many failed log-ins from this address: see Retry-After"},
    },
)
def token(
    request: Request,
    grant_type: str = Form("password", max_length=32),
    username: str | None = Form(None, max_length=256),
    password: str | None = Form(None, max_length=users.MAX_PASSWORD_CHARS),
    refresh_token: str | None = Form(None, max_length=256),
) -> Any:
    """``{"access_token", "token_type": "bearer", "expires_in", "refresh_token"}``."""
    state = _auth_state(request)
    cur = state.con.cursor()
    try:
        if grant_type == "password":
            return _password_grant(cur, state, username, password, client_address(request.scope))
        if grant_type == "refresh_token":
            return _refresh_grant(cur, state, refresh_token, client_address(request.scope))
        return problem(
            400,
            detail="grant_type: must be 'password' or 'refresh_token'",
            error="unsupported_grant_type",
        )
    finally:
        cur.close()


def _tokens_response(pair: tokens.TokenPair) -> JSONResponse:
    # RFC 6749 section 5.1: token responses must not be cached.
    return JSONResponse(pair.as_dict(), headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


def _denied(reason: str) -> JSONResponse:
    return problem(
        401, detail=GENERIC_FAILURE, headers={"WWW-Authenticate": "Bearer"}, error="invalid_grant"
    )


def _refused(
    cur: duckdb.DuckDBPyConnection,
    grant: str,
    reason: str,
    user: str,
    via: str,
    client: str | None,
) -> JSONResponse:
    """A refused log-in or refresh: recorded with the name tried and why, answered alike."""
    _record_refusal(cur, grant, reason, user, via, client)
    return _denied(reason)


def _record_refusal(
    cur: duckdb.DuckDBPyConnection, grant: str, reason: str, user: str, via: str, client: str | None
) -> None:
    record(cur, ANONYMOUS, "login", TOKEN_PATH, {"grant_type": grant}, None,
           f"denied: {reason}", user=user, via=via, client=client)  # fmt: skip


def _password_grant(
    cur: duckdb.DuckDBPyConnection,
    state: AuthState,
    username: str | None,
    password: str | None,
    client: str | None,
) -> JSONResponse:
    if not username or password is None:
        return problem(
            400,
            detail="username and password: both are required for grant_type=password",
            error="invalid_request",
        )
    attempted = username[:MAX_NAME_IN_AUDIT]
    try:
        p = login.log_in(
            cur, username, password, client=client, limits=state.limits, throttle=state.throttle
        )
    except Throttled as exc:
        _record_refusal(cur, "password", exc.reason, attempted, "password", client)
        return problem(
            429,
            detail="too many failed log-ins from this address; retry later",
            headers={"Retry-After": str(exc.seconds)},
        )
    except AuthFailed as exc:
        return _refused(cur, "password", exc.reason, attempted, "password", client)
    pair = tokens.login_tokens(
        cur,
        state.secret,
        p,
        access_minutes=state.access_minutes,
        refresh_hours=state.refresh_hours,
    )
    record(cur, p, "login", TOKEN_PATH, {"grant_type": "password"}, None, "ok", client=client)
    return _tokens_response(pair)


def _refresh_grant(
    cur: duckdb.DuckDBPyConnection, state: AuthState, refresh_token: str | None, client: str | None
) -> JSONResponse:
    if not refresh_token:
        return problem(
            400,
            detail="refresh_token: required for grant_type=refresh_token",
            error="invalid_request",
        )
    try:
        p, pair = tokens.refresh(
            cur, state.secret, refresh_token, access_minutes=state.access_minutes
        )
    except AuthFailed as exc:
        return _refused(cur, "refresh_token", exc.reason, exc.user or "-", "token", client)
    record(cur, p, "login", TOKEN_PATH, {"grant_type": "refresh_token"}, None, "ok", client=client)
    return _tokens_response(pair)


__all__ = ["router"]
