"""`ecohub water` sub-commands: assess the store's sections, classify one sample."""

from __future__ import annotations

import math
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import typer
from rich.table import Table

from ecohub.cli._common import console, err_console, fail

app = typer.Typer(no_args_is_help=True)

_SHOW_ISSUES = 10


def _pct(x: float | None) -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.1%}"


def _num(x: Any, fmt: str = "{:.2f}") -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else fmt.format(x)


def _print_assessment(res: Any) -> None:
    s = res.summary
    console.print(
        f"[bold]Surface water {s['period']}[/] (method {s['method']}): {s['n_sections']} "
        f"sections, I-III {_pct(s['ratio_i_iii'])}, 劣V {_pct(s['ratio_worse_v'])}",
        highlight=False,
    )
    dist = Table(title="Class distribution")
    for col in ("group", "waterbody", "sections", "I", "II", "III", "IV", "V", "劣V"):
        dist.add_column(col, justify="left" if col in ("group", "waterbody") else "right")
    for col in ("I-III", "劣V %", "status", "basis"):
        dist.add_column(col)
    for row in res.distribution.to_dict("records"):
        dist.add_row(
            str(row["group"]),
            str(row["waterbody"]),
            str(row["n_sections"]),
            *(str(row.get(g, 0)) for g in ("I", "II", "III", "IV", "V", "劣V")),
            _pct(row["ratio_i_iii"]),
            _pct(row["ratio_worse_v"]),
            str(row["status"]),
            str(row["status_basis"]),
        )
    console.print(dist)
    sec = Table(title="Sections")
    for col in ("station", "waterbody", "basin", "class", "status", "deciding", "main pollutants"):
        sec.add_column(col)
    for r in res.sections.itertuples(index=False):
        sec.add_row(
            str(r.station_id),
            str(r.waterbody),
            str(r.basin),
            str(r.grade),
            str(r.status),
            str(r.deciding),
            str(r.main_pollutants),
        )
    console.print(sec)
    if not res.driving.empty:
        drv = Table(title="Items worse than class III (断面超标率, 超标倍数)")
        for col in ("group", "waterbody", "item", "sections", "rate", "mean ×", "max ×"):
            drv.add_column(col)
        drv.add_column("sample freq.")
        drv.add_column("main")
        for r in res.driving.itertuples(index=False):
            drv.add_row(
                str(r.group),
                str(r.waterbody),
                str(r.item),
                f"{r.sections_over_iii}/{r.n_sections}",
                _pct(r.section_rate),
                _num(r.mean_exceed),
                _num(r.max_exceed),
                _pct(r.sample_frequency),
                "yes" if r.main else "",
            )
        console.print(drv)
    for note in res.notes:
        err_console.print(f"[yellow]note:[/] {note}", highlight=False)
    if res.n_issues:
        err_console.print(
            f"[yellow]{res.n_issues} sample value(s) left out[/] (first {_SHOW_ISSUES}):",
            highlight=False,
        )
        for r in res.issues.head(_SHOW_ISSUES).itertuples(index=False):
            err_console.print(
                f"  {r.station_id} {r.parameter} {r.time}: {r.problem}", highlight=False
            )


@app.command("assess")
def assess(
    year: int | None = typer.Option(None, "--year", help="Calendar year (default: latest)."),
    month: str | None = typer.Option(None, "--month", help="One month, YYYY-MM."),
    region: str | None = typer.Option(
        None, "--region", help="GB/T 2260 code (with sub-divisions)."
    ),
    basin: str | None = typer.Option(None, "--basin", help="Basin name as on the station."),
    method: str = typer.Option("2011", "--method", help="2011 (assessment method) or gb3838."),
    by: str = typer.Option("basin", "--by", help="Distribution groups: basin, region_code, all."),
    out: Path | None = typer.Option(
        None, "--out", help="Write the section classes (.csv/.parquet/.xlsx)."
    ),
    store: bool = typer.Option(True, "--store/--no-store", help="Save the classes in the store."),
) -> None:
    """Classify every surface-water section of a year or month and summarise (2011 method)."""
    import pandas as pd

    from ecohub.analytics.export import ExportError, check_target, export_table
    from ecohub.cli.client import door

    if method not in ("2011", "gb3838"):
        fail(f"--method: expected 2011 or gb3838, got {method!r}")
    if out is not None:
        try:
            check_target(out)
        except ExportError as exc:
            fail(f"--out: {exc}")
    params = {"year": year, "month": month, "region": region, "basin": basin, "method": method,
              "by": by, "store": store}  # fmt: skip
    with door(name_options=False) as d:
        got = d.job("water-assess", params, "water assess")
    res = SimpleNamespace(**got)
    for name in ("sections", "distribution", "driving", "issues"):
        setattr(res, name, pd.DataFrame(got[name]))
    _print_assessment(res)
    if out is not None:
        try:
            export_table(res.sections, out)
        except ExportError as exc:
            fail(f"--out: {exc}")
        console.print(f"wrote {out}", highlight=False)


@app.command("classify")
def classify(
    pairs: list[str] = typer.Argument(..., help="ITEM=VALUE, e.g. COD=18 w21003=0.4 pH=7.2"),
    waterbody: str = typer.Option("river", "--waterbody", help="river, lake or reservoir."),
    method: str = typer.Option("gb3838", "--method", help="gb3838 or 2011."),
) -> None:
    """Class of one sample by GB 3838-2002 (single factor) or the 2011 method."""
    from ecohub.standards import water
    from ecohub.standards.errors import StandardsError

    sample: dict[str, float] = {}
    for text in pairs:
        key, sep, value = text.partition("=")
        if not sep or not key.strip():
            fail(f"{text!r}: expected ITEM=VALUE")
        try:
            sample[key.strip()] = float(value)
        except ValueError:
            fail(f"{key.strip()}: expected a number, got {value!r}")
    try:
        res = water.classify(sample, waterbody, method)
    except StandardsError as exc:
        fail(str(exc))
    console.print(
        f"class [bold]{res.grade}[/] ({res.status}); deciding: {', '.join(res.deciding)}",
        highlight=False,
    )
    t = Table()
    for col in ("item", "class", "超标倍数"):
        t.add_column(col)
    for item, grade in res.item_grades.items():
        t.add_row(item, grade, _num(res.exceed.get(item), "{:.1f}"))
    for item, grade in res.reference_grades.items():
        t.add_row(item, f"{grade} (reference)", "")
    console.print(t)
    if res.main_pollutants:
        console.print("main pollutants: " + ", ".join(res.main_pollutants), highlight=False)
    if res.not_assessed:
        console.print("not assessed: " + ", ".join(res.not_assessed), highlight=False)
