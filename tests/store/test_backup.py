"""docs/operations.md, "Backup and restore": a copy of the data folder taken after a clean stop
opens elsewhere with its data, its audit chain and the chain's head intact."""

from __future__ import annotations

import shutil
import stat
from pathlib import Path

from ecohub.access import audit, audit_read
from ecohub.access.principal import Principal
from ecohub.store.db import connect

ANA = Principal("ana", "analyst", "110105", via="token")


def test_a_copy_after_a_clean_stop_restores_whole(tmp_path: Path) -> None:
    data = tmp_path / "ecohub-data"
    data.mkdir()
    con = connect(data / "ecohub.duckdb")
    con.execute("INSERT INTO source (source_code, region_code) VALUES ('S1', '110105')")
    for i in range(3):
        audit.record(con, ANA, "read", "/api/v1/stations", {"page": i}, i, "200")
    con.close()  # the clean stop: committed and checkpointed
    assert not (data / "ecohub.duckdb.wal").exists()

    restored = tmp_path / "restore" / "ecohub-data"
    shutil.copytree(data, restored, copy_function=shutil.copy2)  # what `cp -a` does
    assert stat.S_IMODE((restored / "ecohub.duckdb").stat().st_mode) == 0o600

    back = connect(restored / "ecohub.duckdb")
    try:
        assert back.execute("SELECT source_code FROM source").fetchall() == [("S1",)]
        # The head file beside the restored store is the one verify reads: the chain is whole.
        assert audit_read.verify(back) is None
        assert [e["seq"] for e in audit_read.show(back)] == [1, 2, 3]
    finally:
        back.close()
    # A copy that lost its head file is reported, as a log cut short would be.
    (restored / "audit.head").unlink()
    back = connect(restored / "ecohub.duckdb")
    try:
        bad = audit_read.verify(back)
        assert bad is not None and "head file" in bad.reason
    finally:
        back.close()
