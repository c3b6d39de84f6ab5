"""``ecohub catalog apply | grant | refuse | revoke | grants``: sharing applications for a
有条件共享 resource and their decisions, one request each to ``/api/v1/catalog`` (as
:mod:`ecohub.cli.catalog`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import typer
from rich.table import Table

from ecohub.cli._common import console
from ecohub.cli.catalog import CATALOG, _code, _json
from ecohub.cli.client import door
from ecohub.cst import CST

__all__ = ["add_commands"]

#: API field -> the option that sets it, for refusals (``door(options=...)``).
APPLY_OPTIONS = {"valid_from": "from", "valid_to": "to", "applicant": "for"}
GRANT_OPTIONS = {"valid_from": "from", "valid_to": "to"}


def add_commands(app: typer.Typer) -> None:
    """Add the sharing commands to ``ecohub catalog``."""
    for command in (apply, grant, refuse, revoke, grants):
        app.command()(command)


def apply(
    code: str,
    purpose: str = typer.Option(..., help="what the data is for"),
    region: str = typer.Option(..., help="GB/T 2260 code of the scope asked for"),
    start: str | None = typer.Option(
        None, "--from", help="first day YYYY-MM-DD (default today, CST)"
    ),
    end: str = typer.Option(..., "--to", help="last day YYYY-MM-DD"),
    user: str = typer.Option(..., "--for", help="the applying user (filed by the admin)"),
) -> None:
    """File a sharing application for a user (a paper application, entered by the admin)."""
    first = start or datetime.now(CST).date().isoformat()
    body = {
        "purpose": purpose,
        "region": region,
        "valid_from": first,
        "valid_to": end,
        "applicant": user,
    }
    with door(options=APPLY_OPTIONS) as d:
        _json(d.request("POST", f"{CATALOG}/{_code(code)}/applications", body=body).json())


def _decide(app_id: str, body: dict[str, Any], what: str = "decision") -> None:
    """POST ``body`` to the application's ``what`` (``decision``, ``revocation``)."""
    with door(options=GRANT_OPTIONS) as d:
        code = d.get(f"{CATALOG}/applications/{app_id}")["resource_code"]
        url = f"{CATALOG}/{code}/applications/{app_id}/{what}"
        _json(d.request("POST", url, body=body).json())


def grant(
    app_id: str = typer.Argument(..., metavar="APPLICATION"),
    region: str | None = typer.Option(None, help="narrow the region"),
    start: str | None = typer.Option(None, "--from", help="shorten the period: first day"),
    end: str | None = typer.Option(None, "--to", help="shorten the period: last day"),
    reason: str | None = typer.Option(None),
) -> None:
    """Grant an application (its region and period, or narrower)."""
    _decide(app_id, {"decision": "grant", "region": region, "valid_from": start,
                     "valid_to": end, "reason": reason})  # fmt: skip


def refuse(
    app_id: str = typer.Argument(..., metavar="APPLICATION"),
    reason: str = typer.Option(..., help="why (the applicant sees it)"),
) -> None:
    """Refuse an application, saying why."""
    _decide(app_id, {"decision": "refuse", "reason": reason})


def revoke(
    app_id: str = typer.Argument(..., metavar="APPLICATION"),
    reason: str = typer.Option(..., help="why (the applicant sees it)"),
) -> None:
    """End a grant now, before its end, saying why."""
    _decide(app_id, {"reason": reason}, "revocation")


def grants(
    resource: str | None = typer.Option(None, help="resource code"),
    state: str | None = typer.Option(None, help="pending | granted | refused | revoked"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Sharing applications and their decisions."""
    if resource is not None:
        _code(resource, "--resource")
    with door() as d:
        out = d.get(f"{CATALOG}/applications", resource=resource, state=state)
    if as_json:
        _json(out)
        return
    t = Table(title="applications")
    cols = ("id", "resource", "applicant", "department", "region", "from", "to", "state")
    for col in (*cols, "in force"):
        t.add_column(col, overflow="fold")
    for a in out["items"]:
        g = a.get("grant") or {}
        dept = a.get("applicant_department") or {}
        t.add_row(
            a["id"],
            a["resource_code"],
            a["applicant"],
            " ".join(filter(None, (dept.get("code"), dept.get("name")))) or "-",
            g.get("region") or a["region"],
            g.get("valid_from") or a["valid_from"],
            g.get("valid_to") or a["valid_to"],
            a["state"],
            "yes" if g.get("in_force") else "",
        )
    console.print(t)
