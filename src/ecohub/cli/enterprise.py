"""`ecohub source …` (profile, watch list, unapproved) and `ecohub load cases|eia` (thin: the
API through :func:`ecohub.cli.client.door`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from ecohub.cli._common import console, fail
from ecohub.cli.load import app as load_app
from ecohub.cli.rows import emit_rows

app = typer.Typer(no_args_is_help=True)
FORMATS = ("table", "csv", "json")
FORMAT = typer.Option("table", "--format", help="table | csv | json")


def _check(fmt: str) -> None:
    if fmt not in FORMATS:
        fail(f"--format: expected one of {', '.join(FORMATS)}, got {fmt!r}")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return ", ".join(value)
    if isinstance(value, list) and all(isinstance(v, dict) and "factor" in v for v in value):
        return "; ".join(f"{v['factor']} {v['contribution']:g}" for v in value)
    if isinstance(value, list) and all(isinstance(v, dict) and "kind" in v for v in value):
        return "; ".join(f"{v['kind']} {v['day']} {v['ref']}" for v in value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _emit(rows: list[dict[str, Any]], columns: tuple[str, ...], fmt: str, title: str) -> None:
    emit_rows(rows, columns, fmt, cell=_cell, title=title)


@app.command()
def profile(
    code: str = typer.Argument(..., help="Source code."),
    month: str = typer.Option(None, "--month", help="Month of the risk score, YYYY-MM."),
    fmt: str = FORMAT,
) -> None:
    """One source: registry records, permits, devices, exceedances, anomalies, cases,
    complaints, EIA approvals, the explained risk score and the unapproved finding."""
    from ecohub.cli.client import door

    _check(fmt)
    with door() as d:
        data = d.get(f"/api/v1/sources/{code}/profile", month=month)
    if fmt == "json":
        typer.echo(json.dumps(data, ensure_ascii=False, indent=1))
        return
    factors = [{k: f[k] for k in ("factor", "raw", "weight", "cap", "contribution")}
               for f in data["risk"]["factors"]]  # fmt: skip
    if fmt == "csv":  # the risk factors: the part of the profile that is a table
        _emit(factors, ("factor", "raw", "weight", "cap", "contribution"), fmt, "")
        return
    s = data["source"]
    r = data["risk"]
    console.print(f"[bold]{s['source_code']}[/] {s.get('name') or ''}  region "
                  f"{s.get('region_code') or '-'}  industry {s.get('industry') or '-'}",
                  highlight=False)  # fmt: skip
    console.print(f"risk {r['month']}: {r['score']:.2f}  serious: "
                  f"{', '.join(r['serious']) or 'none'}", highlight=False)  # fmt: skip
    _emit(factors, ("factor", "raw", "weight", "cap", "contribution"), "table", "risk factors")
    if data["unapproved"]:
        u = data["unapproved"]
        console.print(f"unapproved: {u['status']} (first approval {u['first_approval'] or '-'})",
                      highlight=False)  # fmt: skip
    # An enterprise caller gets the count alone (``complaints`` is null; see the profile).
    console.print(f"linked complaints: {data.get('complaint_count', 0)}", highlight=False)
    for title in ("devices", "exceedances", "anomalies", "cases", "eia", "complaints",
                  "permits"):  # fmt: skip
        rows = data[title]
        if rows:
            _emit(rows, tuple(rows[0]), "table", title)


@app.command()
def watchlist(
    region: str = typer.Option(None, "--region", help="GB/T 2260 code (default: your scope)."),
    month: str = typer.Option(None, "--month", help="YYYY-MM (default: this month)."),
    limit: int = typer.Option(50, "--limit", help="At most this many sources."),
    fmt: str = FORMAT,
) -> None:
    """The month's watch list: sources with a serious violation, highest risk score first."""
    from ecohub.cli.client import door
    from ecohub.enterprise import WATCHLIST_COLUMNS

    _check(fmt)
    with door() as d:
        data = d.get("/api/v1/sources/watchlist", region=region, month=month, limit=limit)
    _emit(data["items"], WATCHLIST_COLUMNS, fmt, f"watch list {data['month']}")


@app.command()
def unapproved(
    region: str = typer.Option(None, "--region", help="GB/T 2260 code (default: your scope)."),
    fmt: str = FORMAT,
) -> None:
    """Sources built or run before their EIA approval, or without one where it is required."""
    from ecohub.cli.client import door
    from ecohub.enterprise import UNAPPROVED_COLUMNS

    _check(fmt)
    with door() as d:
        data = d.get("/api/v1/sources/unapproved", region=region)
    _emit(data["items"], UNAPPROVED_COLUMNS, fmt, "built before approval")


def _load(kind: str, file: Path, reject: Path | None, force: bool) -> None:
    from ecohub.cli.client import door
    from ecohub.cli.server_files import Rejects, file_job

    if not file.is_file():
        fail(f"{file}: no such file")
    with door(name_options=False) as d:  # the messages name the file and the column
        r = file_job(d, kind, {"force": force}, file.name, file=file,
                     rejects=Rejects("reject", reject))  # fmt: skip
    if r["already_loaded"]:
        console.print(f"{r['path']}: already loaded ({r['unchanged']:,} rows); nothing to do "
                      "(use --force to load it again)", highlight=False)  # fmt: skip
        return
    console.print(
        f"{r['path']}: {r['rows_read']:,} rows read, {r['new']:,} new, {r['updated']:,} changed, "
        f"{r['unchanged']:,} unchanged, {r['rejected']:,} rejected; linked {r['linked']:,}, "
        f"review {r['review']:,}, unmatched {r['unmatched']:,}",
        highlight=False,
    )
    for x in r["first_rejects"][:5]:
        console.print(f"  row {x['row']}, {x['column']}: {x['reason']}", highlight=False)
    if r["reject_path"]:
        console.print(f"rejects: {r['reject_path']}", highlight=False)


REJECT = typer.Option(None, "--reject", help="Reject file (default: <FILE>.rejects.csv).")
FORCE = typer.Option(False, "--force", help="Load even if this exact file was loaded before.")


def load_cases(
    file: Path = typer.Argument(..., help="CSV / XLSX / Parquet of inspections and penalties."),
    reject: Path = REJECT,
    force: bool = FORCE,
) -> None:
    """Load enforcement cases and link them to registry sources (docs/enterprise.md)."""
    _load("load-cases", file, reject, force)


def load_eia(
    file: Path = typer.Argument(..., help="CSV / XLSX / Parquet of EIA approvals."),
    reject: Path = REJECT,
    force: bool = FORCE,
) -> None:
    """Load EIA approvals and link them to registry sources (docs/enterprise.md)."""
    _load("load-eia", file, reject, force)


# Registered on the loaders' group from here, so that module is not edited by this package.
load_app.command("cases")(load_cases)
load_app.command("eia")(load_eia)
