"""`ecohub registry` sub-commands: a thin shell over ``ecohub.registry`` service functions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from ecohub.cli._common import console, fail

app = typer.Typer(no_args_is_help=True)


def _parse_map(items: list[str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items or []:
        for part in item.split(","):
            if "=" not in part:
                fail(f"--map expects field=column[+column], got {part!r}")
            k, v = part.split("=", 1)
            out[k.strip()] = v.strip()
    return out


def _print_json(data: Any) -> None:
    console.print_json(json.dumps(data, ensure_ascii=False, default=str))


def _summary(title: str, data: dict[str, Any], as_json: bool) -> None:
    """A two-column summary for people, or the same data as JSON for scripts (``--json``)."""
    if as_json:
        _print_json(data)
        return
    table = Table(title=title, show_header=False)
    table.add_column("", style="bold")
    table.add_column("")
    for key, value in data.items():
        table.add_row(key.replace("_", " "), "-" if value is None else str(value))
    console.print(table)


JSON_OPT = typer.Option(False, "--json", help="Print JSON instead of a table.")


@app.command()
def load(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="CSV, XLSX or Parquet"),
    system: str = typer.Option(..., "--system", help="Name of the contributing system"),
    map_: list[str] = typer.Option(None, "--map", help="field=column[+column], repeatable"),
    crs: str = typer.Option("wgs84", "--crs", help="Datum of lon/lat: wgs84 | gcj02"),
    rejects: Path = typer.Option(None, "--rejects", help="Reject file (default FILE.rejects.csv)"),
    full_list: bool = typer.Option(
        False,
        "--full-list",
        help="FILE is the system's whole list: its records missing from it are marked withdrawn",
    ),
    as_json: bool = JSON_OPT,
) -> None:
    """Load one system's list of enterprises into source_record (a job on the server)."""
    from ecohub.cli.client import door
    from ecohub.cli.server_files import Rejects, file_job

    params = {
        "system": system,
        "mapping": _parse_map(map_),
        "crs": crs,
        "rejects": None,
        "full_list": full_list,
    }
    with door(name_options=False) as d:
        result = file_job(
            d, "registry-load", params, file.name, file=file,
            rejects=Rejects("rejects", rejects), route="/api/v1/registry/loads",
        )  # fmt: skip
    _summary(f"{system}: {file.name}", result, as_json)


@app.command()
def link(
    engine: str = typer.Option(
        None, "--engine", help="duckdb | spark (default: ECOHUB_ENGINE, else duckdb)"
    ),
    auto_accept: float = typer.Option(0.9, help="Link pairs at or above this probability"),
    review_low: float = typer.Option(0.5, help="Lower edge of the review band"),
    as_json: bool = JSON_OPT,
) -> None:
    """Link all loaded records and issue or keep source codes (a job on the server)."""
    from ecohub.cli.client import door
    from ecohub.registry.linkage import LinkConfig
    from ecohub.registry.service import check_link_config

    if engine is not None and engine not in ("duckdb", "spark"):
        fail(f"--engine: expected duckdb or spark, got {engine!r}")

    try:  # NaN and infinity cannot travel in JSON: the service's own check, before sending
        check_link_config(LinkConfig(auto_accept=auto_accept, review_low=review_low))
    except ValueError as exc:
        fail(str(exc))
    body = {"engine": engine, "auto_accept": auto_accept, "review_low": review_low}
    settings = None
    if engine is not None:
        from ecohub.settings import get_settings

        # Without a server the CLI runs the app itself, on the engine asked for; a running
        # server keeps its own and says so.
        settings = get_settings().model_copy(update={"engine": engine})
    with door(settings, name_options=False) as d:
        out = d.job("registry-link", body, "link", path="/api/v1/registry/link")
    _summary("linkage run", out, as_json)


@app.command()
def export(
    out: Path = typer.Option(..., "--out", help="Output file"),
    fmt: str = typer.Option("csv", "--format", help="csv | parquet | xlsx"),
) -> None:
    """One row per record: system, record_id, source_code."""
    from ecohub.cli.client import door
    from ecohub.registry.service import EXPORT_FORMATS, check_writable, write_export

    try:
        if fmt not in EXPORT_FORMATS:
            raise ValueError(f"--format: expected {', '.join(EXPORT_FORMATS)}, got {fmt!r}")
        check_writable("--out", out)
        with door(name_options=False) as d:
            r = d.request("GET", "/api/v1/registry/codes", params={"format": fmt})
        write_export(out, r.content)
    except ValueError as exc:
        fail(str(exc))
    console.print(f"{r.headers['x-result-count']} records → {out}")


@app.command()
def show(code: str, as_json: bool = typer.Option(False, "--json")) -> None:
    """One source with its records from every system, outlets, permits, MNs and latest data."""
    from ecohub.cli.client import DoorError, door

    with door() as d:
        try:
            data = d.get(f"/api/v1/registry/sources/{code}")
        except DoorError as exc:
            if exc.status != 404:
                raise
            fail(f"no source {code}")
    if as_json:
        _print_json(data)
        return
    from rich.markup import escape

    # A missing field reads "-" as in the other tables; the text is the registry's, not markup.
    s = {k: escape("-" if v is None else str(v)) for k, v in data["source"].items()}
    since = f" since {s['valid_to']}" if data["source"].get("valid_to") else ""
    console.print(
        f"[bold]{s['source_code']}[/] {s['name']} ({s['status']}{since})  USCC {s['uscc']}"
    )
    console.print(f"{s['address']}  region {s['region_code']}  industry {s['industry']}")
    for title, rows in (
        ("records", data["records"]),
        ("outlets", data["outlets"]),
        ("permits", data["permits"]),
        ("monitoring points", data["monitor_points"]),
        ("latest data", data["latest"]),
        ("history", data["history"]),
    ):
        if not rows:
            continue
        table = Table(title=title)
        for col in rows[0]:
            table.add_column(str(col))
        for row in rows:
            table.add_row(*("" if v is None else str(v) for v in row.values()))
        console.print(table)


@app.command()
def review(
    a: str = typer.Option(None, "--a", help="First record, system:record_id"),
    b: str = typer.Option(None, "--b", help="Second record, system:record_id"),
    decision: str = typer.Option(None, "--decision", help="match | nonmatch"),
    note: str = typer.Option(None, "--note"),
    limit: int = typer.Option(20, "--limit"),
    as_json: bool = JSON_OPT,
) -> None:
    """List undecided pairs in the review band, or decide one (--a, --b, --decision)."""
    from ecohub.cli.client import DoorError, door

    if a is not None or b is not None or decision is not None:
        if a is None or b is None or decision is None:
            fail("--a, --b and --decision go together")
        body = {"a": a, "b": b, "decision": decision, "note": note}
        with door(name_options=False) as d:
            try:
                decided = d.post("/api/v1/registry/review/decision", body)
            except DoorError as exc:
                if exc.status != 404:
                    raise
                fail(str(exc))
        _summary("review decision", decided, as_json)
        return
    with door(name_options=False) as d:
        rows = d.get("/api/v1/registry/review", limit=limit)
    if as_json:
        _print_json(rows)
        return
    table = Table(title=f"review band ({len(rows)} shown)")
    cols = ("a", "b", "p", "name_a", "name_b", "uscc_a", "uscc_b", "note")
    for col in cols:
        table.add_column(col)
    for r in rows:
        table.add_row(*("" if r.get(c) is None else str(r[c]) for c in cols))
    console.print(table)


@app.command()
def report(as_json: bool = typer.Option(False, "--json")) -> None:
    """Per system: match rate, conflicts, suspicious records."""
    from ecohub.cli.client import door

    with door(name_options=False) as d:
        data = d.get("/api/v1/registry/report")
    if as_json:
        _print_json(data)
        return
    table = Table(title="registry by system")
    cols = list(data["systems"][0]) if data["systems"] else []
    for col in cols:
        table.add_column(col)
    for row in data["systems"]:
        table.add_row(*(str(row[c]) for c in cols))
    console.print(table)
    counts = ", ".join(f"{k} {v}" for k, v in data.get("sources_by_status", {}).items())
    console.print(
        f"sources: {counts or 'none'}; "
        f"review pending {data['review_pending']}, decided {data['review_decided']}"
    )


@app.command("outlet")
def outlet(
    code: str,
    medium: str = typer.Option(..., "--medium", help="air | water"),
    name: str = typer.Option(None, "--name"),
) -> None:
    """Register the next outlet (DA001, DW001, …) of a source (through the server when one runs)."""
    from ecohub.cli.client import DoorError, door

    body = {"source_code": code, "medium": medium, "name": name}
    with door(options={"source_code": "code"}) as d:
        try:
            out = d.post("/api/v1/registry/outlets", body)
        except DoorError as exc:
            if exc.status != 404:
                raise
            fail(f"no source {code}")
    console.print(out["outlet_code"])


def _set_status(code: str, status: str, reason: str, as_json: bool) -> None:
    from ecohub.cli.client import DoorError, door

    with door(name_options=False) as d:
        try:
            out = d.post(f"/api/v1/registry/sources/{code}/status",
                         {"status": status, "reason": reason})  # fmt: skip
        except DoorError as exc:
            if exc.status != 404:
                raise
            fail(f"no source {code}")
    _summary(f"source {out['source_code']}", out, as_json)


@app.command("close")
def close(
    code: str,
    reason: str = typer.Option(..., "--reason", help="Why (kept in the code's history)"),
    status: str = typer.Option("closed", "--status", help="closed | revoked | suspended"),
    as_json: bool = JSON_OPT,
) -> None:
    """Close a source (its code is kept, never reused); holds until a newer statement."""
    _set_status(code, status, reason, as_json)


@app.command("reopen")
def reopen(
    code: str,
    reason: str = typer.Option(..., "--reason", help="Why (kept in the code's history)"),
    as_json: bool = JSON_OPT,
) -> None:
    """Reopen a closed, revoked, suspended or inactive source."""
    _set_status(code, "active", reason, as_json)
