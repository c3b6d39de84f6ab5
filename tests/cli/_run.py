"""Run the ecohub CLI in-process on a test's own store, with the settings read afresh."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner, Result

from ecohub.cli.main import app
from ecohub.settings import get_settings

_RUNNER = CliRunner()


def run_cli(
    *args: str,
    db: Path | None = None,
    data_dir: Path | None = None,
    columns: int | None = None,
    **env: str,
) -> Result:
    """``ecohub ARGS`` over the store file ``db`` and the data folder ``data_dir`` (the store's
    own folder when only ``db`` is given), Rich tables ``columns`` wide; ``env`` adds settings
    (``ECOHUB_NODE_ID="cli"``). The settings cache is cleared before and after, so one test's
    environment never leaks into the next."""
    environ = dict(env)
    if db is not None:
        environ["ECOHUB_DB_PATH"] = str(db)
    folder = data_dir if data_dir is not None else (db.parent if db is not None else None)
    if folder is not None:
        environ["ECOHUB_DATA_DIR"] = str(folder)
    if columns is not None:
        environ["COLUMNS"] = str(columns)
    get_settings.cache_clear()
    try:
        return _RUNNER.invoke(app, list(args), env=environ)
    finally:
        get_settings.cache_clear()


def csv_rows(text: str) -> list[dict[str, str]]:
    """The rows of a ``--format csv`` output, after checking it starts with the one UTF-8
    byte-order mark every CSV of the platform carries (Excel reads the file as UTF-8)."""
    import csv
    import io

    assert text.startswith("\ufeff") and text.count("\ufeff") == 1, text[:40]
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
