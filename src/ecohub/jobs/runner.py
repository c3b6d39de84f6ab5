"""Queue, run and record jobs; each runs in a worker thread on its own DuckDB cursor.

One worker by default: jobs run one after another, so a long job takes at most one core from
the HJ 212 listener (which shares the process). DuckDB releases the GIL while it works, so the
listener's event loop keeps answering. Progress is kept in memory for every poll and written to
the ``job`` row at most once a second; the final state is always written. Jobs left queued or
running by a stopped server are marked failed when the next one starts.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from ecohub.access.principal import Principal
from ecohub.access.scope import require_role
from ecohub.catalog.produce import job_context
from ecohub.jobs.files import NO_FILES, JobFiles
from ecohub.jobs.kinds import KINDS, check_params
from ecohub.jobs.plain import jsonable
from ecohub.jobs.rejects import public
from ecohub.queries import NotFound, QueryError
from ecohub.queries.failures import classify
from ecohub.queries.paging import page_size
from ecohub.store.backend import AnalyticsBackend, duckdb_backend

log = logging.getLogger(__name__)

STATES = ("queued", "running", "done", "failed")
_WRITE_EVERY_S = 1.0
_COLS = (
    "id",
    "kind",
    "owner",
    "state",
    "params",
    "done",
    "total",
    "message",
    "result",
    "error",
    "created_at",
    "started_at",
    "finished_at",
)


def _now() -> datetime:
    return datetime.now(UTC)


class JobRunner:
    """Jobs over the store connection ``con`` (the server's; never closed here). ``files``:
    where jobs may read and write files (jobs/files.py; none given: no file at all)."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        *,
        workers: int = 1,
        nice: int = 10,
        threads: int = 0,
        engine: AnalyticsBackend | None = None,
        files: JobFiles | None = None,
    ) -> None:
        self._con = con
        self.files = files or NO_FILES
        # Analytic jobs (Kind.engine) run on it: the backend the server opened, one per process.
        self.engine = engine or duckdb_backend()
        self._nice = nice
        self._threads = threads  # DuckDB threads while a job runs (0: unchanged)
        self._running = 0
        self._threads_before: int | None = None
        self._meta = con.cursor()  # job-table reads and writes, under _lock
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="ecohub-job")
        self._live: dict[str, dict[str, Any]] = {}
        self._recover()

    def _recover(self) -> None:
        err = json.dumps(
            {
                "type": "about:blank",
                "title": "Internal Server Error",
                "status": 500,
                "detail": "the server stopped before the job finished",
            }
        )
        with self._lock:
            self._meta.execute(
                "UPDATE job SET state = 'failed', error = ?, finished_at = now() "
                "WHERE state IN ('queued', 'running')",
                [err],
            )

    def submit(
        self,
        principal: Principal,
        kind: str,
        params: dict[str, Any] | None,
        *,
        prefix: str = "params.",
    ) -> dict[str, Any]:
        """Check and queue a job; its first state. :class:`QueryError` names a bad parameter
        as ``prefix`` + its name (``params.from`` for ``POST /jobs``; a route whose body
        members are the parameters passes ``""``). The kind's ``check`` (the service's own
        checks, a period) runs here too: a request it refuses never becomes a job."""
        spec = KINDS.get(kind)
        if spec is None:
            raise QueryError("kind", f"must be one of {', '.join(sorted(KINDS))}, got {kind!r}")
        require_role(principal, *spec.roles)
        checked = check_params(spec, params or {}, self.files, prefix)
        job_id = uuid.uuid4().hex
        if spec.rejects and getattr(checked, spec.rejects) is None and spec.reject_name:
            # None named: the job's own folder of the rejects folder (unconfined: the
            # service's default, beside the input file).
            name = spec.reject_name(Path(checked.path)).name
            setattr(checked, spec.rejects, self.files.job_rejects(job_id, name))
        row = {
            "id": job_id,
            "kind": kind,
            "owner": principal.name,
            "state": "queued",
            "params": checked.model_dump(),
            "done": None,
            "total": None,
            "message": "queued",
            "result": None,
            "error": None,
            "created_at": _now(),
            "started_at": None,
            "finished_at": None,
        }
        with self._lock:
            self._meta.execute(
                "INSERT INTO job (id, kind, owner, state, params, message, created_at) "
                "VALUES (?, ?, ?, 'queued', ?, 'queued', ?)",
                [job_id, kind, principal.name, json.dumps(row["params"]), row["created_at"]],
            )
            self._live[job_id] = row
        self._pool.submit(self._run, job_id, principal, checked)
        return self._public(row)

    def _write(self, row: dict[str, Any]) -> None:
        with self._lock:
            self._meta.execute(
                "UPDATE job SET state = ?, done = ?, total = ?, message = ?, result = ?, "
                "error = ?, started_at = ?, finished_at = ? WHERE id = ?",
                [
                    row["state"],
                    row["done"],
                    row["total"],
                    row["message"],
                    None if row["result"] is None else json.dumps(row["result"]),
                    None if row["error"] is None else json.dumps(row["error"]),
                    row["started_at"],
                    row["finished_at"],
                    row["id"],
                ],
            )

    def _lower_priority(self) -> None:
        # Linux schedules threads separately: a nice worker thread yields the CPU to the HJ 212
        # listener's event loop when both want it (the process keeps its own priority).
        if self._nice and hasattr(os, "setpriority"):
            with contextlib.suppress(OSError):
                os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), self._nice)

    def _cap_threads(self, start: bool) -> None:
        """While any job runs, DuckDB uses ``threads`` threads (a per-database setting): the
        job's work then stays on its own niced thread instead of filling DuckDB's worker pool,
        whose threads run at the server's priority beside the HJ 212 listener."""
        if not self._threads:
            return
        with self._lock:
            self._running += 1 if start else -1
            try:
                if start and self._running == 1:
                    got = self._meta.execute("SELECT current_setting('threads')").fetchall()
                    self._threads_before = int(got[0][0]) if got else None
                    self._meta.execute(f"SET threads = {int(self._threads)}")
                elif not start and self._running == 0 and self._threads_before is not None:
                    self._meta.execute(f"SET threads = {self._threads_before}")
            except duckdb.Error:
                log.exception("jobs: could not change DuckDB's threads")

    def _run(self, job_id: str, principal: Principal, params: Any) -> None:
        self._cap_threads(True)
        try:
            self._run_capped(job_id, principal, params)
        finally:
            self._cap_threads(False)

    def _run_capped(self, job_id: str, principal: Principal, params: Any) -> None:
        self._lower_priority()
        row = self._live[job_id]
        spec = KINDS[row["kind"]]
        row.update(state="running", started_at=_now(), message="running")
        self._write(row)
        last = [time.monotonic()]

        def progress(done: int | None, total: int | None, message: str) -> None:
            row.update(done=done, total=total, message=message)
            if time.monotonic() - last[0] >= _WRITE_EVERY_S:
                last[0] = time.monotonic()
                self._write(row)

        cur = self._con.cursor()
        reject = getattr(params, spec.rejects, None) if spec.rejects else None
        try:
            if "path" in spec.params.model_fields:
                # The files again, now: what a path leads to may have changed since the job
                # was queued; the job reads and writes the paths as resolved here.
                if reject:
                    self.files.make_room(reject)
                params = check_params(spec, params.model_dump(by_alias=True), self.files, "params.")
            extra = {"engine": self.engine} if spec.engine else {}
            # Lineage: what the job's producers register names this job and its parameters.
            with job_context(job_id, row["kind"], row.get("params") or {}):
                result = spec.run(cur, principal, params, progress, **extra)
            row.update(state="done", result=jsonable(result), message="done")
        except Exception as exc:
            failure = classify(exc)
            if failure.status >= 500:
                log.exception("job %s (%s) failed", job_id, row["kind"])
            row.update(state="failed", error=failure.problem(), message=failure.detail)
        finally:
            cur.close()
            if reject:
                self.files.settle(reject)
            row["finished_at"] = _now()
            self._write(row)
            with self._lock:
                self._live.pop(job_id, None)

    def _public(self, row: dict[str, Any]) -> dict[str, Any]:
        return public({k: row[k] for k in _COLS}, self.files)

    def get(self, principal: Principal, job_id: str) -> dict[str, Any]:
        """A job the caller owns (an admin: any job); :class:`NotFound` otherwise."""
        with self._lock:
            live = self._live.get(job_id)
            if live is not None and (live["owner"] == principal.name or principal.role == "admin"):
                return self._public(dict(live))
            # Read to the end (fetchall): a result left half-read keeps this long-lived
            # cursor's transaction open until its next statement, and while it is open no
            # other cursor can re-insert a key deleted since (DuckDB refuses the key:
            # docs/design.md, "Results read to the end").
            rows = self._meta.execute(
                f"SELECT {', '.join(_COLS)} FROM job WHERE id = ? AND (owner = ? OR ?)",
                [job_id, principal.name, principal.role == "admin"],
            ).fetchall()
        if not rows:
            raise NotFound("job", job_id)
        return self._public(dict(zip(_COLS, rows[0], strict=True)))

    def list(self, principal: Principal, *, limit: int | None = None) -> list[dict[str, Any]]:
        """The caller's jobs (an admin: everyone's), newest first."""
        n = page_size(limit)
        with self._lock:
            rows = self._meta.execute(
                f"SELECT {', '.join(_COLS)} FROM job WHERE owner = ? OR ? "
                "ORDER BY created_at DESC LIMIT ?",
                [principal.name, principal.role == "admin", n],
            ).fetchall()
            live = {k: dict(v) for k, v in self._live.items()}
        out = []
        for r in rows:
            row = dict(zip(_COLS, r, strict=True))
            out.append(self._public(live.get(row["id"], row)))
        return out

    def wait(self, job_id: str, timeout: float = 60.0) -> None:
        """Block until the job is no longer live (tests and in-process callers)."""
        end = time.monotonic() + timeout
        while job_id in self._live and time.monotonic() < end:
            time.sleep(0.05)

    def shutdown(self) -> None:
        """Stop taking jobs; wait for the running one (its transaction must end cleanly)."""
        self._pool.shutdown(wait=True, cancel_futures=True)
        with self._lock:
            self._meta.close()
