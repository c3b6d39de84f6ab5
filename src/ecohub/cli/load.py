"""`ecohub load` sub-commands: station lists, observations, the bundled sample.

A thin shell: each load runs as a job (:mod:`ecohub.jobs.kinds`) through
:mod:`ecohub.cli.client` (the running server, or the same API in-process); the command draws the
job's progress and prints its report.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import typer

from ecohub.cli._common import console, fail

app = typer.Typer(no_args_is_help=True)


MAP_HELP = (
    "COLUMN=TARGET: read COLUMN as a role (station, time, date, hour, parameter, value, unit, "
    "period, flag), as a parameter (PM2.5, a34004, 二氧化硫), or '-' to ignore it. Repeatable."
)


def _pairs(values: list[str] | None, option: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in values or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            fail(f"{option} {item!r}: expected KEY=VALUE")
        out[key.strip()] = value.strip()
    return out


def _cst(stamp: str) -> str:
    """An ISO time as China Standard Time with its zone (``2026-11-28 08:36 CST``): the store
    keeps UTC, and a bare ``00:36`` read as midnight by an operator in Beijing."""
    from datetime import UTC, datetime

    from ecohub.cst import CST

    value = datetime.fromisoformat(stamp)
    value = value if value.tzinfo else value.replace(tzinfo=UTC)
    return f"{value.astimezone(CST):%Y-%m-%d %H:%M} CST"


def _print_report(data: dict[str, Any], unit: str | None = None) -> None:
    """Print a load report (the plain data a load job returns)."""
    from ecohub.ingest.report import shorten

    report = SimpleNamespace(**data)
    report.first_rejects = [SimpleNamespace(**r) for r in report.first_rejects]
    report.stored = report.new + report.updated
    unit = unit or ("values" if report.kind == "observations" else "stations")
    if report.already_loaded:
        when = f" on {_cst(report.loaded_at)}" if report.loaded_at else ""
        console.print(
            f"{report.path}: already loaded{when} ({report.unchanged:,} {unit}); nothing to do "
            "(use --force to load it again)",
            highlight=False,
        )
        return
    console.print(
        f"{report.path}: {report.format}, {report.layout}; {report.rows_read:,} rows read, "
        f"{report.stored:,} {unit} stored ({report.new:,} new, {report.updated:,} changed), "
        f"{report.unchanged:,} unchanged, {report.skipped_null:,} empty, "
        f"{report.rejected:,} rejected in {report.seconds:.1f} s",
        highlight=False,
    )
    # Headers and values are cut (ingest.report.MAX_SHOWN_CHARS): a cell can be megabytes.
    read_as = ", ".join(f"{shorten(h)} → {what}" for h, what in report.columns.items())
    console.print(f"columns: {read_as}", highlight=False)
    if report.ignored_columns:
        console.print(
            f"ignored: {', '.join(shorten(h) for h in report.ignored_columns)}", highlight=False
        )
    if report.rejected:
        for r in report.first_rejects[:5]:
            console.print(
                f"  row {r.row}, {r.column or '(line)'}: {r.reason} ({r.value!r})", highlight=False
            )
        where = report.reject_path or "(not written)"
        console.print(f"rejects: {where}", highlight=False)


def _load(kind: str, file: Path, reject: Path | None, params: dict[str, Any]) -> Any:
    """The result of the load job (on the running server, or in-process): server_files."""
    from ecohub.cli.client import door
    from ecohub.cli.server_files import Rejects, file_job
    from ecohub.ingest.rejects import check_reject_path

    if not file.is_file():
        fail(f"{file}: no such file")
    params = {k: v for k, v in params.items() if v is not None}
    with door() as d:
        return file_job(d, kind, params, file.name, file=file,
                        rejects=Rejects("reject", reject, check_reject_path))  # fmt: skip


def _run(kind: str, file: Path, reject: Path | None, **params: Any) -> None:
    """Run the load as a job and print its report."""
    _print_report(_load(kind, file, reject, params)["report"])


@app.command("observations")
def observations(
    file: Path = typer.Argument(..., help="CSV, Parquet or XLSX file, long or wide layout."),
    map_: list[str] = typer.Option(None, "--map", help=MAP_HELP),
    unit: list[str] = typer.Option(
        None, "--unit", help="PARAM=UNIT the file uses, e.g. CO=ug/m3 (converted). Repeatable."
    ),
    period: str = typer.Option("1h", help="Averaging period of values that do not state one."),
    source: str = typer.Option(
        None, help="Source label stored on each value (default: file name)."
    ),
    reject: Path = typer.Option(None, help="Reject file (default: <FILE>.rejects.csv)."),
    sheet: str = typer.Option(None, help="XLSX sheet (default: the first)."),
    force: bool = typer.Option(False, help="Load even if this exact file was loaded before."),
) -> None:
    """Load station observations (air or surface water) into the store."""
    _run(
        "load-observations",
        file,
        mapping=_pairs(map_, "--map"),
        units=_pairs(unit, "--unit"),
        period=period,
        source=source,
        reject=reject,
        sheet=sheet,
        force=force,
    )


@app.command("stations")
def stations(
    file: Path = typer.Argument(..., help="CSV, Parquet or XLSX station list."),
    map_: list[str] = typer.Option(
        None,
        "--map",
        help="COLUMN=ROLE (station, name, name_en, network, region_code, basin, waterbody, "
        "lon, lat) or '-' to ignore it. Repeatable.",
    ),
    network: str = typer.Option(
        "air", help="Network of rows without one (air, surface_water, ...)."
    ),
    source: str = typer.Option(None, help="Source label (default: file name)."),
    reject: Path = typer.Option(None, help="Reject file (default: <FILE>.rejects.csv)."),
    sheet: str = typer.Option(None, help="XLSX sheet (default: the first)."),
    force: bool = typer.Option(False, help="Load even if this exact file was loaded before."),
) -> None:
    """Load a station list (ids, names, region codes, coordinates) into the store."""
    _run(
        "load-stations",
        file,
        mapping=_pairs(map_, "--map"),
        network=network,
        source=source,
        reject=reject,
        sheet=sheet,
        force=force,
    )


@app.command("complaints")
def complaints(
    file: Path = typer.Argument(..., help="CSV, Parquet or XLSX of 12369 complaints."),
    map_: list[str] = typer.Option(
        None,
        "--map",
        help="COLUMN=ROLE (id, time, text, address, lon, lat, channel, result, region_code) or "
        "'-' to ignore it. Repeatable.",
    ),
    crs: str = typer.Option("wgs84", help="Datum of lon/lat: wgs84, or gcj02 (web maps)."),
    reject: Path = typer.Option(None, help="Reject file (default: <FILE>.rejects.csv)."),
    sheet: str = typer.Option(None, help="XLSX sheet (default: the first)."),
    force: bool = typer.Option(False, help="Load even if this exact file was loaded before."),
) -> None:
    """Load 12369 complaints: classify, geocode, then find repeats, hot spots and sources."""
    params = {"mapping": _pairs(map_, "--map"), "crs": crs, "sheet": sheet, "force": force}
    result = _load("load-complaints", file, reject, params)
    _print_report({**result["report"]}, unit="complaints")
    a = result.get("analysis")
    if a:
        console.print(
            f"analysis: {a['repeats']:,} repeats, {a['hotspots']:,} hot spots "
            f"({a['in_hotspots']:,} complaints), {a['complaints_linked']:,} complaints linked to "
            f"{a['candidates']:,} candidate sources",
            highlight=False,
        )


@app.command("sample")
def sample() -> None:
    """Load the bundled Beijing sample (12 stations, hourly 2013-2017, UCI 501, CC BY 4.0)."""
    from ecohub.cli.client import door

    with door(create=True) as d:  # a store may begin with the sample
        result = d.job("load-sample", {}, "sample")
    if result["already_loaded"]:
        console.print(
            f"sample already loaded ({result['observations_total']:,} values)", highlight=False
        )
        return
    obs = result["reports"]["observations"]
    console.print(
        f"sample: {result['stations']} stations, {result['observations']:,} values stored "
        f"({result['observations_total']:,} sample values in the store) in {obs['seconds']:.1f} s",
        highlight=False,
    )
