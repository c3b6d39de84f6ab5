"""Migration 006 on a store that has data, then kill -9: the store still opens."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from ecohub.store.db import connect, migrate

pytestmark = pytest.mark.e2e


def test_store_opens_after_kill_9_right_after_migration_006(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    migrate(con, before=6)
    con.execute(
        "INSERT INTO packet_log (received_at, raw, status) VALUES (now(), 'abc', 'rejected')"
    )
    con.close()
    # migrate, store a row, and die without a checkpoint: everything is in the write-ahead log
    code = (
        "import os, sys; from ecohub.store.db import connect; c = connect(sys.argv[1]); "
        'c.execute("INSERT INTO packet_log (received_at, raw, status, raw_size) '
        "VALUES (now(), 'de', 'rejected', 9000)\"); os._exit(0)"
    )
    subprocess.run([sys.executable, "-c", code, str(path)], check=True, timeout=60)
    assert Path(str(path) + ".wal").exists()
    con = connect(path)
    assert con.execute("SELECT id, raw, raw_size FROM packet_log ORDER BY id").fetchall() == [
        (1, b"abc", 3), (2, b"de", 9000)
    ]  # fmt: skip
    con.execute("INSERT INTO packet_log (received_at, raw, status) VALUES (now(), 'f', 'rejected')")
    assert con.execute("SELECT max(id) FROM packet_log").fetchone() == (3,)
    con.close()
