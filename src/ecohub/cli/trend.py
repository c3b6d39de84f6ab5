"""`ecohub trend`: Mann-Kendall / seasonal Kendall trends per station and parameter.

Runs as a job through :mod:`ecohub.cli.client` (the running server, or in-process).
"""

from __future__ import annotations

import math
from pathlib import Path

import typer
from rich.table import Table

from ecohub.cli._common import console, err_console, fail

app = typer.Typer(no_args_is_help=False)


def _code(text: str) -> str:
    from ecohub.ingest.params import parameter_hint, resolve_parameter

    hit = resolve_parameter(text)
    if hit is None:
        fail(f"--parameter: unknown parameter {text!r}; {parameter_hint(text)}")
    return hit.code


def _fmt(x: object, spec: str) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return format(x, spec)


@app.command()
def trend(
    station: list[str] | None = typer.Option(None, "--station", help="Station id (repeatable)."),
    parameter: list[str] | None = typer.Option(
        None, "--parameter", help="PM2.5, NO2, COD, a34004, … (repeatable)."
    ),
    year_from: int | None = typer.Option(None, "--from", help="First year (inclusive)."),
    year_to: int | None = typer.Option(None, "--to", help="Last year (inclusive)."),
    seasonal: bool = typer.Option(
        True, "--seasonal/--no-seasonal", help="Seasonal Kendall (12 months) or plain MK."
    ),
    alpha: float = typer.Option(0.05, "--alpha", help="Significance level."),
    raw: bool = typer.Option(
        False, "--raw", help="Every value; default: leave out what the data review set aside."
    ),
    out: Path | None = typer.Option(None, "--out", help="Write the results (.csv/.parquet/.xlsx)."),
    store: bool = typer.Option(True, "--store/--no-store", help="Save the results in the store."),
) -> None:
    """Trend of the monthly means of each station and parameter, with Sen's slope per year."""
    import pandas as pd

    from ecohub.analytics.export import ExportError, check_target, export_table
    from ecohub.cli.client import door

    if not 0 < alpha < 1:
        fail(f"--alpha: expected a number between 0 and 1, got {alpha}")
    if year_from is not None and year_to is not None and year_from > year_to:
        fail(f"--from {year_from} is after --to {year_to}")
    if out is not None:
        try:
            check_target(out)
        except ExportError as exc:
            fail(f"--out: {exc}")
    codes = [_code(p) for p in parameter] if parameter else None
    params = {"stations": station or None, "parameters": codes, "year_from": year_from,
              "year_to": year_to, "seasonal": seasonal, "alpha": alpha, "raw": raw,
              "store": store}  # fmt: skip
    with door(name_options=False) as d:
        rows = d.job("trend", params, "trend")["rows"]
    if not rows:
        fail("no observation matches the station, parameter and years given")
    table = pd.DataFrame(rows)
    record = "raw record" if raw else "reviewed record"
    t = Table(
        title=f"{'Seasonal Kendall' if seasonal else 'Mann-Kendall'} trend, α = {alpha}, {record}"
    )
    for col in ("station", "parameter", "from", "to", "n", "slope/yr", "unit", "Z", "p", "tau"):
        t.add_column(col, justify="right" if col in ("n", "slope/yr", "Z", "p", "tau") else "left")
    t.add_column("trend")
    for r in table.itertuples(index=False):
        style = {"increasing": "red", "decreasing": "green"}.get(str(r.trend), "")
        t.add_row(
            str(r.station_id),
            str(r.parameter),
            str(r.period_from)[:7],
            str(r.period_to)[:7],
            str(r.n),
            _fmt(r.slope_per_year, ".3g"),
            str(r.unit),
            _fmt(r.z, ".2f"),
            _fmt(r.p, ".3f"),
            _fmt(r.tau, ".2f"),
            f"[{style}]{r.trend}[/]" if style else str(r.trend),
        )
    console.print(t)
    if not raw:
        n = int(table.n_set_aside.sum())
        console.print(f"{n} value(s) set aside by the data review left out (--raw: all)")
    for r in table[table.note != ""].itertuples(index=False):
        err_console.print(f"[yellow]{r.station_id} {r.parameter}:[/] {r.note}", highlight=False)
    if out is not None:
        try:
            export_table(table, out)
        except ExportError as exc:
            fail(f"--out: {exc}")
        console.print(f"wrote {out}", highlight=False)
