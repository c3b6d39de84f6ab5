from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from ecohub.store.db import connect

PASSWORD = "correct horse battery"  # 21 characters


@pytest.fixture
def store(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A migrated store file in its own data folder (the audit head file goes beside it)."""
    con = connect(tmp_path / "ecohub.duckdb")
    yield con
    con.close()


@pytest.fixture(autouse=True)
def cheap_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2id with small cost parameters: the same algorithm and code path, a test-sized cost
    (the defaults take ~0.1-0.2 s per hash on this shared machine)."""
    from argon2 import PasswordHasher

    from ecohub.access import users

    monkeypatch.setattr(
        users, "HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )
    users._dummy_hash.cache_clear()
