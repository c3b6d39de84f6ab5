"""Platform routes: ``/`` (links), ``/healthz``, ``/metrics`` (admin), ``/api/v1/me``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from ecohub import __version__
from ecohub.access.principal import Principal
from ecohub.api.deps import context
from ecohub.api.errors import problem_responses
from ecohub.api.rules import guard

router = APIRouter(tags=["platform"])


@router.get("/", response_model=None)
def index(request: Request) -> dict[str, Any] | Response:
    """The web console for a browser (``Accept: text/html``), else where to go from here."""
    from ecohub.web.mount import index_page, wants_html

    if wants_html(request):
        return index_page()
    return {
        "name": "ecohub",
        "version": __version__,
        "api": "/api/v1",
        "openapi": "/api/v1/openapi.json",
        "docs": "/api/v1/docs",
        "open_data": "/open/v1",
        "health": "/healthz",
        "console": "/ (Accept: text/html)",
    }


@router.get("/healthz")
def healthz(request: Request) -> dict[str, Any]:
    """Liveness: the store answers."""
    cur = context(request).con.cursor()
    try:
        cur.execute("SELECT 1").fetchone()
    finally:
        cur.close()
    health: Callable[[], dict[str, Any]] | None = getattr(request.app.state, "health", None)
    return {"status": "ok", "version": __version__, **(health() if health else {})}


@router.get(
    "/metrics",
    responses={
        200: {
            "content": {"text/plain": {"schema": {"type": "string"}}},
            "description": "Prometheus text",
        },
        **problem_responses(401, 403),
    },
)
def metrics(request: Request, p: Principal = Depends(guard)) -> Response:
    """Prometheus metrics (admin: they name every device)."""
    registry = request.app.state.metrics_registry
    if registry is None:
        return Response(b"", media_type=CONTENT_TYPE_LATEST)
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


@router.get("/api/v1/me", responses=problem_responses(401, 403))
def me(p: Principal = Depends(guard)) -> dict[str, Any]:
    """Who you are to this server: name, role, region and source codes."""
    return {
        "name": p.name,
        "role": p.role,
        "region": p.region,
        "sources": list(p.sources),
        "via": p.via,
    }
