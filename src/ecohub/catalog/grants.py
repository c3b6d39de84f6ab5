"""Conditional sharing: applications, decisions, and what a principal may read of a resource.

A user of another department applies for a resource (purpose, a GB/T 2260 region, a period); an
administrator grants (possibly narrowing the region or the period) or refuses it. A grant lets
its applicant read that resource's rows in that region from ``valid_from`` to ``valid_to``
(inclusive, China calendar days). Expiry needs nobody: :func:`allowed` compares the grant's dates
with the date of the read. Resources of type 不予共享 are never granted (:class:`Conflict`).

What :func:`allowed` answers, for one principal, resource and moment:

- a published 无条件开放 (unconditionally open) resource: everyone, every row;
- a published 有条件开放 (conditionally open) resource is listed as open data (its metadata) but
  its rows follow the rules below: only those who meet its conditions, i.e. hold a grant, read
  them (public and anonymous users without one read nothing);
- ``admin``: its own scope (nationwide when it has no region);
- 不予共享: nobody else;
- 无条件共享 / 有条件共享: ``analyst`` and ``inspector`` read inside their own region (the rule of
  every other route), widened by their active grants; ``enterprise`` and ``public`` users read
  only through active grants.

Rows that belong to no region (a table without a region column, or a reference table such as
the division list: :func:`ecohub.catalog.coverage.scope_expression`) are no region's data, so a
region scope does not bound them: such a resource is readable whole or not at all. Whole by an
admin, by ``analyst`` and ``inspector`` when it is 无条件共享 (shared with their roles as it
is), and by the holder of a grant in force; else nobody (``None``: the route answers 403, not
an empty page).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import duckdb

from ecohub.access import audit
from ecohub.access.principal import Principal
from ecohub.access.scope import AccessDenied, region_prefix, scope_prefixes
from ecohub.catalog import coverage, grant_scope, resources
from ecohub.catalog._db import transaction
from ecohub.catalog._time import cst_day
from ecohub.catalog.applications import application
from ecohub.catalog.errors import Conflict
from ecohub.queries import NotFound, QueryError
from ecohub.standards import divisions
from ecohub.standards.errors import InvalidCode

APPLICANT_ROLES = ("analyst", "inspector", "enterprise")
MAX_PERIOD_DAYS = 3 * 366  # our choice: a grant is reviewed at least every three years
MAX_PURPOSE_CHARS = 2000
NEVER = "不予共享"
ALWAYS = "无条件共享"
#: Open types: only 无条件开放 data is served to everyone once published.
OPEN_TO_ALL = "无条件开放"
#: An application's states (``revoked``: granted, then ended early by an administrator).


@dataclass(frozen=True)
class Scope:
    """Rows a principal may read: ``prefixes`` of GB/T 2260 codes, or ``None`` for every row.

    ``grants`` are the ids of the grants that widened it (for the audit log).
    """

    prefixes: tuple[str, ...] | None
    grants: tuple[str, ...] = ()

    def sql(self, column: str | None) -> tuple[str, list[Any]]:
        """A predicate on ``column`` (a row's division code); rows without one fall outside
        any bounded scope. ``column`` ``None``: the resource's rows have no division."""
        if self.prefixes is None:
            return "TRUE", []
        if column is None or not self.prefixes:
            return "FALSE", []
        ors = " OR ".join(f"starts_with({column}, ?)" for _ in self.prefixes)
        return f"({ors})", list(self.prefixes)

    def covers(self, region: str) -> bool:
        return self.prefixes is None or any(region.startswith(p) for p in self.prefixes)


def _region(field: str, code: str) -> str:
    try:
        return divisions.validate(code)
    except InvalidCode as exc:
        raise QueryError(field, str(exc).split(": ", 1)[-1]) from exc


def is_published(con: duckdb.DuckDBPyConnection, code: str) -> bool:
    rows = con.execute(
        "SELECT action FROM catalog_publication WHERE code = ? ORDER BY id DESC LIMIT 1", [code]
    ).fetchall()
    return bool(rows) and rows[0][0] == "publish"


def active_grants(
    con: duckdb.DuckDBPyConnection, user: str, code: str, at: datetime | date | None = None
) -> list[tuple[str, str]]:
    """(application id, granted region) of ``user``'s grants on ``code`` in force on ``at``."""
    day = cst_day(at)
    rows = con.execute(
        "SELECT a.id, coalesce(d.region, a.region) FROM catalog_application a "
        "JOIN catalog_decision d ON d.application_id = a.id AND d.decision = 'grant' "
        "WHERE a.applicant = ? AND a.resource_code = ? "
        "AND coalesce(d.valid_from, a.valid_from) <= ? AND ? <= coalesce(d.valid_to, a.valid_to) "
        "ORDER BY a.id",
        [user, code, day, day],
    ).fetchall()
    return [(r[0], r[1]) for r in rows]


def allowed(
    con: duckdb.DuckDBPyConnection,
    principal: Principal,
    resource_code: str,
    at: datetime | date | None = None,
) -> Scope | None:
    """The rows of ``resource_code`` that ``principal`` may read at ``at`` (default now), or
    ``None`` when none. Use ``scope.sql(region_column)`` in the query's ``WHERE``."""
    res = resources.get(con, resource_code)
    if res is None:
        return None
    if res["open_type"] == OPEN_TO_ALL and is_published(con, resource_code):
        return Scope(None)
    # Rows of no region are no region's data: the whole resource or none of it.
    placeless = coverage.scope_expression(res["table_name"]) is None
    if principal.role == "admin":
        # scope_prefixes: a key-region or basin scope as its whole divisions (never wider).
        return Scope(None) if placeless else Scope(scope_prefixes(principal))
    if res["sharing_type"] == NEVER:
        return None
    shared = principal.role in ("analyst", "inspector")
    grants = active_grants(con, principal.name, resource_code, at)
    if placeless:
        if grants or (shared and res["sharing_type"] == ALWAYS):
            return Scope(None, tuple(g for g, _ in grants))
        return None
    base: list[str] | None = []
    if shared:
        mine = scope_prefixes(principal)
        base = None if mine is None else list(mine)
    if base is None:
        return Scope(None, tuple(g for g, _ in grants))
    prefixes = base + [region_prefix(r) for _, r in grants]
    if not prefixes:
        return None
    return Scope(tuple(dict.fromkeys(prefixes)), tuple(g for g, _ in grants))


def _user(con: duckdb.DuckDBPyConnection, name: str) -> tuple[str, str | None] | None:
    rows = con.execute("SELECT role, region FROM app_user WHERE name = ?", [name]).fetchall()
    return (rows[0][0], rows[0][1]) if rows else None


def _date(field: str, value: date | str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError) as exc:
        raise QueryError(field, f"must be a date YYYY-MM-DD, got {value!r}") from exc


def apply(
    con: duckdb.DuckDBPyConnection,
    principal: Principal,
    resource_code: str,
    *,
    purpose: str,
    region: str,
    valid_from: date | str,
    valid_to: date | str,
    applicant: str | None = None,
) -> dict[str, Any]:
    """File an application; an admin may file one for ``applicant`` (a paper application)."""
    res = resources.get(con, resource_code)
    if res is None:
        raise NotFound("resource", resource_code)
    if principal.role == "admin":
        if not applicant:
            raise QueryError(
                "applicant", "an administrator files applications for a user: name one"
            )
        found = _user(con, applicant)
        if found is None:
            raise QueryError("applicant", f"no user {applicant!r}")
        if found[0] not in APPLICANT_ROLES:
            raise QueryError("applicant", f"a {found[0]} user does not apply for data")
        who = applicant
    else:
        if principal.role not in APPLICANT_ROLES:
            raise AccessDenied(f"role {principal.role!r} may not apply for data")
        if applicant not in (None, principal.name):
            raise AccessDenied("you may only apply for yourself")
        who = principal.name
    if res["sharing_type"] == NEVER:
        raise Conflict(
            f"resource {resource_code} is {NEVER} (never shared): "
            f"{res['sharing_conditions'] or 'no applications are taken'}"
        )
    purpose = (purpose or "").strip()
    if not purpose:
        raise QueryError("purpose", "say what the data is for")
    if len(purpose) > MAX_PURPOSE_CHARS:
        raise QueryError("purpose", f"at most {MAX_PURPOSE_CHARS} characters")
    reg = _region("region", region)
    start, end = _date("valid_from", valid_from), _date("valid_to", valid_to)
    if end < start:
        raise QueryError("valid_to", "must not be before valid_from")
    if (end - start).days > MAX_PERIOD_DAYS:
        raise QueryError("valid_to", f"a period is at most {MAX_PERIOD_DAYS} days")
    app_id = uuid.uuid4().hex
    now = datetime.now(UTC)
    # The applicant's department as it is today: the record must not follow a later move.
    dept = con.execute(
        "SELECT department_code, department_name FROM app_user WHERE name = ?", [who]
    ).fetchall()
    d_code, d_name = dept[0] if dept else (None, None)
    with transaction(con):
        con.execute(
            "INSERT INTO catalog_application (id, resource_code, applicant, filed_by, purpose, "
            "region, valid_from, valid_to, submitted_at, applicant_department_code, "
            "applicant_department_name) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                app_id,
                resource_code,
                who,
                principal.name,
                purpose,
                reg,
                start,
                end,
                now,
                d_code,
                d_name,
            ],
        )
    audit.record(
        con,
        principal,
        "write",
        f"catalog:{resource_code}/applications",
        {
            "application": app_id,
            "applicant": who,
            "department": d_code or d_name,
            "region": reg,
            "valid_from": start,
            "valid_to": end,
        },
    )
    return application(con, principal, app_id)


def decide(
    con: duckdb.DuckDBPyConnection,
    principal: Principal,
    application_id: str,
    decision: str,
    *,
    reason: str | None = None,
    region: str | None = None,
    valid_from: date | str | None = None,
    valid_to: date | str | None = None,
) -> dict[str, Any]:
    """An administrator grants or refuses an application (once); a grant may narrow it."""
    if principal.role != "admin":
        raise AccessDenied("only an administrator decides applications")
    if decision not in ("grant", "refuse"):
        raise QueryError("decision", "must be grant or refuse")
    app = application(con, principal, application_id)
    if app["state"] != "pending":
        raise Conflict(f"application {application_id} was already decided ({app['state']})")
    res = resources.get(con, app["resource_code"]) or {}
    if decision == "grant" and res.get("sharing_type") == NEVER:
        raise Conflict(f"resource {app['resource_code']} is {NEVER} (never shared)")
    if decision == "refuse" and not (reason or "").strip():
        raise QueryError("reason", "a refusal states its reason")
    g_region = g_from = g_to = None
    if decision == "grant":
        g_region = _region("region", region) if region else app["region"]
        if not g_region.startswith(region_prefix(app["region"])):
            raise QueryError(
                "region", f"a grant may narrow the region {app['region']}, not widen it"
            )
        g_from = (
            _date("valid_from", valid_from) if valid_from else date.fromisoformat(app["valid_from"])
        )
        g_to = _date("valid_to", valid_to) if valid_to else date.fromisoformat(app["valid_to"])
        # The bound that extends the period is the field at fault.
        for field, extends in (
            ("valid_from", g_from < date.fromisoformat(app["valid_from"])),
            ("valid_to", g_to > date.fromisoformat(app["valid_to"])),
        ):
            if extends:
                raise QueryError(
                    field,
                    f"a grant may shorten the period applied for ({app['valid_from']} to "
                    f"{app['valid_to']}), not extend it",
                )
        if g_to < g_from:
            raise QueryError("valid_to", "must not be before valid_from")
    with transaction(con):
        taken = con.execute(
            "SELECT 1 FROM catalog_decision WHERE application_id = ?", [application_id]
        ).fetchall()
        if taken:
            raise Conflict(f"application {application_id} was already decided")
        con.execute(
            "INSERT INTO catalog_decision (application_id, decision, decided_by, decided_at, "
            "reason, region, valid_from, valid_to) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                application_id,
                decision,
                principal.name,
                datetime.now(UTC),
                reason,
                g_region,
                g_from,
                g_to,
            ],
        )
    grant_scope.changed()  # the API's remembered grants are stale from now on
    audit.record(
        con,
        principal,
        "admin",
        f"catalog:applications/{application_id}/decision",
        {
            "decision": decision,
            "resource": app["resource_code"],
            "applicant": app["applicant"],
            "region": g_region,
            "valid_to": g_to,
        },
    )
    return application(con, principal, application_id)


def expiry_after(days: int) -> date:
    """Today (China calendar) plus ``days``: a convenient default end of a period."""
    return cst_day(None) + timedelta(days=days)
