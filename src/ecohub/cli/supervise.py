"""`ecohub supervise …`: online-monitoring anomaly findings and batch detection (thin)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import typer

from ecohub.cli._common import fail
from ecohub.cli.load import app as load_app
from ecohub.cli.rows import emit_rows

app = typer.Typer(no_args_is_help=True)

FORMATS = ("table", "csv", "json")


def _time(option: str, text: str | None, *, end: bool = False) -> datetime | None:
    """``YYYY-MM-DD`` or ``YYYY-MM-DDTHH:MM[:SS][+08:00]``; CST when no offset is given. A bare
    day as ``--to`` means the end of that day. Read as the API reads it
    (``supervision.period.bound``); a bad value ends with a message naming ``option``."""
    from ecohub.queries import QueryError
    from ecohub.supervision.period import bound

    try:
        return bound(option, text, end=end)
    except QueryError as exc:
        fail(f"{option}: {exc.reason}")


def _principal():  # the operator at the store's own machine
    from ecohub.access import Principal

    return Principal("local", "admin", via="local")


@app.command()
def anomalies(
    frm: str | None = typer.Option(None, "--from", help="Day or time (CST) the findings reach."),
    to: str | None = typer.Option(None, "--to", help="Day (inclusive) or time (exclusive)."),
    mn: str | None = typer.Option(None, "--mn", help="Device (HJ 212 MN)."),
    rule: str | None = typer.Option(None, "--rule", help="Rule id (see docs/supervision.md)."),
    pollutant: str | None = typer.Option(
        None, "--pollutant", help="HJ 212 code (a21026), name (二氧化硫) or formula (SO2)."
    ),
    fmt: str = typer.Option("table", "--format", help="table | csv | json"),
) -> None:
    """One row per finding: mn, source_code, outlet, pollutant, rule, start, end, evidence,
    severity."""
    from ecohub.cli.client import door
    from ecohub.supervision import COLUMNS

    if fmt not in FORMATS:
        fail(f"--format: expected one of {', '.join(FORMATS)}, got {fmt!r}")
    start, end = _time("--from", frm), _time("--to", to, end=True)
    with door(options=_OPTIONS) as d:
        rows = d.pages("/api/v1/supervision/anomalies", **_period(start, end), mn=mn, rule=rule,
                       pollutant=pollutant)  # fmt: skip
    _emit(rows, COLUMNS, fmt)


# The API's field names of the options whose names differ; a period error names both.
_OPTIONS = {"from": "from/--to", "to": "from/--to"}


def _period(start: datetime | None, end: datetime | None) -> dict[str, str | None]:
    """The period as the API reads it: exact ISO 8601 times (the CLI has resolved the days)."""
    return {
        "from": start.isoformat() if start else None,
        "to": end.isoformat() if end else None,
    }


def _cell(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False) if isinstance(value, dict) else str(value)


def _emit(rows: list[dict], columns: tuple[str, ...], fmt: str) -> None:
    emit_rows(rows, columns, fmt, cell=_cell)


@app.command()
def exceedances(
    frm: str | None = typer.Option(None, "--from", help="Day or time (CST) the events reach."),
    to: str | None = typer.Option(None, "--to", help="Day (inclusive) or time (exclusive)."),
    mn: str | None = typer.Option(None, "--mn", help="Device (HJ 212 MN)."),
    pollutant: str | None = typer.Option(
        None, "--pollutant", help="HJ 212 code (a21026), name (二氧化硫) or formula (SO2)."
    ),
    fmt: str = typer.Option("table", "--format", help="table | csv | json"),
) -> None:
    """One row per exceedance event: converted period means over the permit limit."""
    from ecohub.cli.client import door
    from ecohub.supervision import EXCEEDANCE_COLUMNS

    if fmt not in FORMATS:
        fail(f"--format: expected one of {', '.join(FORMATS)}, got {fmt!r}")
    start, end = _time("--from", frm), _time("--to", to, end=True)
    with door(options=_OPTIONS) as d:
        rows = d.pages(
            "/api/v1/supervision/exceedances", **_period(start, end), mn=mn, pollutant=pollutant
        )
    _emit(rows, EXCEEDANCE_COLUMNS, fmt)


def load_permits(
    path: Path = typer.Argument(
        ...,
        help="CSV / XLSX / Parquet: one row per permit, outlet and "
        "pollutant (docs/supervision.md).",
    ),
) -> None:
    """Load permit emission limits; bad rows are rejected with reasons (FILE.rejects.csv)."""
    from ecohub.cli.client import door
    from ecohub.cli.server_files import Rejects, file_job

    with door(name_options=False) as d:
        summary = file_job(
            d, "load-permits", {}, "loading permits", file=path,
            rejects=Rejects("reject"), route="/api/v1/supervision/permits",
        )  # fmt: skip
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
    from ecohub.cli.client import door
    from ecohub.supervision import RuleError, select_rules

    start, end = _time("--from", frm), _time("--to", to, end=True)
    assert start is not None and end is not None
    try:
        select_rules(rule)  # checked here too: the message names the option, as before
    except RuleError as exc:
        fail(f"--rule: {exc}")
    with door(options={**_OPTIONS, "rules": "rule"}) as d:
        summary = d.job(
            "supervise-detect",
            {**_period(start, end), "rules": rule or None},
            "detecting",
            path="/api/v1/supervision/detect",
        )
    typer.echo(json.dumps(summary, ensure_ascii=False, indent=1))
