"""`ecohub load` sub-commands: station lists, observations, the bundled sample.

A thin shell over :mod:`ecohub.ingest.files`: parse options, show progress, print the report.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from ecohub.cli._common import console, fail, open_store

app = typer.Typer(no_args_is_help=True)

# Files at least this big get a progress bar (smaller ones finish before it would draw).
PROGRESS_MIN_BYTES = 2 << 20

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


@contextmanager
def _progress(path: Path) -> Iterator[Callable[[str, int, int | None], None] | None]:
    big = path.is_file() and path.stat().st_size >= PROGRESS_MIN_BYTES
    if not big or not console.is_terminal:
        yield None
        return
    labels = {"read": "reading", "check": "checking", "store": "storing"}
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("reading", total=None)

        def update(phase: str, done: int, total: int | None) -> None:
            bar.update(task, description=labels.get(phase, phase), completed=done, total=total)

        yield update


def _print_report(report: object) -> None:
    from ecohub.ingest.files import LoadReport
    from ecohub.ingest.report import shorten

    assert isinstance(report, LoadReport)
    unit = "values" if report.kind == "observations" else "stations"
    if report.already_loaded:
        when = f" on {report.loaded_at:%Y-%m-%d %H:%M}" if report.loaded_at else ""
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


def _run(loader: Callable[..., object], file: Path, **kwargs: object) -> None:
    from ecohub.ingest.files import LoadError

    con = open_store()
    try:
        with _progress(file) as progress:
            report = loader(con, file, progress=progress, **kwargs)
    except LoadError as exc:
        fail(str(exc))
    finally:
        con.close()
    _print_report(report)


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
    from ecohub.ingest.files import load_observations

    _run(
        load_observations,
        file,
        mapping=_pairs(map_, "--map"),
        units=_pairs(unit, "--unit"),
        period=period,
        source=source,
        reject_path=reject,
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
    from ecohub.ingest.files import load_stations

    _run(
        load_stations,
        file,
        mapping=_pairs(map_, "--map"),
        network=network,
        source=source,
        reject_path=reject,
        sheet=sheet,
        force=force,
    )


@app.command("sample")
def sample() -> None:
    """Load the bundled Beijing sample (12 stations, hourly 2013-2017, UCI 501, CC BY 4.0)."""
    from ecohub.ingest.files import LoadError
    from ecohub.sample import load_sample

    con = open_store()
    try:
        result = load_sample(con)
    except LoadError as exc:
        fail(str(exc))
    finally:
        con.close()
    if result["already_loaded"]:
        console.print(
            f"sample already loaded ({result['observations_total']:,} values)", highlight=False
        )
        return
    obs = result["reports"]["observations"]
    console.print(
        f"sample: {result['stations']} stations, {result['observations']:,} values stored "
        f"({result['observations_total']:,} sample values in the store) in {obs.seconds:.1f} s",
        highlight=False,
    )
