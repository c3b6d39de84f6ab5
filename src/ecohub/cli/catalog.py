"""``ecohub catalog``: the resource catalogue, lineage, sharing applications and open data.

Thin: every command is one request to ``/api/v1/catalog`` through :mod:`ecohub.cli.client` (the
running server, else the same app in-process), so it prints what the API answers.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

import typer
from rich.table import Table

from ecohub.cli._common import console, fail
from ecohub.cli.client import door

app = typer.Typer(no_args_is_help=True)
CATALOG = "/api/v1/catalog"
CODE = re.compile(r"\d{8}-\d{5}")
#: API field -> the option that sets it, for refusals (``door(options=...)``).
LIST_OPTIONS = {"sharing_type": "sharing", "open_type": "open", "update_cycle": "cycle"}


def _code(code: str, name: str = "CODE") -> str:
    """A resource code (分类码-顺序码), checked before it goes into a URL: anything else would
    name another route (``dcat``, ``applications``) or none."""
    if not CODE.fullmatch(code):
        fail(f"{name}: {code!r} is not a resource code (分类码-顺序码, e.g. 30100101-00002)")
    return code


def register(root: typer.Typer) -> None:
    from ecohub.cli import catalog_sharing

    catalog_sharing.add_commands(app)
    root.add_typer(
        app,
        name="catalog",
        help="The resource catalogue: list, search, lineage, "
        "sharing applications and grants, open data, DCAT-AP 3.",
    )


def _json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=1, default=str) + "\n")


def _table(items: list[dict[str, Any]], title: str) -> None:
    t = Table(title=title)
    for col in ("code", "name", "theme", "sharing", "open", "cycle", "rows", "from", "to"):
        t.add_column(col, overflow="fold")
    for s in items:
        t.add_row(
            s["code"],
            s["name_zh"],
            s["theme"],
            s["sharing_type"],
            s["open_type"] + (" ✓" if s.get("published") else ""),
            s["update_cycle"],
            "" if s["rows"] is None else f"{s['rows']:,}",
            (s["time_from"] or "")[:10],
            (s["time_to"] or "")[:10],
        )
    console.print(t)


def _facets(facets: dict[str, dict[str, int]]) -> None:
    for name, counts in facets.items():
        console.print(f"[bold]{name}[/]: " + ", ".join(f"{k} {v}" for k, v in counts.items()))


@app.command("list")
def list_(
    theme: str | None = typer.Option(None, help="环境质量, 污染源, 政务管理, ..."),
    provider: str | None = typer.Option(None, help="provider name or code"),
    sharing: str | None = typer.Option(None, help="无条件共享 | 有条件共享 | 不予共享"),
    open_: str | None = typer.Option(None, "--open", help="无条件开放 | 有条件开放 | 不予开放"),
    cycle: str | None = typer.Option(None, help="update cycle: 实时, 每小时, 每日, ..."),
    as_json: bool = typer.Option(False, "--json", help="the API's JSON"),
) -> None:
    """Every resource with its coverage, and the facet counts."""
    with door(options=LIST_OPTIONS) as d:
        out = d.get(
            CATALOG,
            theme=theme,
            provider=provider,
            sharing_type=sharing,
            open_type=open_,
            update_cycle=cycle,
        )
    if as_json:
        _json(out)
        return
    _table(out["items"], f"{out['total']} resources")
    _facets(out["facets"])


@app.command()
def search(
    query: str = typer.Argument(..., help="words in Chinese or English, e.g. 细颗粒物"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Full-text search (all words must match; best first)."""
    with door() as d:
        out = d.get(CATALOG, q=query)
    if as_json:
        _json(out)
        return
    _table(
        out["items"],
        f"{out['total']} resources for {query!r} (terms: {' '.join(out['search']['terms'])})",
    )


@app.command()
def show(code: str, as_json: bool = typer.Option(False, "--json")) -> None:
    """One resource: its catalogue entry, data items and coverage."""
    with door() as d:
        out = d.get(f"{CATALOG}/{_code(code)}")
    if as_json:
        _json(out)
        return
    r, cov = out["resource"], out["coverage"] or {}
    t = Table(title=f"{r['code']} {r['name_zh']}", show_header=False)
    t.add_column("", style="bold")
    t.add_column("", overflow="fold")
    for k in (
        "name_en",
        "theme",
        "subtheme",
        "provider",
        "provider_code",
        "abstract_zh",
        "format",
        "sharing_type",
        "sharing_conditions",
        "sharing_method",
        "open_type",
        "update_cycle",
        "published_on",
        "related",
        "table_name",
        "row_filter",
    ):
        t.add_row(k, "" if r.get(k) is None else str(r[k]))
    t.add_row("published (open data)", "yes" if out["published"] else "no")
    for k in ("rows", "time_from", "time_to", "n_regions", "regions", "bbox", "refreshed_at"):
        t.add_row(k, str(cov.get(k, "")))
    t.add_row("lineage runs", str(out["lineage"]["runs"]))
    console.print(t)
    items = Table(title="data items (信息项)")
    for col in ("name", "name_zh", "data_type", "unit", "standard"):
        items.add_column(col)
    for i in out["items"]:
        items.add_row(*(i[c] or "" for c in ("name", "name_zh", "data_type", "unit", "standard")))
    console.print(items)


def _code_of(d: Any, resource: str) -> str:
    if CODE.fullmatch(resource):
        return resource
    for s in d.get(CATALOG)["items"]:
        if s["table"] == resource and s["kind"] == "table":
            return str(s["code"])
    fail(f"RESOURCE: {resource!r} is neither a resource code nor a table of the catalogue")


@app.command()
def lineage(
    resource: str = typer.Argument(..., help="resource code or table name"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Walk a resource back to its source files (SHA-256) and devices (MN)."""
    with door() as d:
        out = d.get(f"{CATALOG}/{_code_of(d, resource)}/lineage")
    if as_json:
        _json(out)
        return

    def show_node(node: dict[str, Any], indent: int) -> None:
        pad = "  " * indent
        console.print(
            f"{pad}[bold]{node['code']}[/] {node.get('name_zh') or ''} ({node.get('table')})",
            highlight=False,
        )
        for run in node.get("runs", []):
            console.print(
                f"{pad}  ← {run['kind']} {run['run_id']} {run.get('started_at') or ''}",
                highlight=False,
            )
            for i in run["inputs"]:
                if i["kind"] == "resource" and "lineage" in i:
                    show_node(i["lineage"], indent + 2)
                elif i["kind"] == "file":
                    console.print(
                        f"{pad}    file {i['ref'][:16]}… {i.get('path') or ''}", highlight=False
                    )
                elif i["kind"] == "device":
                    console.print(f"{pad}    device {_device(i)}", highlight=False)
                else:
                    console.print(f"{pad}    {i['kind']} {i['ref']}", highlight=False)

    show_node(out, 0)
    console.print(f"files: {len(out['files'])}, devices: {len(out['devices'])}")


def _device(i: dict[str, Any]) -> str:
    """An HJ 212 device as a lineage input: its MN, monitoring point's source, packets, span."""
    parts = [f"{i.get('packets') or 0:,} packets"]
    if i.get("source_code"):
        parts.insert(0, f"source {i['source_code']}")
    if i.get("first") or i.get("last"):
        parts.append(f"{i.get('first') or '?'} – {i.get('last') or '?'}")
    return f"{i['ref']} ({', '.join(parts)})"


@app.command()
def refresh() -> None:
    """Recompute coverage and derived lineage now."""
    with door() as d:
        _json(d.request("POST", f"{CATALOG}/coverage/refresh").json())


@app.command()
def publish(code: str) -> None:
    """Publish a resource as open data (audited)."""
    with door() as d:
        _json(d.request("POST", f"{CATALOG}/{_code(code)}/publish").json())


@app.command()
def withdraw(code: str) -> None:
    """Withdraw a resource from the open data (audited)."""
    with door() as d:
        _json(d.request("POST", f"{CATALOG}/{_code(code)}/withdraw").json())


@app.command("dcat")
def dcat_(fmt: str = typer.Option("ttl", "--format", help="ttl | jsonld")) -> None:
    """The catalogue as DCAT-AP 3 on stdout."""
    with door() as d:
        body = d.request("GET", f"{CATALOG}/dcat", params={"format": fmt}).content
    sys.stdout.buffer.write(body)
    sys.stdout.flush()
