"""Data commands of ``ecohub hj212``: the stored emission values and the rejected packets.

Thin: each is ``GET /api/v1/hj212/emissions`` or ``/rejected`` through the door (the running
server, or the same API in-process on the store), printed as a table, CSV or JSON. The API
checks every filter; its messages come back naming the command-line option.
"""

from __future__ import annotations

import contextlib
from typing import Any

import typer

from ecohub.cli._common import fail
from ecohub.cli.hj212_ops import _fmt_time
from ecohub.cli.rows import emit_rows

FORMATS = ("table", "csv", "json")

#: Every column of an emission row (CSV and JSON) and the ones a table shows.
EMISSION_COLUMNS = ("mn", "cn", "data_time", "pollutant", "rtd", "avg", "min", "max", "cou",
                    "zs_rtd", "zs_avg", "flag", "below_detection", "incomplete", "fields",
                    "edition", "deviation", "registered", "received_at")  # fmt: skip
EMISSION_SHORT = ("mn", "cn", "data_time", "pollutant", "rtd", "avg", "min", "max", "cou",
                  "zs_avg", "flag")  # fmt: skip
REJECTED_COLUMNS = ("id", "received_at", "peer", "mn", "status", "error", "reason",
                    "would_pass", "is_text", "raw_hex")  # fmt: skip
REJECTED_SHORT = ("id", "received_at", "peer", "mn", "error", "reason", "would_pass", "packet")
#: Characters of a packet a table shows (CSV and JSON carry all of it, as hex).
PACKET_CHARS = 60
_TIMES = ("data_time", "received_at")


def _rows(d: Any, path: str, limit: int | None, every: bool, **params: Any) -> list[dict]:
    """One page of at most ``limit`` rows, or (``every``) all pages; a note on stderr when
    more rows exist than were fetched."""
    if every:
        if limit is not None:
            fail("--limit: not with --all (--all fetches every page)")
        rows: list[dict] = d.pages(path, **params)
        return rows
    body = d.get(path, **params, limit=limit)
    if body.get("next_cursor") is not None:
        typer.echo(
            f"more rows than the {len(body['items'])} shown: --limit N for more, --all for all",
            err=True,
        )
    items: list[dict] = body["items"]
    return items


def _packet(row: dict[str, Any]) -> str:
    """The packet as text when it is text, else as hex; cut for a table."""
    raw = row.get("raw_hex") or ""
    text = raw
    if row.get("is_text"):
        with contextlib.suppress(ValueError):
            text = bytes.fromhex(raw).decode("utf-8")
    text = text.replace("\r", "\\r").replace("\n", "\\n")
    return text if len(text) <= PACKET_CHARS else text[: PACKET_CHARS - 1] + "…"


def _check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        fail(f"--format: expected one of {', '.join(FORMATS)}, got {fmt!r}")


def register(app: typer.Typer) -> None:
    @app.command()
    def emissions(
        mn: str | None = typer.Option(None, "--mn", help="Device (HJ 212 MN)."),
        pollutant: str | None = typer.Option(None, "--pollutant", help="HJ 212 code (a21026)."),
        frm: str | None = typer.Option(
            None, "--from", help="YYYY-MM-DD or ISO 8601 time (CST when no offset), inclusive."
        ),
        to: str | None = typer.Option(None, "--to", help="The same, exclusive."),
        limit: int | None = typer.Option(
            None, "--limit", help="Rows to fetch (default: the API's page, 1,000)."
        ),
        every: bool = typer.Option(False, "--all", help="Every row, page after page."),
        fmt: str = typer.Option("table", "--format", help="table | csv | json"),
    ) -> None:
        """Stored emission values of your devices (by device, time and pollutant; newest
        first when neither --mn nor --from is given)."""
        from ecohub.cli.client import door

        _check_format(fmt)
        with door() as d:
            rows = _rows(d, "/api/v1/hj212/emissions", limit, every, mn=mn,
                         pollutant=pollutant, **{"from": frm, "to": to})  # fmt: skip
        if fmt == "table":
            rows = [{**r, **{k: _fmt_time(r.get(k)) for k in _TIMES}} for r in rows]
            emit_rows(rows, EMISSION_SHORT, fmt, title="HJ 212 emissions")
            return
        emit_rows(rows, EMISSION_COLUMNS, fmt)

    @app.command()
    def rejected(
        mn: str | None = typer.Option(None, "--mn", help="Device (HJ 212 MN)."),
        limit: int | None = typer.Option(
            None, "--limit", help="Packets to fetch (default: the API's page, 1,000)."
        ),
        every: bool = typer.Option(False, "--all", help="Every packet, page after page."),
        fmt: str = typer.Option("table", "--format", help="table | csv | json"),
    ) -> None:
        """Packets the listener refused (newest first), with the reason and whether a known
        deviation would accept them; the bytes as hex in CSV and JSON."""
        from ecohub.cli.client import door

        _check_format(fmt)
        with door() as d:
            rows = _rows(d, "/api/v1/hj212/rejected", limit, every, mn=mn)
        if fmt == "table":
            rows = [{**r, "received_at": _fmt_time(r.get("received_at")), "packet": _packet(r)}
                    for r in rows]  # fmt: skip
            emit_rows(rows, REJECTED_SHORT, fmt, title="HJ 212 rejected packets")
            return
        emit_rows(rows, REJECTED_COLUMNS, fmt)
