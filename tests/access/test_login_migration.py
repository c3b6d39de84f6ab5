"""Migration 030 (failed log-ins per client address) on a store an older release left, and on a
fresh store killed before its write-ahead log was folded in."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from ecohub.access import login, users
from ecohub.access.errors import AuthFailed
from ecohub.store.db import connect, migrate, migrations
from tests.access.conftest import PASSWORD


def test_030_applies_to_a_store_with_users_and_keeps_their_locks(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "old.duckdb"))
    migrate(con, before=30)
    now = datetime.now(UTC)
    # As the old release left them: ana with 3 wrong passwords counted, bob locked (for every
    # address: the old lock was the only kind) for 10 more minutes.
    con.executemany(
        "INSERT INTO app_user (name, role, region, sources, password_hash, failed_logins, "
        "locked_until, created_at) VALUES (?, 'analyst', '110105', '', ?, ?, ?, ?)",
        [
            ("ana", users.HASHER.hash(PASSWORD), 3, None, now),
            ("bob", users.HASHER.hash(PASSWORD), 0, now + timedelta(minutes=10), now),
        ],
    )
    con.execute("CHECKPOINT")
    assert migrate(con) == [v for v, _, _ in migrations() if v >= 30]
    # ana's old count has no window: her next failure is the first of a new one.
    with pytest.raises(AuthFailed) as err:
        login.authenticate(con, "ana", "not the password", client="192.0.2.1")
    assert err.value.reason == "wrong password"
    assert con.execute("SELECT failed_logins FROM app_user WHERE name = 'ana'").fetchall() == [(1,)]
    assert login.authenticate(con, "ana", PASSWORD, client="192.0.2.1").name == "ana"
    # bob's lock holds until it runs out, at every address.
    with pytest.raises(AuthFailed) as err:
        login.authenticate(con, "bob", PASSWORD, client="192.0.2.2")
    assert err.value.reason == "locked at every address"
    assert users.get_user(con, "bob", locks=True).locked_addresses == ()  # type: ignore[union-attr]
    con.close()


def test_a_fresh_store_killed_after_its_migrations_opens_again(tmp_path: Path) -> None:
    # The migration's ALTER TABLE and a failure row sit only in the write-ahead log when the
    # process dies; DuckDB replays them at the next open.
    fresh = tmp_path / "fresh.duckdb"
    script = (
        "import os, sys; from ecohub.store.db import connect; c = connect(sys.argv[1]); "
        "c.execute(\"INSERT INTO login_failure VALUES ('ana', '192.0.2.1', 2, NULL, now())\"); "
        "os._exit(0)"
    )
    subprocess.run([sys.executable, "-c", script, str(fresh)], check=True)
    con = connect(fresh)
    try:
        assert con.execute("SELECT user_name, failures FROM login_failure").fetchall() == [
            ("ana", 2)
        ]
        assert con.execute("SELECT count(failures_since) FROM app_user").fetchall() == [(0,)]
    finally:
        con.close()
