"""Revoking a grant before its end: the administrator's answer to a project closed early, a
user who left the department, or data used beyond the purpose applied for.

A revocation ends the grant on the day before it is made (China calendar), so every reader of
grants, which asks whether a day lies between ``valid_from`` and ``valid_to``
(:func:`ecohub.catalog.grants.allowed`, :mod:`ecohub.catalog.grant_scope`), stops honouring it
from that moment; the API's remembered grant look-ups are dropped at once. The decision keeps
the end it was granted with (``granted_to``), who revoked it, when and why; the applicant sees
all of it on the application.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb

from ecohub.access import audit
from ecohub.access.principal import Principal
from ecohub.access.scope import AccessDenied
from ecohub.catalog import grant_scope
from ecohub.catalog._db import transaction
from ecohub.catalog._time import cst_day
from ecohub.catalog.applications import application
from ecohub.catalog.errors import Conflict
from ecohub.queries import QueryError

MAX_REASON_CHARS = 2000


def revoke(
    con: duckdb.DuckDBPyConnection, principal: Principal, application_id: str, reason: str
) -> dict[str, Any]:
    """An administrator ends a grant now, saying why; the application as it then stands.
    :class:`Conflict` unless the application is a grant still in force or yet to start."""
    if principal.role != "admin":
        raise AccessDenied("only an administrator revokes grants")
    reason = (reason or "").strip()
    if not reason:
        raise QueryError("reason", "a revocation states its reason (the applicant sees it)")
    if len(reason) > MAX_REASON_CHARS:
        raise QueryError("reason", f"at most {MAX_REASON_CHARS} characters")
    app = application(con, principal, application_id)
    if app["state"] != "granted":
        raise Conflict(f"application {application_id} is {app['state']}, not a grant to revoke")
    if app["grant"]["expired"]:
        raise Conflict(
            f"the grant of application {application_id} ended on {app['grant']['valid_to']}"
        )
    now = datetime.now(UTC)
    end = cst_day(now) - timedelta(days=1)
    with transaction(con):
        done = con.execute(
            "UPDATE catalog_decision SET granted_to = valid_to, valid_to = ?, revoked_at = ?, "
            "revoked_by = ?, revoke_reason = ? "
            "WHERE application_id = ? AND decision = 'grant' AND revoked_at IS NULL "
            "RETURNING application_id",
            [end, now, principal.name, reason, application_id],
        ).fetchall()
        if not done:  # revoked by another request since it was read above
            raise Conflict(f"application {application_id} was revoked already")
    grant_scope.changed()  # the API's remembered grants are stale from now on
    audit.record(
        con,
        principal,
        "admin",
        f"catalog:applications/{application_id}/revocation",
        {
            "resource": app["resource_code"],
            "applicant": app["applicant"],
            "granted_to": app["grant"]["valid_to"],
            "reason": reason,
        },
    )
    return application(con, principal, application_id)
