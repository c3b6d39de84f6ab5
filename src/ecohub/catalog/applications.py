"""Applications for a 有条件共享 resource as their applicant, filer or an admin reads them:
one application, or a list newest first, each with its decision and any revocation."""

from __future__ import annotations

from datetime import date
from typing import Any

import duckdb

from ecohub.access.principal import Principal
from ecohub.catalog._time import cst_day, iso
from ecohub.queries import NotFound, QueryError

STATES = ("pending", "granted", "refused", "revoked")


_APP_SQL = (
    "SELECT a.id, a.resource_code, a.applicant, a.filed_by, a.purpose, a.region, a.valid_from, "
    "a.valid_to, a.submitted_at, d.decision, d.decided_by, d.decided_at, d.reason, d.region, "
    "d.valid_from, d.valid_to, a.applicant_department_code, a.applicant_department_name, "
    "d.revoked_at, d.revoked_by, d.revoke_reason, d.granted_to "
    "FROM catalog_application a "
    "LEFT JOIN catalog_decision d ON d.application_id = a.id"
)


def _app_row(r: tuple[Any, ...], today: date) -> dict[str, Any]:
    decision = r[9]
    state = "pending" if decision is None else ("refused" if decision == "refuse" else "granted")
    if r[18] is not None:
        state = "revoked"
    out: dict[str, Any] = {
        "id": r[0],
        "resource_code": r[1],
        "applicant": r[2],
        "applicant_department": {"code": r[16], "name": r[17]} if r[16] or r[17] else None,
        "filed_by": r[3],
        "purpose": r[4],
        "region": r[5],
        "valid_from": r[6].isoformat(),
        "valid_to": r[7].isoformat(),
        "submitted_at": iso(r[8]),
        "state": state,
        "decided_by": r[10],
        "decided_at": iso(r[11]),
        "reason": r[12],
    }
    if decision == "grant":
        out["grant"] = {
            "region": r[13],
            "valid_from": r[14].isoformat(),
            "valid_to": r[15].isoformat(),
            "in_force": r[14] <= today <= r[15],
            "expired": today > r[15] and r[18] is None,
        }
    if r[18] is not None:
        out["revocation"] = {
            "revoked_by": r[19],
            "revoked_at": iso(r[18]),
            "reason": r[20],
            "granted_to": r[21].isoformat() if r[21] else None,
        }
    return out


def application(
    con: duckdb.DuckDBPyConnection, principal: Principal, app_id: str
) -> dict[str, Any]:
    """One application; 404 unless the caller is its applicant, its filer or an admin (the
    same answer as for an id that does not exist)."""
    where, params = _mine(principal)
    rows = con.execute(
        f"{_APP_SQL} WHERE a.id = ?" + "".join(f" AND {w}" for w in where), [app_id, *params]
    ).fetchall()
    if not rows:
        raise NotFound("application", app_id)
    return _app_row(rows[0], cst_day(None))


def _mine(principal: Principal) -> tuple[list[str], list[Any]]:
    """The predicate of the applications ``principal`` may read: an admin all, anyone else
    those they applied for or filed."""
    if principal.role == "admin":
        return [], []
    return ["(a.applicant = ? OR a.filed_by = ?)"], [principal.name, principal.name]


def applications(
    con: duckdb.DuckDBPyConnection,
    principal: Principal,
    *,
    resource_code: str | None = None,
    state: str | None = None,
) -> list[dict[str, Any]]:
    """Applications the caller may see (an admin: all; others: their own), newest first."""
    if state not in (None, *STATES):
        raise QueryError("state", f"must be one of {', '.join(STATES)}")
    where, params = _mine(principal)
    if resource_code:
        where.append("a.resource_code = ?")
        params.append(resource_code)
    sql = _APP_SQL + (" WHERE " + " AND ".join(where) if where else "")
    rows = con.execute(sql + " ORDER BY a.submitted_at DESC, a.id", params).fetchall()
    today = cst_day(None)
    out = [_app_row(r, today) for r in rows]
    return [a for a in out if state is None or a["state"] == state]
