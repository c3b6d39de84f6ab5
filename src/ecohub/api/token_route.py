"""``POST /api/v1/auth/token``: log-in (OAuth2 password grant) and refresh, each recorded in the
audit log with the name tried and the client's address (RFC 6749 section 5.1 answers)."""

from __future__ import annotations

from typing import Any

import duckdb
from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse

from ecohub.access import tokens, users
from ecohub.access.audit import record
from ecohub.access.errors import GENERIC_FAILURE, AuthFailed
from ecohub.access.principal import ANONYMOUS
from ecohub.api.audit import client_address
from ecohub.api.auth import MAX_NAME_IN_AUDIT, TOKEN_PATH, AuthState, _auth_state
from ecohub.api.problems import problem

router = APIRouter(tags=["auth"])


@router.post(
    TOKEN_PATH,
    summary="Log in (OAuth2 password grant) or refresh a token pair",
    responses={400: {"description": "bad request"}, 401: {"description": "not authenticated"}},
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
        p = users.authenticate(
            cur,
            username,
            password,
            max_failures=state.max_failures,
            lockout_minutes=state.lockout_minutes,
        )
    except AuthFailed as exc:
        record(
            cur,
            ANONYMOUS,
            "login",
            TOKEN_PATH,
            {"grant_type": "password"},
            None,
            f"denied: {exc.reason}",
            user=attempted,
            via="password",
            client=client,
        )
        return _denied(exc.reason)
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
        record(
            cur,
            ANONYMOUS,
            "login",
            TOKEN_PATH,
            {"grant_type": "refresh_token"},
            None,
            f"denied: {exc.reason}",
            user=exc.user or "-",
            via="token",
            client=client,
        )
        return _denied(exc.reason)
    record(cur, p, "login", TOKEN_PATH, {"grant_type": "refresh_token"}, None, "ok", client=client)
    return _tokens_response(pair)


__all__ = ["router"]
