"""`ecohub supervise …`: online-monitoring anomaly findings and batch detection (thin)."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta
from pathlib import Path

import typer
from rich.table import Table

from ecohub.cli._common import console, fail, open_store
from ecohub.cli.load import app as load_app

app = typer.Typer(no_args_is_help=True)

FORMATS = ("table", "csv", "json")


def _time(option: str, text: str | None, *, end: bool = False) -> datetime | None:
    """``YYYY-MM-DD`` or ``YYYY-MM-DDTHH:MM[:SS][+08:00]``; CST when no offset is given. A bare
    day as ``--to`` means the end of that day."""
    from ecohub.cst import CST

    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        fail(f"{option}: expected a day (2026-03-02) or a time (2026-03-02T08:00), got {text!r}")
    if value.tzinfo is None:
        value = value.replace(tzinfo=CST)
    if end and len(text) == 10:
        value += timedelta(days=1)
    return value


def _principal():  # the operator at the store's own machine
    from ecohub.access import Principal

    return Principal("local", "admin", via="local")


@app.command()
def anomalies(
    frm: str | None = typer.Option(None, "--from", help="Day or time (CST) the findings reach."),
    to: str | None = typer.Option(None, "--to", help="Day (inclusive) or time (exclusive)."),
    mn: str | None = typer.Option(None, "--mn", help="Device (HJ 212 MN)."),
    rule: str | None = typer.Option(None, "--rule", help="Rule id (see docs/supervision.md)."),
    fmt: str = typer.Option("table", "--format", help="table | csv | json"),
) -> None:
    """One row per finding: mn, source_code, outlet, pollutant, rule, start, end, evidence,
    severity."""
    from ecohub.supervision import COLUMNS, RuleError
    from ecohub.supervision import anomalies as find

    if fmt not in FORMATS:
        fail(f"--format: expected one of {', '.join(FORMATS)}, got {fmt!r}")
    start, end = _time("--from", frm), _time("--to", to, end=True)
    con = open_store()
    try:
        rows = find(con, _principal(), start, end, mn=mn, rule_name=rule)
    except RuleError as exc:
        fail(f"--rule: {exc}")
    except ValueError as exc:
        fail(f"--from/--to: {exc}")
    finally:
        con.close()
    _emit(rows, COLUMNS, fmt)


def _emit(rows: list[dict], columns: tuple[str, ...], fmt: str) -> None:
    def text(row: dict, c: str) -> str:
        value = row[c]
        return json.dumps(value, ensure_ascii=False) if isinstance(value, dict) else str(value)

    if fmt == "json":
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(columns)
        for r in rows:
            writer.writerow([text(r, c) if r[c] is not None else "" for c in columns])
        typer.echo(buf.getvalue(), nl=False)
        return
    table = Table(title=f"{len(rows)} row(s)")
    for c in columns:
        table.add_column(c, overflow="fold")
    for r in rows:
        table.add_row(*(text(r, c) if r[c] is not None else "-" for c in columns))
    console.print(table)


@app.command()
def exceedances(
    frm: str | None = typer.Option(None, "--from", help="Day or time (CST) the events reach."),
    to: str | None = typer.Option(None, "--to", help="Day (inclusive) or time (exclusive)."),
    mn: str | None = typer.Option(None, "--mn", help="Device (HJ 212 MN)."),
    pollutant: str | None = typer.Option(None, "--pollutant", help="HJ 212 code, e.g. a21026."),
    fmt: str = typer.Option("table", "--format", help="table | csv | json"),
) -> None:
    """One row per exceedance event: converted period means over the permit limit."""
    from ecohub.supervision import EXCEEDANCE_COLUMNS
    from ecohub.supervision import exceedances as find

    if fmt not in FORMATS:
        fail(f"--format: expected one of {', '.join(FORMATS)}, got {fmt!r}")
    start, end = _time("--from", frm), _time("--to", to, end=True)
    con = open_store()
    try:
        rows = find(con, _principal(), start, end, mn=mn, pollutant=pollutant)
    except ValueError as exc:
        fail(f"--from/--to: {exc}")
    finally:
        con.close()
    _emit(rows, EXCEEDANCE_COLUMNS, fmt)


def load_permits(
    path: Path = typer.Argument(
        ...,
        help="CSV / XLSX / Parquet: one row per permit, outlet and "
        "pollutant (docs/supervision.md).",
    ),
) -> None:
    """Load permit emission limits; bad rows are rejected with reasons (FILE.rejects.csv)."""
    from ecohub.supervision import PermitLoadError
    from ecohub.supervision import load_permits as run

    con = open_store()
    try:
        summary = run(con, path)
    except PermitLoadError as exc:
        fail(str(exc))
    finally:
        con.close()
    summary.pop("rejects")
    typer.echo(json.dumps(summary, ensure_ascii=False, indent=1))


# `ecohub load permits` lives with the other loaders' group, registered from here so that the
# loaders' module is not edited by this package.
load_app.command("permits")(load_permits)


@app.command()
def detect(
    frm: str = typer.Option(..., "--from", help="First day or time (CST)."),
    to: str = typer.Option(..., "--to", help="Last day (inclusive) or end time (exclusive)."),
    rule: list[str] | None = typer.Option(None, "--rule", help="Only these rules (repeatable)."),
) -> None:
    """Run the anomaly rules over the stored minute data of a period (idempotent)."""
    from ecohub.supervision import RuleError, select_rules
    from ecohub.supervision import detect as run

    start, end = _time("--from", frm), _time("--to", to, end=True)
    assert start is not None and end is not None
    try:
        rules = select_rules(rule)
    except RuleError as exc:
        fail(f"--rule: {exc}")
    con = open_store()
    try:
        summary = run(con, start, end, rules)
    except ValueError as exc:
        fail(f"--from/--to: {exc}")
    finally:
        con.close()
    typer.echo(json.dumps(summary, ensure_ascii=False, indent=1))
