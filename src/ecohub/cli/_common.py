"""Helpers shared by the CLI sub-commands: errors to stderr, store opening."""

from __future__ import annotations

from typing import NoReturn

import duckdb
import typer
from rich.console import Console

err_console = Console(stderr=True)
console = Console()


def fail(message: str, code: int = 1) -> NoReturn:
    """Print ``message`` to stderr and exit non-zero, without a traceback."""
    err_console.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)


def open_store(read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """The configured store, opened and migrated; a clear error instead of a traceback."""
    from ecohub.settings import get_settings
    from ecohub.store.db import StoreError, connect

    try:
        return connect(get_settings().database, read_only=read_only)
    except StoreError as exc:
        fail(str(exc))
