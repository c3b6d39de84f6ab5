"""While a job runs, DuckDB runs with ``job_threads`` threads; afterwards with its own again."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict

from ecohub.access.principal import Principal
from ecohub.jobs import kinds
from ecohub.jobs.runner import JobRunner
from ecohub.store.db import connect


class _NoParams(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _threads(cur: Any, who: Principal, p: Any, progress: Any) -> Any:
    return {"threads": cur.execute("SELECT current_setting('threads')").fetchone()[0]}


def test_threads_are_capped_while_a_job_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(kinds.KINDS, "threads", kinds.Kind(_NoParams, _threads, (), "probe"))
    con = connect(tmp_path / "ecohub.duckdb")
    con.execute("SET threads = 3")
    admin = Principal(name="root", role="admin", region=None, sources=())
    try:
        runner = JobRunner(con, threads=1)
        job = runner.submit(admin, "threads", {})
        runner.wait(job["id"])
        assert runner.get(admin, job["id"])["result"] == {"threads": 1}
        assert con.execute("SELECT current_setting('threads')").fetchone()[0] == 3
        runner.shutdown()
        # threads=0 leaves DuckDB's setting alone.
        runner = JobRunner(con, threads=0)
        job = runner.submit(admin, "threads", {})
        runner.wait(job["id"])
        assert runner.get(admin, job["id"])["result"] == {"threads": 3}
        runner.shutdown()
    finally:
        con.close()
