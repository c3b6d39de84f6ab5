"""A store with the real boundaries and key regions, installed once per session and copied."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from ecohub.geo import ensure_regions
from ecohub.store.db import connect


@pytest.fixture(scope="session")
def base_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("geo") / "base.duckdb"
    con = connect(path)
    ensure_regions(con)
    con.close()
    return path


@pytest.fixture
def con(base_store: Path, tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    path = tmp_path / "store.duckdb"
    shutil.copy(base_store, path)
    c = connect(path)
    yield c
    c.close()
