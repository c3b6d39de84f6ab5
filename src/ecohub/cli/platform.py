"""``ecohub up`` and other platform-wide commands."""

from __future__ import annotations

import asyncio
import logging

import typer

from ecohub.cli._common import check_port, console, err_console, fail


def _event_loop_policy() -> None:
    try:
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    except ImportError:  # uvloop is optional: the stdlib loop works, only slower
        pass


def _status_line(line: str) -> None:
    """Print one of ``ecohub up``'s status lines; in a log file (not a terminal) on one line
    whatever its length, so that a job id or a path in it stays whole for grep."""
    console.print(line, soft_wrap=not console.is_terminal)


def register(app: typer.Typer) -> None:
    @app.command()
    def version() -> None:
        """Print the ecohub version."""
        from ecohub import __version__

        typer.echo(__version__)

    @app.command()
    def up(
        hj212_port: int = typer.Option(None, help="HJ 212 TCP port (default 9212)."),
        http_port: int = typer.Option(None, help="HTTP port (default 8212)."),
        simulate: int = typer.Option(
            0, help="Also run N simulated outlets feeding the listener (the first 3 misbehave)."
        ),
        history_hours: int = typer.Option(
            8, min=0, max=72, help="Hours of minute data the simulated outlets backfill at start."
        ),
        no_sample: bool = typer.Option(
            False, "--no-sample", help="Do not load the sample data into an empty store."
        ),
        verbose: bool = typer.Option(False, "--verbose", "-v"),
        role: str = typer.Option(
            "all",
            help="all: the whole platform; ingest: HJ 212 listener, writer and lake compaction "
            "only (/healthz and /metrics over HTTP), one of several nodes sharing a lake.",
        ),
    ) -> None:
        """Open (or create) the store, load sample data if empty, and serve HJ 212 and HTTP."""
        from ecohub.runtime import run_platform
        from ecohub.runtime_ingest import ROLES
        from ecohub.settings import load_settings
        from ecohub.store.db import StoreError

        if role not in ROLES:
            fail(f"--role: must be one of {', '.join(ROLES)}, got {role!r}", code=2)
        check_port("--hj212-port", hj212_port)
        check_port("--http-port", http_port)
        logging.basicConfig(
            level=logging.INFO if verbose else logging.WARNING,
            format="%(asctime)s %(levelname)s %(name)s %(message)s",
        )
        overrides: dict[str, object] = {}
        if hj212_port is not None:
            overrides["hj212_port"] = hj212_port
        if http_port is not None:
            overrides["http_port"] = http_port
        if no_sample:
            overrides["load_sample"] = False
        settings = load_settings(**overrides)
        from ecohub.settings import Settings
        from ecohub.settings_sources import unknown_variables

        for line in unknown_variables(Settings.model_fields):
            err_console.print(f"warning: {line}", markup=False, highlight=False, soft_wrap=True)
        _event_loop_policy()
        try:
            asyncio.run(
                run_platform(
                    settings,
                    simulate_devices=simulate,
                    history_hours=history_hours,
                    on_status=_status_line,
                    role=role,
                )
            )
        except StoreError as exc:
            fail(str(exc))
        except OSError as exc:
            fail(f"cannot listen: {exc}")
