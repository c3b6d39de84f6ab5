"""`ecohub geo` sub-commands: a thin shell over ``ecohub.geo`` service functions."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import typer
from rich.table import Table

from ecohub.cli import _common
from ecohub.cli._common import console, fail

app = typer.Typer(no_args_is_help=True)
_open: list[Any] = []
# The CLI runs on the server's own machine with the store file: it sees everything.
_KINDS = ("basin", "key_region", "custom")


def _store() -> Any:
    con = _common.open_store()
    _open.append(con)
    return con


@app.callback()
def _close(ctx: typer.Context) -> None:
    def close() -> None:
        while _open:
            _open.pop().close()

    ctx.call_on_close(close)


def _principal() -> Any:
    from ecohub.access import Principal

    return Principal("cli", "admin", None, via="local")


def _print_json(data: Any) -> None:
    console.print_json(json.dumps(data, ensure_ascii=False, default=str))


def _pair(text: str, option: str) -> list[float]:
    try:
        lon, lat = (float(v) for v in text.split(","))
    except ValueError:
        fail(f"{option}: expected LON,LAT, got {text!r}")
    return [lon, lat]


def _region(
    region: str | None, point: str | None, line: str | None, distance: float | None,
    geojson: Path | None,
) -> str | dict[str, Any]:  # fmt: skip
    given = sum(x is not None for x in (region, point, line, geojson))
    if given != 1:
        fail("give exactly one of REGION, --point, --line or --geojson")
    if region is not None:
        return region
    if geojson is not None:
        try:
            return {"geojson": geojson.read_bytes(), "name": geojson.name}
        except OSError as exc:
            fail(f"--geojson: cannot read {geojson}: {exc.strerror}")
    if distance is None:
        fail("--distance (metres) is required with --point or --line")
    if point is not None:
        return {"point": _pair(point, "--point"), "distance_m": distance}
    assert line is not None
    return {"line": [_pair(p, "--line") for p in line.split(";")], "distance_m": distance}


_REGION = typer.Argument(None, help="GB/T 2260 code, key-region id, or a loaded region's code/name")
_POINT = typer.Option(None, "--point", help="LON,LAT: the area within --distance of this point")
_LINE = typer.Option(None, "--line", help="LON,LAT;LON,LAT;...: within --distance of a line")
_DIST = typer.Option(None, "--distance", help="Metres around --point / --line")
_GEOJSON = typer.Option(None, "--geojson", help="A GeoJSON polygon file as the region")
_CRS = typer.Option("wgs84", "--crs", help="wgs84 | gcj02: coordinates in and out")
_JSON = typer.Option(False, "--json", help="Print JSON")


@app.command("install")
def install() -> None:
    """Install (or refresh) the division boundaries and the bundled key regions."""
    from ecohub.geo import boundaries, keyregions

    con = _store()
    result = boundaries.install(con) | keyregions.install(con)
    _print_json(result)


@app.command("reorder")
def reorder() -> None:
    """Re-key registry sources along a Hilbert curve and store them in that order (a box or
    county page then reads only its part of the table, and OGC pages of sources follow it); the
    registry's link run does this itself for the sources it adds."""
    from ecohub.geo.storage import reorder_sources

    _print_json({"sources": reorder_sources(_store())})


@app.command("load")
def load(
    file: Path = typer.Argument(..., help="GeoJSON file (Polygon / MultiPolygon features)"),
    name: str = typer.Option(..., "--name", help="The region's name"),
    kind: str = typer.Option(..., "--kind", help="basin | key_region | custom"),
    crs: str = typer.Option("wgs84", "--crs", help="wgs84 | gcj02 (converted to WGS84)"),
    code: str = typer.Option(None, "--code", help="Code to store it under (default: from name)"),
) -> None:
    """Load a user region from GeoJSON; any problem names the feature and the reason."""
    from ecohub.geo import GeoError, ensure_regions, load_region

    if kind not in _KINDS:
        fail(f"--kind: must be one of {', '.join(_KINDS)}, not {kind!r}")
    con = _store()
    try:
        ensure_regions(con)
        result = load_region(con, file, name=name, kind=kind, crs=crs, code=code)
    except GeoError as exc:
        fail(f"{file}: {exc}")
    _print_json(result)


@app.command("list")
def list_(kind: str = typer.Option(None, "--kind", help="basin | key_region | custom")) -> None:
    """Key, basin and custom regions."""
    from ecohub.geo import ensure_regions, list_regions

    con = _store()
    ensure_regions(con)
    table = Table("code", "name", "kind", "source")
    for row in list_regions(con, kind):
        table.add_row(row["code"], row["name"], row["kind"], row["source"] or "")
    console.print(table)


@app.command("county")
def county(lon: float = typer.Argument(...), lat: float = typer.Argument(...),
           crs: str = _CRS) -> None:  # fmt: skip
    """The county (finest division) containing a point."""
    from ecohub.geo import assign_counties
    from ecohub.geo.gcj02 import gcj02_to_wgs84

    if crs == "gcj02":
        x, y = gcj02_to_wgs84(np.array([lon]), np.array([lat]))
        lon, lat = float(x[0]), float(y[0])
    con = _store()
    (code,) = assign_counties(con, [lon], [lat])
    if code is None:
        fail(f"{lon},{lat} is in no county")
    name = con.execute("SELECT name FROM region WHERE code = ?", [code]).fetchone()
    console.print(f"{code} {name[0] if name else ''}")


@app.command("in")
def inside(
    region: str = _REGION, point: str = _POINT, line: str = _LINE, distance: float = _DIST,
    geojson: Path = _GEOJSON, crs: str = _CRS,
    what: str = typer.Option("stations", "--what", help="stations | sources | outlets"),
    as_json: bool = _JSON,
) -> None:  # fmt: skip
    """Stations, sources or outlets inside a region."""
    from ecohub import geo

    fns = {"stations": geo.stations_in, "sources": geo.sources_in, "outlets": geo.outlets_in}
    if what not in fns:
        fail(f"--what: must be one of {', '.join(fns)}, not {what!r}")
    con = _store()
    spec = _region(region, point, line, distance, geojson)
    try:
        rows = fns[what](con, _principal(), spec, crs=crs)
    except geo.GeoError as exc:
        fail(str(exc))
    if as_json:
        _print_json(rows)
        return
    table = Table(*(rows[0].keys() if rows else ["(none)"]), title=f"{len(rows)} {what}")
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row.values()))
    console.print(table)


@app.command("summary")
def summary(
    region: str = _REGION, point: str = _POINT, line: str = _LINE, distance: float = _DIST,
    geojson: Path = _GEOJSON, crs: str = _CRS,
    what: str = typer.Option("air", "--what", help="air | water | sources | emissions"),
    start: str = typer.Option(None, "--from", help="First day YYYY-MM-DD (air, emissions)"),
    end: str = typer.Option(None, "--to", help="Last day YYYY-MM-DD (air, emissions)"),
    year: int = typer.Option(None, "--year", help="Year (water)"),
) -> None:  # fmt: skip
    """Aggregate over a region: air AQI days, water classes, sources by industry, emissions."""
    from ecohub import geo

    con = _store()
    spec = _region(region, point, line, distance, geojson)
    p = _principal()
    try:
        if what == "sources":
            result = geo.source_counts(con, p, spec, crs=crs)
        elif what == "water":
            if year is None:
                fail("--year is required for --what water")
            result = geo.water_classes(con, p, spec, year=year, crs=crs)
        elif what in ("air", "emissions"):
            if not start or not end:
                fail("--from and --to are required")
            try:
                d0, d1 = date.fromisoformat(start), date.fromisoformat(end)
            except ValueError as exc:
                fail(f"--from/--to: {exc}")
            if what == "air":
                result = geo.air_summary(con, p, spec, start=d0, end=d1, crs=crs)
            else:
                t0 = datetime.combine(d0, datetime.min.time())
                t1 = datetime.combine(d1, datetime.min.time())
                from datetime import timedelta

                from ecohub.cst import CST

                result = geo.emission_totals(
                    con, p, spec, start=t0.replace(tzinfo=CST),
                    end=(t1 + timedelta(days=1)).replace(tzinfo=CST), crs=crs,
                )  # fmt: skip
        else:
            fail(f"--what: must be air, water, sources or emissions, not {what!r}")
    except geo.GeoError as exc:
        fail(str(exc))
    _print_json(result)
