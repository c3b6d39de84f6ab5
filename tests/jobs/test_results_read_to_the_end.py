"""Long-lived cursors read every result to the end. DuckDB keeps an auto-commit query's
transaction open until its result is read to the end (or the cursor runs its next statement),
and while any such transaction is open no other cursor can re-insert a key deleted since: a
half-read result left on a long-lived cursor made every later "delete, then insert the same key"
fail (review decisions marking air days stale answered 500 on a fresh `ecohub up`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest
from pydantic import BaseModel, ConfigDict

from ecohub.access.principal import Principal
from ecohub.jobs import kinds
from ecohub.jobs.runner import JobRunner
from ecohub.store.db import connect

ADMIN = Principal(name="root", role="admin", region=None, sources=())


def reinsert_works(con: duckdb.DuckDBPyConnection) -> bool:
    """True when a new cursor can delete the probe key and insert it again (no transaction
    older than the delete is open anywhere on the database)."""
    cur = con.cursor()
    try:
        cur.execute("DELETE FROM _probe WHERE k = 1")
        cur.execute("INSERT INTO _probe VALUES (1)")
        return True
    except duckdb.ConstraintException:
        return False
    finally:
        cur.close()


@pytest.fixture
def con(tmp_path: Path) -> Any:
    c = connect(tmp_path / "ecohub.duckdb")
    c.execute("CREATE TABLE _probe (k INTEGER PRIMARY KEY)")
    c.execute("INSERT INTO _probe VALUES (1)")
    yield c
    c.close()


def test_the_probe_sees_a_half_read_result(con: duckdb.DuckDBPyConnection) -> None:
    # The hazard itself, so the tests below can fail: a fetchone() left on an idle cursor.
    idle = con.cursor()
    idle.execute("SELECT * FROM range(3)").fetchone()
    assert not reinsert_works(con)
    idle.execute("SELECT 1").fetchall()
    assert reinsert_works(con)


class _NoParams(BaseModel):
    model_config = ConfigDict(extra="forbid")


def test_the_job_runner_leaves_no_transaction_open(
    con: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(
        kinds.KINDS, "noop", kinds.Kind(_NoParams, lambda *a: {"ok": True}, (), "probe")
    )
    runner = JobRunner(con, threads=1)
    try:
        job = runner.submit(ADMIN, "noop", {})
        runner.wait(job["id"])
        # the CLI polls its job until done: the last answer must not pin a transaction
        assert runner.get(ADMIN, job["id"])["state"] == "done"
        assert reinsert_works(con)
        assert runner.list(ADMIN)
        assert reinsert_works(con)
    finally:
        runner.shutdown()


def test_the_servers_start_leaves_no_transaction_open(con: duckdb.DuckDBPyConnection) -> None:
    from ecohub.runtime import _submit_air_compute

    runner = JobRunner(con, threads=0)
    try:
        # an empty store: nothing to compute, the answer is None
        assert _submit_air_compute(con, runner, sample_loaded=True) is None
        assert reinsert_works(con)
    finally:
        runner.shutdown()
