"""`ecohub geo` sub-commands: a thin shell over the ``/api/v1/geo`` routes and the ``geo-*`` jobs.

Every command goes through :mod:`ecohub.cli.client` (the running server, or the same app
in-process), so it works while ``ecohub up`` owns the store and prints the same either way; the
work is done by :mod:`ecohub.geo.service` and the jobs of :mod:`ecohub.jobs.geo_kinds`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from ecohub.cli._common import console, fail

app = typer.Typer(no_args_is_help=True)

# The API's fields that are this group's options (the others, e.g. a feature of a file, are
# named by the message itself). A region object's members are named by their path in the body.
_OPTIONS = {
    "what": "what", "crs": "crs", "from": "from", "to": "to", "year": "year", "kind": "kind",
    "name": "name", "code": "code", "region.point": "point", "region.line": "line",
    "region.distance_m": "distance", "region.geojson": "geojson",
}  # fmt: skip


@contextmanager
def _door(file: Path | None = None) -> Iterator[Any]:
    """A door whose refusals name this command's option (or ``file``) when the field is one."""
    from ecohub.cli.client import DoorError, door

    with door(name_options=False) as d:
        try:
            yield d
        except DoorError as exc:
            field = (exc.field or "").removeprefix("params.")
            message = str(exc).removeprefix(f"{exc.field}: ")
            if field == "path" and file is not None:
                fail(f"{file}: {message}")
            if field in _OPTIONS:
                fail(f"--{_OPTIONS[field]}: {message}")
            if exc.status == 413:
                fail(f"{exc} (a larger area: `ecohub geo load` it and name the region)")
            raise


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
    """The region as the API takes it (a file named by --geojson is read here and sent)."""
    given = sum(x is not None for x in (region, point, line, geojson))
    if given != 1:
        fail("give exactly one of REGION, --point, --line or --geojson")
    if region is not None:
        return region
    if geojson is not None:
        try:
            text = geojson.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            fail(f"--geojson: cannot read {geojson}: {getattr(exc, 'strerror', None) or exc}")
        return {"geojson": text, "name": geojson.name}
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
    with _door() as d:
        _print_json(d.job("geo-install", {}, "installing the regions"))


@app.command("reorder")
def reorder() -> None:
    """Re-key registry sources along a Hilbert curve and store them in that order (a box or
    county page then reads only its part of the table, and OGC pages of sources follow it); the
    registry's link run does this itself for the sources it adds."""
    with _door() as d:
        _print_json(d.job("geo-reorder", {}, "reordering the sources"))


@app.command("load")
def load(
    file: Path = typer.Argument(..., help="GeoJSON file (Polygon / MultiPolygon features)"),
    name: str = typer.Option(..., "--name", help="The region's name"),
    kind: str = typer.Option(..., "--kind", help="basin | key_region | custom"),
    crs: str = typer.Option("wgs84", "--crs", help="wgs84 | gcj02 (converted to WGS84)"),
    code: str = typer.Option(None, "--code", help="Code to store it under (default: from name)"),
) -> None:
    """Load a user region from GeoJSON; any problem names the feature and the reason."""
    if not file.is_file():
        fail(f"{file}: no such file")
    from ecohub.cli.server_files import file_job

    params = {"name": name, "kind": kind, "crs": crs, "code": code}
    with _door(file) as d:
        _print_json(file_job(d, "geo-load", params, file.name, file=file))


@app.command("list")
def list_(kind: str = typer.Option(None, "--kind", help="basin | key_region | custom")) -> None:
    """Key, basin and custom regions."""
    with _door() as d:
        rows = d.get("/api/v1/geo/regions", kind=kind)
    table = Table("code", "name", "kind", "source")
    for row in rows:
        table.add_row(row["code"], row["name"], row["kind"], row["source"] or "")
    console.print(table)


@app.command("county")
def county(lon: float = typer.Argument(...), lat: float = typer.Argument(...),
           crs: str = _CRS) -> None:  # fmt: skip
    """The county (finest division) containing a point."""
    with _door() as d:
        found = d.get("/api/v1/geo/county", lon=lon, lat=lat, crs=crs)
    console.print(f"{found['code']} {found['name'] or ''}")


@app.command("in")
def inside(
    region: str = _REGION, point: str = _POINT, line: str = _LINE, distance: float = _DIST,
    geojson: Path = _GEOJSON, crs: str = _CRS,
    what: str = typer.Option("stations", "--what", help="stations | sources | outlets"),
    as_json: bool = _JSON,
) -> None:  # fmt: skip
    """Stations, sources or outlets inside a region."""
    body = {"region": _region(region, point, line, distance, geojson), "crs": crs, "what": what}
    with _door() as d:
        rows = d.post("/api/v1/geo/in", body)["items"]
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
    body = {"region": _region(region, point, line, distance, geojson), "crs": crs, "what": what,
            "from": start, "to": end, "year": year}  # fmt: skip
    with _door() as d:
        _print_json(d.post("/api/v1/geo/summary", body))
