"""What ``ecohub up`` adds for the data lake, and the HTTP side of an ingest-only node.

``ecohub up --role ingest`` runs the HJ 212 listener, its writer and lake compaction only: no
sample data, no regions, no anomaly detector, and over HTTP only ``/healthz`` and ``/metrics``
(docs/operations.md "Several ingest nodes").
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

import duckdb
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ecohub import __version__
from ecohub.jobs.runner import JobRunner
from ecohub.settings import Settings

log = logging.getLogger(__name__)

ROLES = ("all", "ingest")


def open_lake(con: duckdb.DuckDBPyConnection, settings: Settings) -> str:
    """Point the store's ``*_all`` views at the lake and finish a compaction a killed process
    left; a line for the start-up messages."""
    from ecohub.store.lake import LakeError, attach
    from ecohub.store.lake_compact import COMPACTED, recover

    attached = attach(con, settings)
    try:
        finished = sum(recover(con, settings, table) for table in COMPACTED)
    except LakeError as exc:
        return f"lake: {settings.lake_root} (read only here: {exc})"
    extra = f"; {finished} interrupted compaction(s) finished" if finished else ""
    state = "" if attached else " (NOT attached: see the log)"
    return f"lake: {settings.lake_root}{state}, node {settings.node}{extra}"


async def compact_every(jobs: JobRunner, every_s: float, on_status: Callable[[str], None]) -> None:
    """Queue a ``lake-compact`` job every ``every_s`` seconds (the first after one period),
    unless the last one is still queued or running."""
    from ecohub.access.principal import SYSTEM

    last: str | None = None
    while True:
        await asyncio.sleep(every_s)
        try:
            if last is not None and jobs.get(SYSTEM, last)["state"] in ("queued", "running"):
                continue
            last = str(jobs.submit(SYSTEM, "lake-compact", {})["id"])
        except Exception:  # a refused submit must not end the schedule
            log.exception("could not queue the lake compaction")


def ingest_app(
    con: duckdb.DuckDBPyConnection, metrics_registry: Any, health: Callable[[], dict[str, Any]]
) -> Starlette:
    """``/healthz`` (the store answers) and ``/metrics`` (Prometheus text, no log-in: keep the
    HTTP port on a private network, as the default 127.0.0.1 does)."""
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

    def healthz(request: Request) -> Response:
        cur = con.cursor()
        try:
            cur.execute("SELECT 1").fetchone()
        finally:
            cur.close()
        return JSONResponse({"status": "ok", "version": __version__, "role": "ingest", **health()})

    def metrics(request: Request) -> Response:
        return Response(generate_latest(metrics_registry), media_type=CONTENT_TYPE_LATEST)

    return Starlette(routes=[Route("/healthz", healthz), Route("/metrics", metrics)])


async def cancel(task: asyncio.Task[Any] | None) -> None:
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(BaseException):
        await task
