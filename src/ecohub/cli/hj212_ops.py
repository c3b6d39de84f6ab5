"""Operator commands of ``ecohub hj212``: simulate, devices, deviations, policy, register.

When ``ecohub up`` holds the store (DuckDB allows one writing process), the listing commands ask
the running server over HTTP instead; the answer is the same service function's.
"""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from datetime import datetime
from typing import Any

import typer
from rich.table import Table

from ecohub.cli._common import console, fail
from ecohub.cst import CST


def _running_server_url() -> str | None:
    from ecohub.settings import get_settings

    state = get_settings().data_dir / "server.json"
    try:
        return str(json.loads(state.read_text(encoding="utf-8"))["http"])
    except (OSError, ValueError, KeyError):
        return None


def _http(method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    url = _running_server_url()
    if url is None:
        fail("the store is in use and no running server was found (server.json missing)")
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(
        url + path, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.loads(resp.read())
    except (urllib.error.URLError, OSError) as exc:
        fail(f"the store is in use, and the running server at {url} did not answer: {exc}")


def _with_store(local: Any, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    """Run ``local(con)`` on the store, or the same query on the running server."""
    from ecohub.settings import get_settings
    from ecohub.store.db import StoreError, connect

    try:
        con = connect(get_settings().database)
    except StoreError:
        return _http(method, path, body)
    try:
        return local(con)
    finally:
        con.close()


def _fmt_time(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, str):  # ISO text from the HTTP API
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return str(value.astimezone(CST))[:19]


def register(app: typer.Typer) -> None:
    @app.command()
    def simulate(
        host: str = typer.Option("127.0.0.1", help="Listener host."),
        port: int = typer.Option(9212, help="Listener port."),
        devices: int = typer.Option(10, min=1, help="Simulated data-acquisition units."),
        rate: float = typer.Option(1.0, min=0, help="Packets per second per unit (0: unpaced)."),
        duration: float = typer.Option(10.0, min=0.1, help="Seconds to run."),
        window: int = typer.Option(1, min=1, help="Packets a unit may have unanswered."),
    ) -> None:
        """Run N simulated flue-gas / waste-water units and count the answers they get."""
        from ecohub.cli.platform import _event_loop_policy
        from ecohub.ingest.simulator import simulate as run_sim
        from ecohub.process import raise_fd_limit, tune_gc

        _event_loop_policy()
        raise_fd_limit()
        tune_gc()
        with console.status(f"{devices} units sending for {duration:g} s ..."):
            rep = asyncio.run(run_sim(host, port, devices, rate, duration, window=window))
        table = Table(title="HJ 212 simulation")
        for col in ("units", "sent", "answered", "unanswered", "connect errors", "answered/s"):
            table.add_column(col, justify="right")
        table.add_row(
            str(rep.devices), str(rep.sent), str(rep.acked), str(rep.unanswered),
            str(rep.connect_errors), f"{rep.rate:,.0f}",
        )  # fmt: skip
        console.print(table)
        if rep.connect_errors == rep.devices:
            fail(f"no unit could connect to {host}:{port}")

    @app.command()
    def devices(
        status: str = typer.Option(None, help="online | offline | unregistered"),
        as_json: bool = typer.Option(False, "--json", help="JSON lines instead of a table."),
    ) -> None:
        """List monitoring points with last-seen time and online/offline state."""
        from ecohub.ingest.devices import device_status
        from ecohub.settings import get_settings

        if status not in (None, "online", "offline", "unregistered"):
            fail("--status: must be online, offline or unregistered")
        s = get_settings()
        path = "/api/v1/hj212/devices" + (f"?status={status}" if status else "")
        rows = _with_store(
            lambda con: device_status(con, datetime.now(CST), s.hj212_offline_after_s, only=status),
            "GET", path,
        )  # fmt: skip
        if as_json:
            for r in rows:
                typer.echo(json.dumps(r, default=str, ensure_ascii=False))
            return
        table = Table(title=f"HJ 212 devices ({len(rows)})")
        table.add_column("MN", no_wrap=True)
        for col in ("name", "state", "last seen (CST)", "last CN", "edition", "policy"):
            table.add_column(col)
        for r in rows:
            state = "[green]online[/]" if r["online"] else "[red]offline[/]"
            if not r["registered"]:
                state += " [yellow]unregistered[/]"
            table.add_row(
                r["mn"], r["name"] or "", state, _fmt_time(r["last_seen"]), r["last_cn"] or "",
                r["edition"] or "", r["policy"],
            )  # fmt: skip
        console.print(table)

    @app.command()
    def deviations(
        as_json: bool = typer.Option(False, "--json", help="JSON lines instead of a table."),
    ) -> None:
        """Devices whose rejected packets would pass under a known deviation."""
        from ecohub.ingest.devices import deviations as query

        rows = _with_store(query, "GET", "/api/v1/hj212/deviations")
        if as_json:
            for r in rows:
                typer.echo(json.dumps(r, default=str, ensure_ascii=False))
            return
        table = Table(title="Rejected packets that a known deviation would accept")
        table.add_column("MN", no_wrap=True)
        for col in ("deviation", "packets", "first (CST)", "last (CST)", "policy"):
            table.add_column(col)
        for r in rows:
            table.add_row(
                r["mn"] or "?", r["deviation"], str(r["packets"]), _fmt_time(r["first_at"]),
                _fmt_time(r["last_at"]), r["policy"] or "strict",
            )  # fmt: skip
        console.print(table)
        if rows:
            console.print("Switch a device with: ecohub hj212 policy MN lenient")

    @app.command()
    def policy(
        mn: str = typer.Argument(..., help="The device's MN."),
        value: str = typer.Argument(..., help="strict | lenient"),
    ) -> None:
        """Set a device's parsing policy (lenient accepts the known deviations, marked)."""
        from ecohub.ingest.devices import set_policy

        if value not in ("strict", "lenient"):
            fail("policy: must be 'strict' or 'lenient'")
        try:
            _with_store(
                lambda con: set_policy(con, mn, value),
                "PUT", f"/api/v1/hj212/devices/{mn}/policy", {"policy": value},
            )  # fmt: skip
        except ValueError as exc:  # an invalid or unknown MN: the message names `mn`
            fail(str(exc))
        console.print(f"{mn}: {value}")

    @app.command("register")
    def register_cmd(
        mn: str = typer.Argument(..., help="The device's MN."),
        name: str = typer.Option(None),
        pw: str = typer.Option(None, help="Access password to check (PW)."),
        st: str = typer.Option(None, help="System code (ST)."),
        source_code: str = typer.Option(None),
        outlet_code: str = typer.Option(None),
        interval: int = typer.Option(None, help="Expected reporting interval, seconds."),
    ) -> None:
        """Register a monitoring point (stop the server first: it needs the store)."""
        from ecohub.cli._common import open_store
        from ecohub.ingest.devices import register_device

        if not mn.strip():
            fail("MN: must not be empty")
        con = open_store()
        try:
            register_device(con, mn, name=name, source_code=source_code, outlet_code=outlet_code,
                            st=st, pw=pw, interval_s=interval)  # fmt: skip
        except ValueError as exc:  # an invalid MN: the message names `mn`
            fail(str(exc))
        finally:
            con.close()
        console.print(f"registered {mn}")
