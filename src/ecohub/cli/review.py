"""`ecohub review` sub-commands: run the automatic data review, list and summarise flags,
and record an operator's decision. Thin: each calls :mod:`ecohub.supervision.review`."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

import pandas as pd
import typer
from rich.table import Table

from ecohub.cli._common import console, fail, open_store

app = typer.Typer(no_args_is_help=True)

FORMATS = ("table", "csv", "json")
_OPTIONS = {"start": "from", "end": "to"}


def _day(text: str | None, name: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail(f"--{name}: expected a day YYYY-MM-DD, got {text!r}", code=2)


def _principal() -> Any:  # the operator at the store's own machine
    from ecohub.access import Principal

    return Principal("local", "admin", via="local")


def _service(fn: Any) -> Any:
    """Run a service call; its known errors become one line naming the option at fault."""
    from ecohub.access import AccessDenied
    from ecohub.supervision.review import ReviewError

    try:
        return fn()
    except ReviewError as exc:
        field = exc.field
        fail(f"--{_OPTIONS.get(field, field)}: {exc}" if field else str(exc), code=2)
    except AccessDenied as exc:
        fail(str(exc))


def _emit(df: pd.DataFrame, fmt: str, title: str) -> None:
    if fmt == "csv":
        typer.echo(df.to_csv(index=False), nl=False)
    elif fmt == "json":
        out = df.copy()
        for col in out.columns:
            if pd.api.types.is_datetime64_any_dtype(out[col]):
                out[col] = out[col].map(lambda t: t.isoformat())
        typer.echo(json.dumps(json.loads(out.to_json(orient="records")), ensure_ascii=False,
                              indent=1))  # fmt: skip
    else:
        table = Table(title=title)
        for col in df.columns:
            table.add_column(str(col), overflow="fold")
        for row in df.itertuples(index=False):
            table.add_row(*("" if pd.isna(v) else str(v) for v in row))
        console.print(table)


def _check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        fail(f"--format: expected one of {', '.join(FORMATS)}, got {fmt!r}", code=2)


@app.command("run")
def run_cmd(
    start: str = typer.Option(None, "--from", help="first day, YYYY-MM-DD (CST); default: all"),
    end: str = typer.Option(None, "--to", help="last day, YYYY-MM-DD (CST); default: all"),
) -> None:
    """Review stored history: flag the hourly values the rules find (decisions are kept)."""
    from ecohub.cst import CST
    from ecohub.supervision.review import run

    d0, d1 = _day(start, "from"), _day(end, "to")
    if d0 and d1 and d0 > d1:
        fail(f"--from: {d0} is after --to {d1}", code=2)
    lo = datetime(d0.year, d0.month, d0.day, tzinfo=CST) if d0 else None
    hi = datetime(d1.year, d1.month, d1.day, 23, 59, 59, tzinfo=CST) if d1 else None
    con = open_store()
    try:
        res = _service(lambda: run(con, first_time=lo, last_time=hi))
    finally:
        con.close()
    if res["window"] is None:
        console.print("no hourly observations stored: nothing to review")
        return
    rows = sorted(res["flagged"].items())
    _emit(pd.DataFrame(rows, columns=["rule", "flags"]), "table", "flags in the window")
    console.print(f"new flags: {res['new']}, undecided flags withdrawn: {res['removed']}",
                  highlight=False)  # fmt: skip


@app.command("flags")
def flags_cmd(
    station: str = typer.Option(None, "--station", help="station id"),
    parameter: str = typer.Option(None, "--parameter", help="HJ 212 code or name (PM2.5)"),
    start: str = typer.Option(None, "--from", help="first day, YYYY-MM-DD (CST)"),
    end: str = typer.Option(None, "--to", help="last day, YYYY-MM-DD (CST)"),
    rule: str = typer.Option(None, "--rule", help="rule id (see docs/review.md)"),
    status: str = typer.Option(None, "--status", help="flagged | confirmed | overruled"),
    fmt: str = typer.Option("table", "--format", help="table | csv | json"),
) -> None:
    """One row per flagged value: station_id, parameter, period, time, value, rule, reason,
    status."""
    from ecohub.supervision.review import flags

    _check_format(fmt)
    d0, d1 = _day(start, "from"), _day(end, "to")
    con = open_store(read_only=True)
    try:
        df = _service(lambda: flags(con, station=station, parameter=parameter, start=d0, end=d1,
                                    rule=rule, status=status))  # fmt: skip
    finally:
        con.close()
    _emit(df, fmt, f"review flags ({len(df)})")


@app.command("summary")
def summary_cmd(
    station: str = typer.Option(None, "--station", help="station id"),
    parameter: str = typer.Option(None, "--parameter", help="HJ 212 code or name (PM2.5)"),
    start: str = typer.Option(None, "--from", help="first day, YYYY-MM-DD (CST)"),
    end: str = typer.Option(None, "--to", help="last day, YYYY-MM-DD (CST)"),
    fmt: str = typer.Option("table", "--format", help="table | csv | json"),
) -> None:
    """Values each rule set aside per station and pollutant (and '(any)': each value once)."""
    from ecohub.supervision.review import summary

    _check_format(fmt)
    d0, d1 = _day(start, "from"), _day(end, "to")
    con = open_store(read_only=True)
    try:
        df = _service(lambda: summary(con, station=station, parameter=parameter, start=d0,
                                      end=d1))  # fmt: skip
    finally:
        con.close()
    _emit(df, fmt, "values set aside by the review")


@app.command("decide")
def decide_cmd(
    station: str = typer.Option(..., "--station", help="station id"),
    parameter: str = typer.Option(..., "--parameter", help="HJ 212 code or name (PM2.5)"),
    time: str = typer.Option(..., "--time", help="hour start, ISO 8601 (naive = CST)"),
    status: str = typer.Option(..., "--status", help="confirmed | overruled | flagged (undo)"),
    rule: str = typer.Option(None, "--rule", help="only this rule's flag (default: all)"),
) -> None:
    """Confirm or overrule the flags of one value (audited)."""
    from ecohub.supervision.review import decide

    try:
        when = datetime.fromisoformat(time)
    except ValueError:
        fail(f"--time: expected an ISO 8601 time such as 2016-05-01T08:00, got {time!r}", code=2)
    con = open_store()
    try:
        n = _service(lambda: decide(con, _principal(), station_id=station, parameter=parameter,
                                    time=when, status=status, rule=rule))  # fmt: skip
    finally:
        con.close()
    console.print(f"{n} flag(s) set to {status}", highlight=False)
