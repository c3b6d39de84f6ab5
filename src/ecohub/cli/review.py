"""`ecohub review` sub-commands: run the automatic data review, list and summarise flags,
and record an operator's decision. Thin: each asks the API (`/api/v1/review`) through the
door, so they work while `ecohub up` runs."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import pandas as pd
import typer
from rich.table import Table

from ecohub.cli._common import console, fail

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


@contextlib.contextmanager
def _door() -> Iterator[Any]:
    """The door to the API; a refused request ends the command naming the option at fault
    (exit 2 for a bad option, as the service's own errors did)."""
    from ecohub.cli.client import Door, DoorError

    d = Door()
    try:
        yield d
    except DoorError as exc:
        text, field = str(exc), exc.field
        if field:
            field = field.removeprefix("params.").removeprefix("body.")
            reason = text.removeprefix(f"{field}: ")
            fail(f"--{_OPTIONS.get(field, field)}: {reason}", code=2 if exc.status < 500 else 1)
        fail(text)
    finally:
        d.close()


def _frame(items: list[dict[str, Any]], columns: list[str]) -> pd.DataFrame:
    """The API's rows as the service's frame (times back to datetimes)."""
    df = pd.DataFrame(items, columns=columns)
    if "time" in df.columns:
        df["time"] = pd.to_datetime(df["time"])
    return df


def _emit(df: pd.DataFrame, fmt: str, title: str) -> None:
    if fmt == "csv":
        from ecohub.queries.export import csv_bytes

        typer.echo(csv_bytes(df).decode("utf-8"), nl=False)
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


def _days(d0: date | None, d1: date | None) -> dict[str, str | None]:
    return {"from": d0.isoformat() if d0 else None, "to": d1.isoformat() if d1 else None}


def _check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        fail(f"--format: expected one of {', '.join(FORMATS)}, got {fmt!r}", code=2)


@app.command("run")
def run_cmd(
    start: str = typer.Option(None, "--from", help="first day, YYYY-MM-DD (CST); default: all"),
    end: str = typer.Option(None, "--to", help="last day, YYYY-MM-DD (CST); default: all"),
) -> None:
    """Review stored history: flag the hourly values the rules find (decisions are kept)."""
    from ecohub.supervision.review import ReviewError
    from ecohub.supervision.review.inputs import day_window

    try:
        day_window(start, end)  # the service's check, before anything is queued
    except ReviewError as exc:
        fail(f"--{exc.field or 'from'}: {exc}", code=2)
    with _door() as d:
        body = {"from": start, "to": end}
        res = d.job("review-run", body, "reviewing", path="/api/v1/review/run")
    if res["window"] is None:
        console.print("no hourly observations stored: nothing to review")
        return
    rows = sorted(res["flagged"].items())
    _emit(pd.DataFrame(rows, columns=["rule", "flags"]), "table", "flags in the window")
    console.print(f"new flags: {res['new']}, undecided flags withdrawn: {res['removed']}, "
                  f"decisions lapsed (value changed): {res.get('lapsed', 0)}",
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
    from ecohub.supervision.review import COLUMNS

    _check_format(fmt)
    d0, d1 = _day(start, "from"), _day(end, "to")
    with _door() as d:
        items = d.pages("/api/v1/review/flags", station=station, parameter=parameter,
                        rule=rule, status=status, **_days(d0, d1))  # fmt: skip
    df = _frame(items, COLUMNS)
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
    _check_format(fmt)
    d0, d1 = _day(start, "from"), _day(end, "to")
    with _door() as d:
        body = d.get("/api/v1/review/summary", station=station, parameter=parameter,
                     **_days(d0, d1))  # fmt: skip
    from ecohub.supervision.review.reading import summary_frame

    _emit(summary_frame(body["items"]), fmt, "values set aside by the review")


@app.command("decide")
def decide_cmd(
    station: str = typer.Option(..., "--station", help="station id"),
    parameter: str = typer.Option(..., "--parameter", help="HJ 212 code or name (PM2.5)"),
    time: str = typer.Option(..., "--time", help="hour start, ISO 8601 (naive = CST)"),
    status: str = typer.Option(..., "--status", help="confirmed | overruled | flagged (undo)"),
    rule: str = typer.Option(None, "--rule", help="only this rule's flag (default: all)"),
) -> None:
    """Confirm or overrule the flags of one value (audited)."""
    try:
        when = datetime.fromisoformat(time)
    except ValueError:
        fail(f"--time: expected an ISO 8601 time such as 2016-05-01T08:00, got {time!r}", code=2)
    with _door() as d:
        out = d.post("/api/v1/review/flags/decision", {"station": station,
                     "parameter": parameter, "time": when.isoformat(), "status": status,
                     "rule": rule})  # fmt: skip
    n = out["changed"]
    console.print(f"{n} flag(s) set to {status}", highlight=False)
