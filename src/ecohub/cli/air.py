"""`ecohub air` sub-commands: AQI, HJ 663 assessment, and (re)computing the stored results.

Thin: every command calls the API route of :mod:`ecohub.analytics.air_service` through
:mod:`ecohub.cli.client` (the running server, or the same app in-process) and prints it.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import typer
from rich.table import Table

from ecohub.cli._common import console, fail

app = typer.Typer(no_args_is_help=True)

_SHOW_ROWS = 40


def _date(text: str | None, name: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail(f"--{name}: expected YYYY-MM-DD, got {text!r}")


def _print(df: pd.DataFrame, title: str, limit: int = _SHOW_ROWS) -> None:
    table = Table(title=title, show_lines=False)
    for col in df.columns:
        table.add_column(str(col), overflow="fold")
    for row in df.head(limit).itertuples(index=False):
        table.add_row(*("" if pd.isna(v) else str(v) for v in row))
    console.print(table)
    if len(df) > limit:
        console.print(f"… {len(df) - limit} more rows (use --out to write them all)")


def _service(fn: Any) -> Any:
    """Run a service call, turning its known errors into a one-line message that names the
    option at fault."""
    from ecohub.analytics.air_input import AirInputError
    from ecohub.analytics.export import ExportError
    from ecohub.analytics.hj663 import RuleError
    from ecohub.standards.errors import StandardsError

    try:
        return fn()
    except AirInputError as exc:
        field = getattr(exc, "field", None)
        fail(f"--{_OPTIONS.get(field, field)}: {exc}" if field else str(exc))
    except ExportError as exc:
        fail(f"--out: {exc}")
    except (RuleError, StandardsError) as exc:
        fail(str(exc))


# Service fields -> the option that sets them.
_OPTIONS = {"start": "from", "end": "to"}


def _target(out: Path | None) -> None:
    from ecohub.analytics.export import check_target

    if out is not None:
        _service(lambda: check_target(out))


@app.command("aqi")
def aqi_cmd(
    station: list[str] = typer.Option(None, "--station", help="station id (repeatable)"),
    region: str = typer.Option(None, "--region", help="GB/T 2260 code: stations in it"),
    start: str = typer.Option(None, "--from", help="first day, YYYY-MM-DD (CST)"),
    end: str = typer.Option(None, "--to", help="last day, YYYY-MM-DD (CST)"),
    kind: str = typer.Option("daily", "--kind", help="hourly | daily"),
    scope: str = typer.Option("station", "--scope", help="station | city"),
    edition: str = typer.Option("auto", "--edition", help="2012 | 2026 | auto (by date)"),
    out: Path = typer.Option(None, "--out", help="write all rows to .csv/.parquet/.xlsx"),
    raw: bool = typer.Option(False, "--raw", help="use every value, not the reviewed record"),
) -> None:
    """Hourly (real-time) or daily AQI per station or city (HJ 633)."""
    from ecohub.analytics.export import export_table
    from ecohub.cli.client import door

    if kind not in ("hourly", "daily"):
        fail(f"--kind: must be hourly or daily, got {kind!r}")
    for text, name in ((start, "from"), (end, "to")):
        _date(text, name)
    _target(out)
    with door(options=_OPTIONS) as d:
        items = d.pages(
            f"/api/v1/air/aqi/{kind}", station=station or None, region=region, scope=scope,
            **{"from": start, "to": end}, edition=edition, raw=raw or None,
        )  # fmt: skip
    cols = ["code", "date" if kind == "daily" else "time", "edition", "aqi", "level", "category",
            "primary_pollutants", "published"]  # fmt: skip
    df = pd.DataFrame(items) if items else pd.DataFrame(columns=cols)
    if out is not None:
        _service(lambda: export_table(df, out))
        console.print(f"wrote {len(df)} rows to {out}")
    _print(df[cols], f"{kind} AQI ({scope})")


@app.command("assess")
def assess_cmd(
    year: int = typer.Option(..., "--year", help="calendar year to assess"),
    region: str = typer.Option(None, "--region", help="GB/T 2260 code: stations in it"),
    edition: str = typer.Option("auto", "--edition", help="HJ 633 edition of the AQI days"),
    out: Path = typer.Option(None, "--out", help="write the statistics (.csv/.parquet/.xlsx)"),
    raw: bool = typer.Option(False, "--raw", help="use every value, not the reviewed record"),
) -> None:
    """HJ 663 annual assessment: statistics, category days, good-day ratio, index, rank."""
    from ecohub.analytics.air_tables import check_year
    from ecohub.analytics.export import export_table
    from ecohub.cli.client import door

    _service(lambda: check_year(year))
    _target(out)
    with door(options=_OPTIONS) as d:
        got = d.get(
            "/api/v1/air/assessments", year=year, region=region, edition=edition, raw=raw or None
        )
    res = {k: pd.DataFrame(got[k]) for k in ("stats", "days", "index", "monthly")}
    if res["days"].empty or (int(res["days"].days.sum()) == 0 and res["stats"].empty):
        fail(f"no air data in {year}" + (f" for region {region}" if region else ""))
    named = res["stats"].assign(column=res["stats"].pollutant + " " + res["stats"].statistic)
    stats = named.pivot_table(
        index=["scope", "code"], columns="column", values="value", aggfunc="first"
    ).reset_index()
    valid = res["stats"].groupby(["scope", "code"]).valid.all().rename("all valid").reset_index()
    stats = stats.merge(valid, on=["scope", "code"])
    idx = res["index"][["scope", "code", "index"] + (["rank"] if "rank" in res["index"] else [])]
    stats = stats.merge(idx, on=["scope", "code"], how="left")
    _print(stats, f"HJ 663 statistics {year} (µg/m³, CO mg/m³; O3 of daily max 8-h means)")
    judged = pd.DataFrame(got.get("compliance", []))
    if not judged.empty:
        word = {True: "达标", False: "超标"}
        judged["verdict"] = judged.meets.map(lambda m: word.get(m, "-") if m is not None else "-")
        table = judged.pivot_table(
            index=["scope", "code"], columns="pollutant", values="verdict", aggfunc="first"
        ).reset_index()
        _print(table, f"GB 3095 class 2 by pollutant {year} (- : a statistic not valid)")
    day_cols = ["scope", "code", "days", "days_incomplete", "good_days", "good_ratio"]
    day_cols += [f"level{i}" for i in range(1, 7)] + ["primary_pm25", "primary_o3"]
    _print(res["days"][day_cols], f"AQI category days {year}")
    if out is not None:
        _service(
            lambda: export_table(res["stats"].merge(idx, on=["scope", "code"], how="left"), out)
        )
        console.print(f"wrote statistics to {out}")


@app.command("compute")
def compute_cmd(
    edition: str = typer.Option("auto", "--edition", help="2012 | 2026 | auto (by date)"),
    full: bool = typer.Option(False, "--full", help="recompute everything, not only what changed"),
    raw: bool = typer.Option(False, "--raw", help="store results of every value, unreviewed"),
) -> None:
    """(Re)compute the stored air results (air_hourly_aqi, air_daily, air_period_stat,
    air_category_days): the first time whole, then only the days whose data changed."""
    from ecohub.cli.client import door

    with door(options=_OPTIONS) as d:
        res = d.job("air-compute", {"edition": edition, "full": full, "raw": raw}, "air compute")
    rows = sorted(res["written"].items())
    _print(pd.DataFrame(rows, columns=["table", "rows"]), f"air results stored ({res['mode']})")
    console.print(f"station-days computed: {res['station_days']}", highlight=False)
    for reason, n in {**res["set_aside"]}.items():
        console.print(f"[yellow]{n} observation row(s) set aside:[/] {reason}", highlight=False)
