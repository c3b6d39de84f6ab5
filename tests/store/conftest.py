"""Fixtures of the lake tests: a node's settings and its store with the lake attached."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from ecohub.settings import Settings
from ecohub.store import lake
from ecohub.store.db import connect


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """One ingest node, data settled after 48 h (a module may override this fixture)."""
    return Settings(data_dir=tmp_path, node_id="n1", lake_settle_hours=48)


@pytest.fixture
def con(settings: Settings) -> duckdb.DuckDBPyConnection:
    """The node's store with its lake attached."""
    c = connect(settings.database)
    assert lake.attach(c, settings)
    return c
