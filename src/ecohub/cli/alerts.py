"""`ecohub alerts …`: list, show, acknowledge and close alerts; the channels (thin: every
command is one request through the door, to the running server or in-process)."""

from __future__ import annotations

import json

import typer

from ecohub.cli._common import fail
from ecohub.cli.supervise import FORMATS, _emit, _period, _time

app = typer.Typer(no_args_is_help=True)

# The columns `list` prints as a table (every column in csv / json).
SHORT = ("id", "state", "severity", "kind", "mn", "pollutant", "rule", "last_seen",
         "occurrences")  # fmt: skip
_OPTIONS = {"from": "from/--to", "to": "from/--to"}


@app.command("list")
def list_(
    state: str | None = typer.Option(None, "--state", help="open | acknowledged | closed"),
    severity: str | None = typer.Option(None, "--severity", help="at least: low|medium|high"),
    kind: str | None = typer.Option(None, "--kind", help="finding | exceedance"),
    mn: str | None = typer.Option(None, "--mn", help="Device (HJ 212 MN)."),
    source: str | None = typer.Option(None, "--source", help="Source code."),
    frm: str | None = typer.Option(None, "--from", help="Day or time (CST) the alerts reach."),
    to: str | None = typer.Option(None, "--to", help="Day (inclusive) or time (exclusive)."),
    fmt: str = typer.Option("table", "--format", help="table | csv | json"),
) -> None:
    """Alerts in your scope, newest first."""
    from ecohub.cli.client import door
    from ecohub.supervision.alerts import COLUMNS

    if fmt not in FORMATS:
        fail(f"--format: expected one of {', '.join(FORMATS)}, got {fmt!r}")
    start, end = _time("--from", frm), _time("--to", to, end=True)
    with door(options=_OPTIONS) as d:
        rows = d.pages("/api/v1/alerts", state=state, severity=severity, kind=kind, mn=mn,
                       source=source, **_period(start, end))  # fmt: skip
    _emit(rows, SHORT if fmt == "table" else COLUMNS, fmt)


@app.command()
def show(alert_id: int = typer.Argument(..., help="The alert's id.")) -> None:
    """One alert with its evidence, workflow and deliveries (JSON)."""
    from ecohub.cli.client import door

    with door(options={"alert_id": "id"}) as d:
        item = d.get(f"/api/v1/alerts/{alert_id}")
    typer.echo(json.dumps(item, ensure_ascii=False, indent=1))


@app.command()
def ack(
    alert_id: int = typer.Argument(..., help="The alert's id."),
    comment: str | None = typer.Option(None, "--comment", help="What you are doing about it."),
) -> None:
    """Acknowledge an open alert (audited)."""
    from ecohub.cli.client import door

    with door(name_options=False) as d:  # the messages name the field (state, comment)
        item = d.post(f"/api/v1/alerts/{alert_id}/ack", {"comment": comment})
    typer.echo(f"alert {item['id']}: {item['state']} by {item['acked_by']} at {item['acked_at']}")


@app.command()
def close(
    alert_id: int = typer.Argument(..., help="The alert's id."),
    comment: str = typer.Option(..., "--comment", help="How the case was handled (required)."),
) -> None:
    """Close an open or acknowledged alert (audited)."""
    from ecohub.cli.client import door

    with door(name_options=False) as d:  # the messages name the field (state, comment)
        item = d.post(f"/api/v1/alerts/{alert_id}/close", {"comment": comment})
    typer.echo(f"alert {item['id']}: {item['state']} by {item['closed_by']} at {item['closed_at']}")


@app.command()
def channels() -> None:
    """The configured channels and their outbox (operators)."""
    from ecohub.cli.client import door

    with door() as d:
        rows = d.get("/api/v1/alerts/channels")
    typer.echo(json.dumps(rows, ensure_ascii=False, indent=1))
