"""The audit middleware: one audit entry per request to a protected route.

Recorded: every request that went through :func:`ecohub.api.auth.current_principal`, whatever
its outcome (including 401 for missing or bad credentials, with the reason, and 403/404/422);
not recorded: open-data routes (they use ``optional_principal``), ``/healthz``, ``/metrics``
and the token route (which records each log-in itself).

Each entry holds the route *template* (``/api/v1/stations/{station_id}``), the path and query
parameters as ``filters``, the HTTP status as ``result``, the number of rows answered and the
client's address (``client``).

How a route reports its row count (pick one):

- ``request.state.audit_rows = n`` in the route (or its service call's caller), or
- a response header ``X-Result-Count: n`` (useful for streamed exports).

A write route says what it did to which object with ``request.state.audit_detail = {...}``
(merged into ``filters``: the user created and its role and region, the job kind and its
parameters; never a secret), since a body is not in the path or query.

A route may also set ``request.state.audit_action`` (``read``, ``write``, ``export``, ...);
by default GET/HEAD are ``read`` (``export`` when ``format`` is ``csv`` or ``parquet``) and
every other method is ``write``.

Entries are committed by the app's :class:`ecohub.access.audit_writer.AuditWriter` (many
entries per commit). Writes, exports and refused credentials are *durable*: the response's
first message is held until the commit holding the entry has ended, so an answered write or
export is in the log even if the server is killed the next moment. Non-open reads are queued
after the response has been sent (the client does not wait; a SIGKILL may lose the read entries
of the last ~50 ms: ``audit_writer.READ_LINGER_S``). A failing audit write is logged in full; it
does not fail the request (the change it records has already been made).
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ecohub.access.audit import entry
from ecohub.access.principal import ANONYMOUS, Principal

log = logging.getLogger(__name__)

ROW_HEADER = b"x-result-count"
EXPORT_FORMATS = frozenset({"csv", "parquet"})
DURABLE_ACTIONS = frozenset({"write", "export", "auth"})  # committed before the answer
MAX_FILTER_CHARS = 512  # per value: the log keeps what was asked, not a pasted megabyte


def _filters(scope: Scope) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in (scope.get("path_params") or {}).items():
        out[key] = str(value)[:MAX_FILTER_CHARS]
    query = scope.get("query_string", b"").decode("latin-1")
    for key, value in parse_qsl(query, keep_blank_values=True):
        value = value[:MAX_FILTER_CHARS]
        if key in out:
            prior = out[key]
            out[key] = [*prior, value] if isinstance(prior, list) else [prior, value]
        else:
            out[key] = value
    return out


def client_address(scope: Scope) -> str | None:
    """The address a request came from, as the server saw it (behind a reverse proxy, the
    proxy's, unless uvicorn is told to trust its forwarded headers: docs/api.md, "TLS")."""
    client = scope.get("client")
    return str(client[0]) if client else None


def _capped(value: Any) -> Any:
    """A detail value as it is, or, when its text is longer than :data:`MAX_FILTER_CHARS`
    (a drawn polygon, a long parameter), its JSON text cut to that length."""
    if value is None or isinstance(value, bool | int | float):
        return value
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    if len(text) <= MAX_FILTER_CHARS:
        return value
    return text[:MAX_FILTER_CHARS] + "…"


def _action(scope: Scope, state: dict[str, Any], filters: dict[str, Any]) -> str:
    if "audit_action" in state:
        return str(state["audit_action"])
    if scope["method"] in ("GET", "HEAD"):
        return "export" if filters.get("format") in EXPORT_FORMATS else "read"
    return "write"


class AuditMiddleware:
    """Pure ASGI middleware (no response buffering, streaming bodies pass straight through)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state: dict[str, Any] = scope.setdefault("state", {})
        status = 500  # if the app raises before answering, Starlette answers 500
        header_rows: int | None = None
        done = False

        async def watch(message: Message) -> None:
            nonlocal status, header_rows, done
            if message["type"] == "http.response.start":
                status = message["status"]
                for name, value in message.get("headers", ()):
                    if name.lower() == ROW_HEADER:
                        try:
                            header_rows = int(value)
                        except ValueError:
                            header_rows = None
                item = self._entry(scope, state, status, header_rows)
                if item is not None and item["action"] in DURABLE_ACTIONS:
                    done = True
                    await self._commit(scope, item)
            await send(message)

        try:
            await self.app(scope, receive, watch)
        finally:
            if not done:
                item = self._entry(scope, state, status, header_rows)
                if item is not None:
                    if item["action"] in DURABLE_ACTIONS:
                        await self._commit(scope, item)  # no answer sent yet: wait here
                    else:
                        self._submit(scope, item)

    @classmethod
    async def _commit(cls, scope: Scope, item: dict[str, Any]) -> None:
        """Queue ``item`` and wait (without blocking the loop) until its commit has ended."""
        loop = asyncio.get_running_loop()
        committed: asyncio.Future[bool] = loop.create_future()

        def settle(ok: bool) -> None:
            if not committed.done():
                committed.set_result(ok)

        def on_commit(ok: bool) -> None:
            loop.call_soon_threadsafe(settle, ok)

        if cls._submit(scope, item, on_commit):
            await committed

    @staticmethod
    def _entry(
        scope: Scope, state: dict[str, Any], status: int, header_rows: int | None
    ) -> dict[str, Any] | None:
        principal: Principal | None = state.get("principal")
        failure = state.get("auth_failure")
        if state.get("audit_open") and failure is None:
            return None
        if principal is None and failure is None:
            return None
        route = scope.get("route")
        template = getattr(route, "path", None) or scope.get("path", "")
        filters = _filters(scope)
        for key, value in (state.get("audit_detail") or {}).items():
            filters[key] = _capped(value)
        if state.get("audit_grants"):
            filters["grants"] = list(state["audit_grants"])  # the reads a grant made possible
        rows = state.get("audit_rows", header_rows)
        if failure is not None:
            user, via, reason = failure
            return {
                "principal": ANONYMOUS,
                "user": user,
                "via": via,
                "action": "auth",
                "route": template,
                "filters": filters,
                "rows": None,
                "result": f"{status}: {reason}",
                "client": client_address(scope),
            }
        assert principal is not None
        return {
            "principal": principal,
            "user": None,
            "via": None,
            "action": _action(scope, state, filters),
            "route": template,
            "filters": filters,
            "rows": int(rows) if rows is not None else None,
            "result": str(status),
            "client": client_address(scope),
        }

    @staticmethod
    def _submit(scope: Scope, item: dict[str, Any], on_commit: Any = None) -> bool:
        """Queue ``item``; False when it could not be queued (logged)."""
        writer = getattr(scope["app"].state, "audit_writer", None)
        if writer is None:
            log.error("audit: the app has no audit writer (install_auth was not called)")
            return False
        try:
            writer.submit(entry(**item), on_commit)
            return True
        except Exception:  # an audit failure must be seen, but not turn an answer into a 500
            log.exception("audit: could not queue %s %s", item["action"], item["route"])
            return False
