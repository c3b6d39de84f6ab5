"""The store's memory budget (``ECOHUB_DB_MEMORY_LIMIT``) reaches DuckDB wherever the platform
opens the store."""

from __future__ import annotations

from pathlib import Path

import pytest

from ecohub.settings import Settings
from ecohub.store.db import apply_settings, connect


def _limit(con: object) -> str:
    return str(con.execute("SELECT current_setting('memory_limit')").fetchone()[0])  # type: ignore[attr-defined]


@pytest.mark.parametrize(("given", "shown"), [("1GiB", "1.0 GiB"), ("512MiB", "512.0 MiB")])
def test_the_budget_is_the_databases(tmp_path: Path, given: str, shown: str) -> None:
    con = connect(tmp_path / "s.duckdb")
    default = _limit(con)
    apply_settings(con, Settings(data_dir=tmp_path, db_memory_limit=given))
    assert _limit(con) == shown != default
    # A setting of the database: every cursor (the API's requests, jobs) has it.
    assert _limit(con.cursor()) == shown
    con.close()


def test_no_budget_leaves_duckdbs_own(tmp_path: Path) -> None:
    con = connect(tmp_path / "s.duckdb")
    default = _limit(con)
    apply_settings(con, Settings(data_dir=tmp_path))
    assert _limit(con) == default
    con.close()


def test_the_cli_applies_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ecohub.cli._common import open_store
    from ecohub.settings import get_settings

    monkeypatch.setenv("ECOHUB_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("ECOHUB_DB_MEMORY_LIMIT", "768MiB")
    get_settings.cache_clear()
    try:
        con = open_store()
        assert _limit(con) == "768.0 MiB"
        con.close()
    finally:
        get_settings.cache_clear()
