"""A real uvicorn server on loopback with a small app using the auth dependencies (a fixture
module of test_auth.py; kept out of conftest.py so other API tests can have their own)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pytest
import uvicorn
from fastapi import Depends, FastAPI, Request

from ecohub.access import Principal, require_role
from ecohub.api.auth import AuthState, current_principal, install_auth, optional_principal
from ecohub.store.db import connect
from tests.access.conftest import cheap_argon2

__all__ = ["cheap_argon2"]


def demo_app(con: duckdb.DuckDBPyConnection, data_dir: Path) -> FastAPI:
    """A small app with one route of each kind, the way the real routers use the dependencies."""
    app = FastAPI()
    app.state.auth_state = install_auth(app, con, data_dir)

    @app.get("/api/v1/whoami")
    def whoami(request: Request, p: Principal = Depends(current_principal)) -> dict[str, Any]:
        request.state.audit_rows = 1
        return {"name": p.name, "role": p.role, "region": p.region, "via": p.via}

    @app.put("/api/v1/things/{thing}")
    def put_thing(thing: str, p: Principal = Depends(current_principal)) -> dict[str, str]:
        require_role(p, "inspector")
        return {"thing": thing}

    @app.get("/open/v1/things")
    def open_things(p: Principal = Depends(optional_principal)) -> dict[str, str]:
        return {"as": p.name}

    return app


@dataclass
class Server:
    base: str
    con: duckdb.DuckDBPyConnection
    data_dir: Path
    client: httpx.Client
    auth: AuthState


@pytest.fixture(name="server")
def server_fixture(tmp_path: Path) -> Iterator[Server]:
    """A real uvicorn server on 127.0.0.1, port 0 (the OS picks a free port)."""
    con = connect(tmp_path / "ecohub.duckdb")
    app = demo_app(con, tmp_path)
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    port = srv.servers[0].sockets[0].getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    with httpx.Client(base_url=base, timeout=30) as client:
        yield Server(base, con, tmp_path, client, app.state.auth_state)
    srv.should_exit = True
    thread.join(timeout=20)
    app.state.auth_state.close()
    con.close()
