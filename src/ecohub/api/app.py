"""The HTTP door: ``/api/v1`` (authenticated), ``/open/v1`` (open data), health and metrics.

Thin: every route calls one service function that returns plain data; who may call which route
is data (:mod:`ecohub.api.rules`), the caller's scope is in each service's query.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
from fastapi import FastAPI

from ecohub import __version__
from ecohub.access import tokens
from ecohub.api.deps import Context
from ecohub.api.errors import document_problems, install_errors
from ecohub.api.http_basics import HttpBasics
from ecohub.api.limits import BodyLimit
from ecohub.jobs.files import JobFiles
from ecohub.jobs.runner import JobRunner
from ecohub.queries import paging
from ecohub.settings import Settings
from ecohub.store.backend import AnalyticsBackend, open_backend


def create_app(
    con: duckdb.DuckDBPyConnection,
    *,
    settings: Settings | None = None,
    data_dir: Path | str | None = None,
    metrics_registry: Any = None,
    offline_after_s: float | None = None,
    on_policy: Callable[[str, str], None] | None = None,
    on_devices_changed: Callable[[], None] | None = None,
    health: Callable[[], dict[str, Any]] | None = None,
    jobs: JobRunner | None = None,
    write_local_credential: bool = True,
    audit: bool = True,
    engine: AnalyticsBackend | None = None,
    confine_files: bool = True,
) -> FastAPI:
    """An app over an open store connection; each request reads through its own cursor.

    ``data_dir`` (default: the settings') holds the token-signing secret and the local
    credential. ``jobs`` defaults to a new :class:`JobRunner` over ``con``. ``engine``: the
    analytics backend (default: the one the settings choose, ``open_backend``).
    ``confine_files``: its jobs read files only from the import folders and write only into the
    rejects folder (jobs/files.py); False only for the CLI's own process, which reads and
    writes its user's files.
    """
    from ecohub.api.auth import install_auth
    from ecohub.api.routers import (
        air,
        hj212,
        open_bulk,
        platform,
        regions,
        registry,
        stations,
        trend,
        water,
    )
    from ecohub.api.routers import geo as geo_router
    from ecohub.api.routers import geo_query as geo_query_router
    from ecohub.api.routers import jobs as jobs_router
    from ecohub.api.routers import ogc as ogc_router
    from ecohub.api.routers import open as open_router

    s = settings or Settings()
    engine = engine or open_backend(s)
    files = JobFiles.of(s, data_dir) if confine_files else JobFiles.unconfined(s, data_dir)
    app = FastAPI(
        title="ecohub",
        version=__version__,
        openapi_url="/api/v1/openapi.json",
        # FastAPI's own docs page loads Swagger UI from a CDN; ecohub.web.api_docs serves the
        # same page at the same paths from the npm-installed copy (no internet at run time).
        docs_url=None,
        swagger_ui_oauth2_redirect_url=None,
        redoc_url=None,
        description="Ecological-environment data platform. Errors are application/problem+json "
        "(RFC 9457). Log in at /api/v1/auth/token; open data under /open/v1 needs no log-in.",
    )
    app.state.ctx = Context(
        con=con,
        settings=s,
        jobs=jobs
        or JobRunner(
            con,
            workers=s.job_workers,
            nice=s.job_nice,
            threads=s.job_threads,
            engine=engine,
            files=files,
        ),
        offline_after_s=s.hj212_offline_after_s if offline_after_s is None else offline_after_s,
        on_policy=on_policy,
        on_devices_changed=on_devices_changed,
        engine=engine,
    )
    app.state.metrics_registry = metrics_registry
    app.state.health = health
    install_errors(app)
    # Routers are matched in the order included, route by route (FastAPI skips no router by
    # its prefix), ~2-3 us a route under the GIL: the busiest reads come first. The OGC items
    # page (the map's) was matched after every other router (~147 us a request); after the
    # API's station, air, water and trend reads it takes ~54 us, and those pay nothing more.
    # No two routers share a path, so the order changes no answer.
    for module in (
        platform,
        regions,
        stations,
        air,
        water,
        trend,
        ogc_router,
        hj212,
        registry,
        jobs_router,
        open_router,
        open_bulk,
        geo_router,
        geo_query_router,
    ):
        app.include_router(module.router)
    open_router.install_open(app)
    app.include_router(__import__("ecohub.api.routers.catalog", fromlist=["router"]).router)
    from ecohub.api.routers import admin, registry_admin, review, supervision

    for module in (supervision, review, admin, registry_admin):
        app.include_router(module.router)
    from ecohub.api.routers import complaints

    app.include_router(complaints.router)
    from ecohub.api.routers import alerts as alerts_router

    app.include_router(alerts_router.router)
    from ecohub.api.routers import enterprise as enterprise_router

    app.include_router(enterprise_router.router)
    auth = install_auth(
        app,
        con,
        data_dir if data_dir is not None else s.data_dir,
        s,
        write_local_credential=write_local_credential,
        audit=audit,
    )
    # Paging cursors are signed with a key derived from the data folder's secret, so a cursor
    # stays valid across a restart of the same server and no other server's is taken.
    paging.use_signing_key(tokens.derive_key(auth.secret, "cursor"))
    from ecohub.web.api_docs import install_docs
    from ecohub.web.mount import install_console

    install_docs(app)
    install_console(app)
    app.add_middleware(BodyLimit)
    app.add_middleware(HttpBasics)  # outermost: HEAD and the headers cover every answer
    document_problems(app)
    return app


def close_app(app: FastAPI) -> None:
    """Finish what the app runs beside requests, before its store connection closes: the running
    job ends its transaction, queued audit entries are committed."""
    app.state.ctx.jobs.shutdown()
    auth = getattr(app.state, "auth", None)
    if auth is not None:
        auth.close()
