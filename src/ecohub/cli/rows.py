"""Rows of a listing printed as the ``--format`` option asks: a Rich table, CSV or JSON."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

import typer
from rich.table import Table

from ecohub.cli._common import console


def folding_table(*columns: str, title: str | None = None) -> Table:
    """A table whose cells fold in a narrow terminal instead of ending in "…": names, codes and
    key ids are copied from tables into other commands."""
    table = Table(title=title)
    for column in columns:
        table.add_column(column, overflow="fold")
    return table


def emit_rows(
    rows: Sequence[dict[str, Any]],
    columns: Sequence[str],
    fmt: str,
    *,
    cell: Callable[[Any], str] = str,
    title: str | None = None,
) -> None:
    """``rows`` as JSON (as they are), CSV (``columns``, each value through ``cell``, NULL
    empty) or a table titled with ``title`` and the row count (NULL and empty as ``-``)."""
    if fmt == "json":
        typer.echo(json.dumps(list(rows), ensure_ascii=False, indent=1))
        return
    if fmt == "csv":  # the platform's CSV (BOM first; times as the API's JSON gave them)
        from ecohub.queries.export import cells_csv

        cells = (["" if r.get(c) is None else cell(r.get(c)) for c in columns] for r in rows)
        typer.echo(cells_csv(columns, cells), nl=False)
        return
    count = f"{len(rows)} row(s)"
    table = folding_table(*columns, title=f"{title}: {count}" if title else count)
    for r in rows:
        table.add_row(*(("" if r.get(c) is None else cell(r.get(c))) or "-" for c in columns))
    console.print(table)
