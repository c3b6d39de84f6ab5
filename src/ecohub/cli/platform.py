"""``ecohub up`` and other platform-wide commands."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    @app.command()
    def version() -> None:
        """Print the ecohub version."""
        from ecohub import __version__

        typer.echo(__version__)
