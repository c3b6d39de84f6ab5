"""Helpers shared by the CLI sub-commands: errors to stderr, option checks, store opening."""

from __future__ import annotations

import math
from typing import NoReturn

import duckdb
import typer
from rich.console import Console
from rich.markup import escape

err_console = Console(stderr=True)
console = Console()


def fail(message: str, code: int = 1) -> NoReturn:
    """Print ``message`` to stderr (one line, never wrapped) and exit non-zero, no traceback."""
    # escape: the message may quote user input holding [...], which rich would read as markup
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def check_port(option: str, value: int | None) -> None:
    """A port option is 0 (any free port) .. 65535; ``fail`` naming ``option`` otherwise."""
    if value is not None and not 0 <= value <= 65535:
        fail(f"{option}: {value} is not a TCP port (0..65535; 0 picks a free one)", code=2)


def check_finite(option: str, value: float, *, minimum: float = 0.0) -> None:
    """A number option is finite and at least ``minimum``; ``fail`` naming ``option``."""
    if not math.isfinite(value) or value < minimum:
        fail(f"{option}: must be a finite number >= {minimum:g}, got {value}", code=2)


def open_store(read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """The configured store, opened and migrated; a clear error instead of a traceback."""
    from ecohub.settings import get_settings
    from ecohub.store.db import StoreError, apply_settings, connect
    from ecohub.store.lake import attach

    settings = get_settings()
    if not read_only:
        from ecohub.store.folders import check_lake

        check_lake(settings)  # SettingsError: one line naming the setting, exit 2
    try:
        con = connect(settings.database, read_only=read_only)
    except StoreError as exc:
        fail(str(exc))
    apply_settings(con, settings)
    if not read_only:
        attach(con, settings)  # `*_all` views over the configured lake
    return con
