"""``ecohub user``, ``ecohub apikey`` and ``ecohub audit``: thin translators over ecohub.access.

They ask the API (``/api/v1/users``, ``/apikeys``, ``/audit``) through the CLI's door, so they
work while ``ecohub up`` runs; the API's audit middleware records each request (as ``local``,
the data folder's local credential), never the password sent in the body.
"""

from __future__ import annotations

import getpass
import json
import sys
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import quote

import typer

from ecohub.cli._common import console, fail
from ecohub.cli.rows import folding_table
from ecohub.cst import CST

user_app = typer.Typer(no_args_is_help=True)
apikey_app = typer.Typer(no_args_is_help=True)
audit_app = typer.Typer(no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(user_app, name="user", help="Users: add, list, passwd, enable, disable.")
    app.add_typer(apikey_app, name="apikey", help="API keys for machine clients.")
    app.add_typer(audit_app, name="audit", help="The hash-chained audit log: verify, show.")


def _door() -> Any:
    """The door to the API (the running server, or the store in-process); a refused change
    ends the command with the service's message, which names the field."""
    from ecohub.cli.client import door

    return door(name_options=False)


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        return line.removesuffix("\n").removesuffix("\r")
    if not sys.stdin.isatty():
        fail("password: give --password-stdin, or run in a terminal to be asked")
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        fail("password: the two entries differ")
    return first


@user_app.command("add")
def user_add(
    name: str = typer.Argument(..., help="Log-in name: a-z first, then a-z 0-9 . _ - (2-32)."),
    role: str = typer.Option(..., help="admin, analyst, inspector, enterprise or public."),
    region: str | None = typer.Option(
        None,
        help="GB/T 2260 code the user is bound to, or key:<key region> / user:<basin or custom "
        "region code> (see `ecohub geo list`).",
    ),
    source: list[str] = typer.Option(
        [], "--source", help="HJ 608 source code of an enterprise user (repeatable)."
    ),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from the first line of stdin."
    ),
    department: str | None = typer.Option(None, help="The department the user works for."),
    department_code: str | None = typer.Option(None, help="That department's code."),
) -> None:
    """Create a user (passwords: at least 12 characters and hard to guess)."""
    password = _read_password(password_stdin)
    with _door() as d:
        body = {"name": name, "role": role, "region": region, "sources": source,
                "department": department, "department_code": department_code}  # fmt: skip
        user = d.post("/api/v1/users", {**body, "password": password})
    sources = user["sources"]
    scope = user["region"] or ("sources " + " ".join(sources) if sources else "nationwide")
    console.print(f"added {user['name']} ({user['role']}, {scope})", highlight=False)


@user_app.command("list")
def user_list(
    as_json: bool = typer.Option(False, "--json", help="One JSON object per line."),
) -> None:
    """List users (never their password hashes) and their locks: "locked until" at every
    address, "locked at addresses" at single client addresses."""
    with _door() as d:
        rows = d.get("/api/v1/users")
    if as_json:
        for row in rows:
            typer.echo(json.dumps(row, ensure_ascii=False))
        return
    table = folding_table(
        "name", "role", "region", "department", "sources", "enabled", "locked until",
        "locked at addresses", "created",
    )  # fmt: skip
    for r in rows:
        dept = r.get("department") or {}
        table.add_row(
            r["name"], r["role"], r["region"] or "-",
            " ".join(filter(None, (dept.get("code"), dept.get("name")))) or "-",
            " ".join(r["sources"]) or "-",
            "yes" if r["enabled"] else "no", r["locked_until"] or "-",
            _address_locks(r.get("locked_addresses") or []), r["created_at"][:19],
        )  # fmt: skip
    console.print(table)


def _address_locks(locks: list[dict[str, Any]]) -> str:
    """``203.0.113.7 until 2026-11-28T12:25:15``, one a line; ``-`` when none."""
    lines = [f"{lock['client'] or 'local'} until {lock['until'][:19]}" for lock in locks]
    return "\n".join(lines) or "-"


@user_app.command("passwd")
def user_passwd(
    name: str,
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the new password from the first line of stdin."
    ),
) -> None:
    """Set a user's password (a reset): its lock is cleared and its log-ins end."""
    password = _read_password(password_stdin)
    with _door() as d:
        d.post(f"/api/v1/users/{quote(name, safe='')}/password", {"password": password})
    console.print(f"password of {name} set; its log-ins have ended", highlight=False)


@user_app.command("enable")
def user_enable(name: str) -> None:
    """Let a disabled or locked user log in again (clears its locks at every address)."""
    with _door() as d:
        d.post(f"/api/v1/users/{quote(name, safe='')}/enable", None)
    console.print(f"enabled {name}", highlight=False)


@user_app.command("disable")
def user_disable(name: str) -> None:
    """Disable a user: no log-in; its tokens and API keys fail from their next use."""
    with _door() as d:
        d.post(f"/api/v1/users/{quote(name, safe='')}/disable", None)
    console.print(f"disabled {name}", highlight=False)


@apikey_app.command("create")
def apikey_create(
    user: str = typer.Option(..., help="The user the key acts as."),
    expires: int | None = typer.Option(
        None, help="Whole days until the key expires, 1 to 3650 (default 365)."
    ),
) -> None:
    """Create an API key and print it once: it is stored only as a digest."""
    from ecohub.cli.client import door

    # A refused field is named as this command's option (expires_days: --expires).
    with door(options={"expires_days": "expires"}) as d:
        rec = d.post("/api/v1/apikeys", {"user": user, "expires_days": expires})
    typer.echo(rec["key"])
    expiry = rec["expires_at"] or "never"
    typer.echo(f"id {rec['id']}, user {rec['user']}, expires {expiry}", err=True)
    typer.echo("store it now: it cannot be shown again", err=True)


@apikey_app.command("revoke")
def apikey_revoke(key_id: str = typer.Argument(..., metavar="ID")) -> None:
    """Revoke an API key by its id."""
    # A whole key pasted here is cut to its id: the secret never goes into a URL.
    key_id = key_id.removeprefix("ehk_").split("_", 1)[0]
    with _door() as d:
        rec = d.post(f"/api/v1/apikeys/{quote(key_id, safe='')}/revoke", None)
    console.print(f"revoked {rec['id']} ({rec['user']})", highlight=False)


@apikey_app.command("list")
def apikey_list(
    user: str | None = typer.Option(None, help="Only this user's keys."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per line."),
) -> None:
    """List API keys (ids and dates; the keys themselves are not stored)."""
    with _door() as d:
        rows = d.get("/api/v1/apikeys", user=user)
    if as_json:
        for row in rows:
            typer.echo(json.dumps(row))
        return
    table = folding_table("id", "user", "created", "expires", "revoked", "last used")
    for r in rows:
        table.add_row(
            r["id"], r["user"], r["created_at"][:19], (r["expires_at"] or "never")[:19],
            (r["revoked_at"] or "-")[:19], (r["last_used_at"] or "-")[:19],
        )  # fmt: skip
    console.print(table)


@audit_app.command("verify")
def audit_verify() -> None:
    """Check the hash chain; exit 1 naming the first altered, removed or moved entry."""
    with _door() as d:
        report = d.get("/api/v1/audit/verify")
    if report["bad"] is not None:
        fail(report["bad"]["message"])
    console.print(f"audit log intact: {report['entries']} entries", highlight=False)


def _when(text: str | None, field: str, end: bool) -> datetime | None:
    """ISO date or date-time; without an offset it is China Standard Time. A bare date as
    ``--to`` means the end of that day."""
    if text is None:
        return None
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            start = datetime(day.year, day.month, day.day, tzinfo=CST)
            return start + timedelta(days=1) if end else start
        value = datetime.fromisoformat(text)
    except ValueError:
        fail(f"{field}: {text!r} is not an ISO date (2026-01-31) or date-time (2026-01-31T08:00)")
    return value if value.tzinfo else value.replace(tzinfo=CST)


@audit_app.command("show")
def audit_show(
    user: str | None = typer.Option(None, help="Only this user's entries."),
    since: str | None = typer.Option(None, "--from", help="From this date/time (CST)."),
    until: str | None = typer.Option(None, "--to", help="Up to this date/time (a date: its end)."),
    limit: int | None = typer.Option(None, min=1, help="Only the newest N entries."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per line."),
) -> None:
    """Show audit entries, oldest first."""
    start, end = _when(since, "from", False), _when(until, "to", True)
    with _door() as d:
        rows = d.get(
            "/api/v1/audit",
            user=user,
            **{"from": start.isoformat() if start else None},
            to=end.isoformat() if end else None,
            limit=limit,
        )
    if as_json:
        for row in rows:
            typer.echo(json.dumps(row, ensure_ascii=False))
        return
    table = folding_table(
        "seq", "at", "user", "via", "client", "action", "route", "filters", "rows", "result"
    )
    for r in rows:
        filters = json.dumps(r["filters"], ensure_ascii=False)
        table.add_row(
            str(r["seq"]), r["at"][:19], r["user"], r["via"], r.get("client") or "-",
            r["action"], r["route"],
            filters, "-" if r["rows"] is None else str(r["rows"]), r["result"],
        )  # fmt: skip
    console.print(table)
