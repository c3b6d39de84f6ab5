"""Operator commands of ``ecohub hj212``: simulate, devices, deviations, policy, register.

Every command that needs the store goes through :mod:`ecohub.cli.client`: the running server's
API when ``ecohub up`` runs, else the same API in-process on the store.
"""

from __future__ import annotations

import asyncio
import json
import urllib.parse
from datetime import datetime
from typing import Any

import typer
from rich.table import Table

from ecohub.cli._common import check_finite, check_port, console, fail
from ecohub.cst import CST


def _quote(mn: str) -> str:
    """``mn`` as one URL path segment whatever it holds ('.' too: '..' must not climb)."""
    return urllib.parse.quote(mn, safe="").replace(".", "%2E")


def _check_mn(mn: str) -> None:
    """An MN the codec can read (HJ 212-2017 6.3.2 table 4), else a clear error."""
    from ecohub.protocols.hj212 import is_valid_mn

    if not is_valid_mn(mn):
        fail(
            f"MN: {mn[:40]!r} is not a device MN (1..27 letters, digits, '_', '-' or '.'; "
            "HJ 212-2017 6.3.2 table 4)"
        )


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
        port: int = typer.Option(
            None,
            help="Listener port (default: the running server's HJ 212 port, from server.json; "
            "else ECOHUB_HJ212_PORT, 9212).",
            show_default=False,
        ),
        devices: int = typer.Option(10, min=1, help="Simulated data-acquisition units."),
        rate: float = typer.Option(1.0, help="Packets per second per unit (0: unpaced)."),
        duration: float = typer.Option(10.0, help="Seconds to run (at least 0.1)."),
        window: int = typer.Option(1, min=1, help="Packets a unit may have unanswered."),
    ) -> None:
        """Run N simulated flue-gas / waste-water units and count the answers they get (MNs
        LOAD00000000000000000000 on: never a demo outlet of `ecohub up --simulate`)."""
        check_port("--port", port)
        if port is None:
            from ecohub.cli.server_state import hj212_port
            from ecohub.settings import get_settings

            port = hj212_port(get_settings())
        check_finite("--rate", rate)
        check_finite("--duration", duration, minimum=0.1)
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
        from ecohub.cli.client import door

        if status not in (None, "online", "offline", "unregistered"):
            fail("--status: must be online, offline or unregistered")
        with door() as d:
            rows = d.get("/api/v1/hj212/devices", status=status)
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
        from ecohub.cli.client import door

        with door() as d:
            rows = d.get("/api/v1/hj212/deviations")
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
            console.print(
                "Switch a device with: ecohub hj212 policy MN lenient. A device whose packets "
                "were all rejected is not known yet: register it first (ecohub hj212 register MN)."
            )

    @app.command()
    def policy(
        mn: str = typer.Argument(..., help="The device's MN."),
        value: str = typer.Argument(..., help="strict | lenient"),
    ) -> None:
        """Set a device's parsing policy (lenient accepts the known deviations, marked)."""
        from ecohub.cli.client import door

        if value not in ("strict", "lenient"):
            fail("policy: must be 'strict' or 'lenient'")
        _check_mn(mn)
        with door() as d:
            d.put(f"/api/v1/hj212/devices/{_quote(mn)}/policy", {"policy": value})
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
        """Register (or update) a monitoring point."""
        from ecohub.cli.client import door

        _check_mn(mn)
        body = {"name": name, "source_code": source_code, "outlet_code": outlet_code, "st": st,
                "pw": pw, "interval_s": interval}  # fmt: skip
        with door() as d:
            d.put(
                f"/api/v1/hj212/devices/{_quote(mn)}",
                {k: v for k, v in body.items() if v is not None},
            )
        console.print(f"registered {mn}")
