"""`ecohub complaints list|hotspots|show`: 12369 complaints and hot spots (thin: the API's JSON)."""

from __future__ import annotations

import json

import typer

from ecohub.cli._common import fail
from ecohub.cli.supervise import FORMATS, _emit

app = typer.Typer(no_args_is_help=True)

LIST_COLUMNS = ("complaint_id", "received_at", "category", "topic", "region_code", "text",
                "repeat_of", "hotspot_id", "top_source")  # fmt: skip
HOTSPOT_COLUMNS = ("hotspot_id", "category", "topic", "region_code", "n_complaints", "radius_m",
                   "first_at", "last_at", "lon", "lat", "top_sources")  # fmt: skip
_OPTIONS = {"from": "from", "to": "to", "distance_m": "distance-m"}
REGION_HELP = ("GB/T 2260 code (and below), key-region id (jjj-2+26, …), or a loaded basin's or "
               "custom region's code or name.")  # fmt: skip
POINT_HELP = "LON,LAT: with --distance-m, everything within that distance of the point."


def _where(
    region: str | None, point: str | None, distance_m: float | None, crs: str
) -> dict[str, object]:
    """The region query parameters (the server checks that they go together)."""
    return {"region": region, "point": point, "distance_m": distance_m, "crs": crs}


def _format(fmt: str) -> None:
    if fmt not in FORMATS:
        fail(f"--format: expected one of {', '.join(FORMATS)}, got {fmt!r}")


@app.command("list")
def list_(
    region: str | None = typer.Option(None, help=REGION_HELP),
    point: str | None = typer.Option(None, help=POINT_HELP),
    distance_m: float | None = typer.Option(None, "--distance-m", help="Metres around --point."),
    crs: str = typer.Option("wgs84", help="Datum of --point: wgs84 | gcj02."),
    category: str | None = typer.Option(None, help="air, water, noise, solid_waste, soil, ..."),
    topic: str | None = typer.Option(None, help="odour, dust, night_construction_noise, ..."),
    frm: str | None = typer.Option(None, "--from", help="Day or time (CST), inclusive."),
    to: str | None = typer.Option(
        None, "--to", help="Time (CST), exclusive; a bare day: through its end."
    ),
    hotspot: str | None = typer.Option(None, help="Only the complaints of this hot spot."),
    source: str | None = typer.Option(None, help="Only complaints with this candidate source."),
    q: str | None = typer.Option(None, "--q", help="Words the text contains."),
    fmt: str = typer.Option("table", "--format", help="table | csv | json"),
) -> None:
    """Complaints in your region, newest first."""
    from ecohub.cli.client import door

    _format(fmt)
    with door(options=_OPTIONS) as d:
        rows = d.pages("/api/v1/complaints", **_where(region, point, distance_m, crs),
                       category=category, topic=topic, **{"from": frm, "to": to},
                       hotspot=hotspot, source=source, q=q)  # fmt: skip
    _emit(rows, LIST_COLUMNS, fmt)


@app.command("hotspots")
def hotspots(
    region: str | None = typer.Option(None, help=REGION_HELP),
    point: str | None = typer.Option(None, help=POINT_HELP),
    distance_m: float | None = typer.Option(None, "--distance-m", help="Metres around --point."),
    crs: str = typer.Option("wgs84", help="Datum of --point: wgs84 | gcj02."),
    category: str | None = typer.Option(None, help="air, water, noise, ..."),
    frm: str | None = typer.Option(None, "--from", help="Day or time (CST): active since."),
    to: str | None = typer.Option(
        None, "--to", help="Time (CST): active before; a bare day: through its end."
    ),
    fmt: str = typer.Option("table", "--format", help="table | csv | json"),
) -> None:
    """Hot spots (largest first) with their ranked candidate sources."""
    from ecohub.cli.client import door

    _format(fmt)
    with door(options=_OPTIONS) as d:
        rows = d.pages("/api/v1/complaints/hotspots", **_where(region, point, distance_m, crs),
                       category=category, **{"from": frm, "to": to})  # fmt: skip
    if fmt == "json":
        _emit(rows, (), fmt)
        return
    for r in rows:
        r["top_sources"] = " ".join(f"{s['rank']}.{s['source_code']}({s['distance_m']:.0f} m)"
                                    for s in r["sources"][:3])  # fmt: skip
    _emit(rows, HOTSPOT_COLUMNS, fmt)


@app.command("show")
def show(
    complaint_id: str = typer.Argument(..., help="Complaint id (ticket number or C…)."),
    fmt: str = typer.Option("table", "--format", help="table | csv | json"),
) -> None:
    """One complaint: text, class, place, candidate sources, repeat chain and hot spot."""
    from ecohub.cli.client import door

    _format(fmt)
    with door() as d:
        out = d.get(f"/api/v1/complaints/{complaint_id}")
    if fmt == "json":
        typer.echo(json.dumps(out, ensure_ascii=False, indent=1))
        return
    fields = [{"field": k, "value": v if not isinstance(v, list | dict) else json.dumps(
        v, ensure_ascii=False)} for k, v in out.items() if k != "candidates"]  # fmt: skip
    _emit(fields, ("field", "value"), fmt)
    if fmt == "table" and out["candidates"]:
        _emit(out["candidates"], ("rank", "source_code", "name", "industry", "distance_m",
                                  "industry_fit", "upwind", "score"), fmt)  # fmt: skip
