"""Request-body cap (413 before the body is read past the cap), NUL characters refused in the
query and the path (422), and the open-data rate limit."""

from __future__ import annotations

import json
import math
import threading
import time
from urllib.parse import parse_qsl

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: The largest request body any route takes (the bodies are small JSON documents and log-in
#: forms); larger ones are refused with 413 without being read.
MAX_BODY_BYTES = 64 * 1024
#: Routes whose body can carry a region's geometry (a drawn polygon, a basin's outline sent with
#: ``ecohub geo in --geojson``): a real outline is easily hundreds of KiB.
GEOMETRY_BODY_BYTES = 8 * 1024 * 1024
GEOMETRY_PATHS = ("/api/v1/geo/",)
#: (path prefix, cap) pairs of the routes with a larger cap than MAX_BODY_BYTES.
LARGER: tuple[tuple[str, int], ...] = tuple((path, GEOMETRY_BODY_BYTES) for path in GEOMETRY_PATHS)


def _problem(
    status: int,
    detail: str,
    headers: list[tuple[bytes, bytes]] | None = None,
    field: str | None = None,
) -> tuple[Message, Message]:
    doc: dict[str, object] = {
        "type": "about:blank",
        "title": {413: "Content Too Large", 422: "Unprocessable Content", 429: "Too Many Requests"}[
            status
        ],
        "status": status,
        "detail": detail,
    }
    if field is not None:
        doc["errors"] = [{"field": field, "reason": detail.removeprefix(f"{field}: ")}]
    body = json.dumps(doc, ensure_ascii=False).encode()
    start: Message = {
        "type": "http.response.start",
        "status": status,
        "headers": [
            (b"content-type", b"application/problem+json"),
            (b"content-length", str(len(body)).encode()),
            *(headers or []),
        ],
    }
    return start, {"type": "http.response.body", "body": body}


class BodyLimit:
    """Refuse request bodies over ``limit`` bytes (declared or streamed) with 413."""

    def __init__(
        self,
        app: ASGIApp,
        limit: int = MAX_BODY_BYTES,
        larger: tuple[tuple[str, int], ...] = LARGER,
    ) -> None:
        self.app = app
        self.limit = limit
        self.larger = larger  # (path prefix, limit) pairs

    def limit_for(self, path: str) -> int:
        return next((n for prefix, n in self.larger if path.startswith(prefix)), self.limit)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        nul = _nul_field(scope)
        if nul is not None:
            for m in _problem(422, f"{nul}: must not contain a NUL character", field=nul):
                await send(m)
            return
        limit = self.limit_for(scope.get("path", ""))
        for name, value in scope.get("headers", []):
            if name == b"content-length" and (not value.isdigit() or int(value) > limit):
                for m in _problem(413, f"body: larger than {limit} bytes"):
                    await send(m)
                return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            msg = await receive()
            if msg["type"] == "http.request":
                seen += len(msg.get("body", b""))
                if seen > limit:
                    raise _TooLarge(limit)
            return msg

        try:
            await self.app(scope, limited, send)
        except _TooLarge:
            for m in _problem(413, f"body: larger than {limit} bytes"):
                await send(m)


def _nul_field(scope: Scope) -> str | None:
    """The query parameter (or ``path``) holding a NUL character, else None.

    A NUL ends a string literal in the SQL text a query engine compiles (Ibis writes literals
    into it), so a value with one would fail inside a query as a server error; no field of any
    route means one. One byte search per request; the parse only when there is one."""
    if "\x00" in scope.get("path", ""):
        return "path"
    query: bytes = scope.get("query_string", b"")
    if b"%00" not in query and b"\x00" not in query:
        return None
    for key, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
        if "\x00" in key or "\x00" in value:
            return key.replace("\x00", "") or "query"
    return "query"


class _TooLarge(HTTPException):
    """Raised from ``receive`` past the cap. An HTTPException (413) because a body parser that
    is reading (FastAPI's) turns any other exception into a 400 "error parsing the body"; the
    app's handler answers it as problem+json, and the middleware itself when nothing did."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"body: larger than {limit} bytes")


class TokenBuckets:
    """One token bucket per client: ``rate`` requests a second, bursts of ``burst``.

    Buckets idle long enough to be full again are dropped, so a scan from many addresses
    cannot grow the table without bound.
    """

    def __init__(self, rate: float, burst: int, max_clients: int = 100_000) -> None:
        self.rate = rate
        self.burst = burst
        self.max_clients = max_clients
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, client: str) -> float:
        """0 when a request may go ahead, else the seconds until it may (Retry-After)."""
        now = time.monotonic()
        with self._lock:
            tokens, at = self._buckets.get(client, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - at) * self.rate)
            if tokens >= 1.0:
                self._buckets[client] = (tokens - 1.0, now)
                wait = 0.0
            else:
                self._buckets[client] = (tokens, now)
                wait = (1.0 - tokens) / self.rate if self.rate > 0 else 3600.0
            if len(self._buckets) > self.max_clients:
                full = self.burst / self.rate if self.rate > 0 else math.inf
                self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < full}
        return wait
