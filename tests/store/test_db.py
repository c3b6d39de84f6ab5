from __future__ import annotations

import stat
from pathlib import Path

import duckdb
import pytest

from ecohub.store.db import StoreError, StoreLocked, connect, is_empty, migrations


def test_migrations_apply_once_in_order(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    con = connect(path)
    versions = [v for v, _, _ in migrations()]
    assert versions == sorted(versions) and versions[0] == 1
    applied = [
        r[0] for r in con.execute("SELECT version FROM schema_version ORDER BY 1").fetchall()
    ]
    assert applied == versions
    con.close()
    con = connect(path)  # re-opening applies nothing again
    assert con.execute("SELECT count(*) FROM schema_version").fetchone()[0] == len(versions)
    con.close()


def test_foundation_tables_exist(tmp_path: Path) -> None:
    con = connect(tmp_path / "s.duckdb")
    tables = {r[0] for r in con.execute("SHOW TABLES").fetchall()}
    assert {"station", "observation", "emission", "packet_log", "monitor_point", "hj212_message",
            "region", "source", "outlet", "load_log"} <= tables  # fmt: skip
    assert is_empty(con)
    con.close()


def test_emission_key_is_idempotent(tmp_path: Path) -> None:
    con = connect(tmp_path / "s.duckdb")
    row = "('MN1', '2051', TIMESTAMPTZ '2026-01-01 12:00:00+08', 'a21026', now())"
    sql = f"INSERT OR IGNORE INTO emission (mn, cn, data_time, pollutant, received_at) VALUES {row}"
    con.execute(sql)
    con.execute(sql)
    assert con.execute("SELECT count(*) FROM emission").fetchone()[0] == 1
    with pytest.raises(duckdb.ConstraintException):
        con.execute(sql.replace("OR IGNORE ", ""))
    con.close()


def test_locked_store_is_a_clear_error(tmp_path: Path) -> None:
    import subprocess
    import sys

    path = tmp_path / "s.duckdb"
    connect(path).close()
    holder = subprocess.Popen(
        [sys.executable, "-c",
         f"import duckdb,sys,time; c=duckdb.connect({str(path)!r}); print('ok', flush=True); "
         "time.sleep(30)"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ok"
        with pytest.raises(StoreLocked, match="in use by another process"):
            connect(path)
    finally:
        holder.kill()
        holder.wait()


def test_write_ahead_log_is_folded_in_at_the_store_threshold(tmp_path: Path) -> None:
    from ecohub.store.db import CHECKPOINT_THRESHOLD

    con = connect(tmp_path / "s.duckdb")
    got = con.execute("SELECT current_setting('checkpoint_threshold')").fetchone()[0]
    assert got == f"{float(CHECKPOINT_THRESHOLD.removesuffix('MiB'))} MiB" != "16.0 MiB"
    con.close()


# -- issue 9: a store path that cannot be a store says so, never "in use" -----------------


def test_file_that_is_not_duckdb_is_named_as_such(tmp_path: Path) -> None:
    path = tmp_path / "notes.duckdb"
    path.write_text("not a database\n")
    with pytest.raises(StoreError, match="is not a DuckDB database file") as info:
        connect(path)
    assert "in use" not in str(info.value) and str(path) in str(info.value)
    assert not isinstance(info.value, StoreLocked)


def test_directory_as_store_is_named_as_such(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="is a directory, not a DuckDB file"):
        connect(tmp_path)


def test_store_under_a_file_is_a_clear_error(tmp_path: Path) -> None:
    afile = tmp_path / "afile"
    afile.write_text("x")
    with pytest.raises(StoreError, match="cannot create the store's directory"):
        connect(afile / "ecohub.duckdb")


def test_duckdb_file_of_another_application_is_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "other.duckdb"
    other = duckdb.connect(str(path))
    other.execute("CREATE VIEW station AS SELECT 1 AS x")  # our first migration creates a table
    other.close()
    with pytest.raises(StoreError, match="cannot be used by ecohub"):
        connect(path)


def test_lock_is_its_own_error_class() -> None:
    assert issubclass(StoreLocked, StoreError)


def test_the_page_key_migration_keeps_every_source_and_numbers_them_in_storage_order(
    tmp_path: Path,
) -> None:
    """023 rebuilds `source` with `hkey` (ecohub.geo.storage): a store of 022 keeps its rows and
    values, its rows are numbered in the order they are stored, and the store still opens after
    a crash that leaves the migration in the write-ahead log."""
    import subprocess
    import sys

    from ecohub.store.db import migrate

    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    migrate(con, before=23)
    rows = [("S3", "c", 116.1, 39.9, "merged", "S1"), ("S1", "a", None, None, "active", None),
            ("S2", "b", 121.4, 31.2, "active", None)]  # fmt: skip
    con.executemany(
        "INSERT INTO source (source_code, name, lon, lat, status, merged_into) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        rows,
    )
    con.execute("CHECKPOINT")
    assert migrate(con) == [v for v, _, _ in migrations() if v >= 23]
    got = con.execute(
        "SELECT source_code, name, lon, lat, status, merged_into FROM source ORDER BY hkey"
    ).fetchall()
    assert got == rows  # stored order: S3, S1, S2 (keys 1, 2, 3)
    assert [k for (k,) in con.execute("SELECT hkey FROM source ORDER BY hkey").fetchall()] == [
        1, 2, 3,
    ]  # fmt: skip
    con.close()
    # A fresh store killed right after its migrations (nothing checkpointed) opens again.
    fresh = tmp_path / "fresh.duckdb"
    script = (
        "import os, sys; from ecohub.store.db import connect; "
        "c = connect(sys.argv[1]); c.execute(\"INSERT INTO source (source_code) VALUES ('X')\"); "
        "os._exit(0)"
    )
    subprocess.run([sys.executable, "-c", script, str(fresh)], check=True)
    con = connect(fresh)
    assert con.execute("SELECT source_code, hkey FROM source").fetchall() == [("X", 1)]
    con.close()


def test_the_store_and_its_data_folder_are_readable_by_their_owner_alone(tmp_path: Path) -> None:
    # The store holds credential hashes and every region's data: a copy by another local
    # account bypasses every role and scope.
    from ecohub.settings import Settings
    from ecohub.store.db import apply_settings

    data = tmp_path / "data"
    data.mkdir()
    data.chmod(0o755)
    con = connect(data / "ecohub.duckdb")
    try:
        apply_settings(con, Settings(data_dir=data))
        con.execute("CREATE TABLE t AS SELECT 1 AS x")  # a WAL now, inside the private folder
        assert stat.S_IMODE(data.stat().st_mode) == 0o700
        assert stat.S_IMODE((data / "ecohub.duckdb").stat().st_mode) == 0o600
    finally:
        con.close()
    # A shared folder (sticky bit, as /tmp) is left as it is; the store file is still private.
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    connect(shared / "s.duckdb").close()
    assert stat.S_IMODE(shared.stat().st_mode) == 0o1777
    assert stat.S_IMODE((shared / "s.duckdb").stat().st_mode) == 0o600


def test_a_wal_made_later_is_private_outside_the_data_folder(tmp_path: Path) -> None:
    # The store where an operator keeps it, in a folder others may list and read (0755): the
    # WAL DuckDB makes after a checkpoint must still be its owner's alone.
    folder = tmp_path / "dbdir"
    folder.mkdir()
    folder.chmod(0o755)
    store = folder / "ecohub.duckdb"
    con = connect(store)
    try:
        con.execute("CREATE TABLE t AS SELECT 1 AS x")
        con.execute("CHECKPOINT")  # the WAL is folded in and gone
        con.execute("INSERT INTO t VALUES (2)")  # a new WAL, made now
        wal = folder / "ecohub.duckdb.wal"
        assert wal.exists()
        assert stat.S_IMODE(wal.stat().st_mode) == 0o600
    finally:
        con.close()
