"""The HTTP door: health, Prometheus metrics and the exchange's operator endpoints.

Thin: every route calls a service function that returns plain data.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import duckdb
from fastapi import FastAPI, HTTPException, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel

from ecohub import __version__
from ecohub.cst import CST
from ecohub.ingest import devices


class PolicyBody(BaseModel):
    policy: str


def create_app(
    con: duckdb.DuckDBPyConnection,
    *,
    metrics_registry: Any,
    offline_after_s: float,
    on_policy: Callable[[str, str], None] | None = None,
    health: Callable[[], dict[str, Any]] | None = None,
) -> FastAPI:
    """An app over an open store connection; each request reads through its own cursor."""
    app = FastAPI(title="ecohub", version=__version__)

    def cursor() -> duckdb.DuckDBPyConnection:
        return con.cursor()

    @app.get("/healthz")
    def healthz() -> dict[str, Any]:
        cur = cursor()
        try:
            cur.execute("SELECT 1").fetchone()
        finally:
            cur.close()
        return {"status": "ok", "version": __version__, **(health() if health else {})}

    @app.get("/metrics")
    def metrics() -> Response:
        return Response(generate_latest(metrics_registry), media_type=CONTENT_TYPE_LATEST)

    @app.get("/api/v1/hj212/devices")
    def list_devices(status: str | None = None) -> list[dict[str, Any]]:
        if status not in (None, "online", "offline", "unregistered"):
            raise HTTPException(422, "status: must be online, offline or unregistered")
        cur = cursor()
        try:
            return devices.device_status(cur, datetime.now(CST), offline_after_s, only=status)
        finally:
            cur.close()

    @app.get("/api/v1/hj212/deviations")
    def list_deviations() -> list[dict[str, Any]]:
        cur = cursor()
        try:
            return devices.deviations(cur)
        finally:
            cur.close()

    @app.put("/api/v1/hj212/devices/{mn}/policy")
    def put_policy(mn: str, body: PolicyBody) -> dict[str, str]:
        if body.policy not in ("strict", "lenient"):
            raise HTTPException(422, "policy: must be 'strict' or 'lenient'")
        cur = cursor()
        try:
            devices.set_policy(cur, mn, body.policy)
        except ValueError as exc:  # an invalid or unknown MN: the message names `mn`
            raise HTTPException(422, str(exc)) from None
        finally:
            cur.close()
        if on_policy is not None:
            on_policy(mn, body.policy)
        return {"mn": mn, "policy": body.policy}

    return app
