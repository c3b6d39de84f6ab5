"""``/api/v1/users``, ``/api/v1/apikeys``, ``/api/v1/audit``: identity and the audit log for
operators (admin only), thin over :mod:`ecohub.access`.

Passwords travel only in a POST body: the audit middleware records path and query parameters,
never bodies, so no password reaches the log.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import duckdb
from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import Field

from ecohub.access import apikeys, audit_read, passwords, users
from ecohub.access.errors import AuthFailed
from ecohub.access.principal import Principal
from ecohub.api.audit import client_address
from ecohub.api.bodies import StrictBody
from ecohub.api.deps import cursor
from ecohub.api.errors import problem_responses
from ecohub.api.problems import problem
from ecohub.api.rules import guard
from ecohub.supervision.period import bound

router = APIRouter(
    prefix="/api/v1", tags=["admin"], responses=problem_responses(400, 401, 403, 422)
)
NAME = r"^[a-z][a-z0-9._-]{1,31}$"


def _platform(request: Request) -> tuple[str, str]:
    """The platform's names, which no password may be built on (besides ``ecohub``)."""
    s = request.app.state.ctx.settings
    return s.publisher_name, s.publisher_name_en


class UserBody(StrictBody):
    name: str = Field(..., min_length=2, max_length=32)
    role: str = Field(..., max_length=20)
    region: str | None = Field(
        None,
        max_length=80,
        description="GB/T 2260 code, key:<key region> or user:<basin or custom region>",
    )
    sources: list[str] = Field(default_factory=list, max_length=200)
    department: str | None = Field(None, max_length=64, description="the user's department")
    department_code: str | None = Field(None, max_length=32, description="its code")
    password: str = Field(..., min_length=1, max_length=1024, json_schema_extra={"writeOnly": True})


class KeyBody(StrictBody):
    user: str = Field(..., min_length=1, max_length=32)
    # Strict: a whole JSON number only ("5", true, 0.5 and NaN are 422 naming expires_days).
    expires_days: int | None = Field(
        None,
        strict=True,
        ge=1,
        le=apikeys.MAX_EXPIRY_DAYS,
        description=f"whole days until it expires (default {apikeys.DEFAULT_EXPIRY_DAYS})",
    )


@router.get("/users")
def list_users(
    request: Request,
    p: Principal = Depends(guard),
    cur: duckdb.DuckDBPyConnection = Depends(cursor),
) -> list[dict[str, Any]]:
    """Every user (never a password hash), with its locks: ``locked_until`` at every address,
    ``locked_addresses`` at single client addresses."""
    out = [u.as_dict() for u in users.list_users(cur)]
    request.state.audit_rows = len(out)
    return out


@router.post("/users", status_code=201)
def add_user(
    request: Request,
    body: UserBody,
    p: Principal = Depends(guard),
    cur: duckdb.DuckDBPyConnection = Depends(cursor),
) -> dict[str, Any]:
    """Create a user (passwords: at least 12 characters, hard enough to guess: zxcvbn score 3
    of 4, not built on the user's or the platform's name)."""
    user = users.add_user(
        cur, body.name, body.role, body.region, body.sources, body.password,
        department=body.department, department_code=body.department_code,
        platform=_platform(request),
    )  # fmt: skip
    request.state.audit_rows = 1
    request.state.audit_detail = {
        "user": body.name, "role": body.role, "region": body.region, "sources": body.sources,
    }  # fmt: skip
    return user.as_dict()


@router.post("/users/{name}/disable")
def disable_user(
    request: Request,
    name: str = Path(..., pattern=NAME),
    p: Principal = Depends(guard),
    cur: duckdb.DuckDBPyConnection = Depends(cursor),
) -> dict[str, Any]:
    """Disable a user: no log-in; its tokens and API keys fail from their next use."""
    user = users.disable_user(cur, name)
    request.state.audit_rows = 1
    return user.as_dict()


class PasswordBody(StrictBody):
    password: str = Field(..., min_length=1, max_length=1024, json_schema_extra={"writeOnly": True})


class OwnPasswordBody(StrictBody):
    current_password: str = Field(
        ..., min_length=1, max_length=1024, json_schema_extra={"writeOnly": True}
    )
    new_password: str = Field(
        ..., min_length=1, max_length=1024, json_schema_extra={"writeOnly": True}
    )


@router.post("/users/{name}/password")
def reset_password(
    request: Request,
    body: PasswordBody,
    name: str = Path(..., pattern=NAME),
    p: Principal = Depends(guard),
    cur: duckdb.DuckDBPyConnection = Depends(cursor),
) -> dict[str, Any]:
    """Set a user's password (a reset; the rules of ``POST /users``): its locks are cleared
    and its log-ins end."""
    user = passwords.set_password(cur, name, body.password, platform=_platform(request))
    request.state.audit_rows = 1
    request.state.audit_detail = {"user": name}
    return user.as_dict()


@router.post("/users/{name}/enable")
def enable_user(
    request: Request,
    name: str = Path(..., pattern=NAME),
    p: Principal = Depends(guard),
    cur: duckdb.DuckDBPyConnection = Depends(cursor),
) -> dict[str, Any]:
    """Let a disabled or locked user log in again, from every address (it logs in afresh)."""
    user = passwords.enable_user(cur, name)
    request.state.audit_rows = 1
    return user.as_dict()


@router.post("/auth/password", responses=problem_responses(400, 401, 422))
def change_password(
    request: Request,
    body: OwnPasswordBody,
    p: Principal = Depends(guard),
    cur: duckdb.DuckDBPyConnection = Depends(cursor),
) -> Any:
    """Change your own password, giving the current one; every log-in of yours ends (log in
    again). A wrong current password counts toward the locks, as a failed log-in from the same
    address does; the new one follows the rules of ``POST /users`` (``new_password``)."""
    auth = request.app.state.auth
    try:
        user = passwords.change_own(
            cur, p, body.current_password, body.new_password,
            client=client_address(request.scope), limits=auth.limits,
            platform=_platform(request),
        )  # fmt: skip
    except AuthFailed:
        reason = "does not match (or the account is locked)"
        return problem(
            400,
            detail=f"current_password: {reason}",
            errors=[{"field": "current_password", "reason": reason}],
        )
    request.state.audit_rows = 1
    return user.as_dict()


@router.get("/apikeys")
def list_keys(
    request: Request,
    user: str | None = Query(None, min_length=1, max_length=32),
    p: Principal = Depends(guard),
    cur: duckdb.DuckDBPyConnection = Depends(cursor),
) -> list[dict[str, Any]]:
    """API keys (ids and dates; the keys themselves are not stored)."""
    out = [k.as_dict() for k in apikeys.list_keys(cur, user)]
    request.state.audit_rows = len(out)
    return out


@router.post("/apikeys", status_code=201)
def create_key(
    request: Request,
    body: KeyBody,
    p: Principal = Depends(guard),
    cur: duckdb.DuckDBPyConnection = Depends(cursor),
) -> dict[str, Any]:
    """A new key for ``user``, shown once in ``key`` (only a digest is stored)."""
    key, rec = apikeys.create(cur, body.user, body.expires_days)
    request.state.audit_rows = 1
    request.state.audit_detail = {
        "user": body.user, "key_id": rec.key_id, "expires_days": body.expires_days,
    }  # fmt: skip
    return {"key": key, **rec.as_dict()}


@router.post("/apikeys/{key_id}/revoke")
def revoke_key(
    request: Request,
    # The id only (no "_"): a whole key, secret included, cannot be put into a URL (and the log).
    key_id: str = Path(..., min_length=1, max_length=64, pattern=r"^[A-Za-z0-9-]+$"),
    p: Principal = Depends(guard),
    cur: duckdb.DuckDBPyConnection = Depends(cursor),
) -> dict[str, Any]:
    """Revoke an API key by its id; it fails from its next use on."""
    rec = apikeys.revoke(cur, key_id)
    request.state.audit_rows = 1
    return rec.as_dict()


@router.get("/audit")
def show_audit(
    request: Request,
    user: str | None = Query(None, min_length=1, max_length=64),
    from_: str | None = Query(None, alias="from", max_length=40, description="day or time (CST)"),
    to: str | None = Query(None, max_length=40, description="day (its end) or time (CST)"),
    limit: int | None = Query(None, ge=1, le=100_000, description="only the newest N"),
    p: Principal = Depends(guard),
    cur: duckdb.DuckDBPyConnection = Depends(cursor),
) -> list[dict[str, Any]]:
    """Audit entries, oldest first."""
    since: datetime | None = bound("from", from_)
    until: datetime | None = bound("to", to, end=True)
    out = audit_read.show(cur, user=user, since=since, until=until, limit=limit)
    request.state.audit_rows = len(out)
    return out


@router.get("/audit/verify")
def verify_audit(
    p: Principal = Depends(guard), cur: duckdb.DuckDBPyConnection = Depends(cursor)
) -> dict[str, Any]:
    """The hash chain checked: ``intact``, the ``entries`` count, and the first bad entry."""
    return audit_read.verify_report(cur)
