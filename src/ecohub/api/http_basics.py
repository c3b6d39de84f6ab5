"""What every HTTP answer of the platform carries, whatever the route: ``HEAD`` on any readable
resource, and the browser security headers.

- ``HEAD`` (RFC 9110, 9.3.2) is answered as ``GET`` would be, without the body: monitoring
  probes and download tools ask ``HEAD /healthz`` or ``HEAD`` of a bulk file first, and FastAPI
  routes answer only the methods they declare (405 before). The request goes in as ``GET``, so
  the access rules, scope and audit are the ``GET``'s.
- Security headers (the OWASP secure-headers set that applies to an API and a single-page
  console): no MIME sniffing, no framing (clickjacking), no referrer leaving the platform, a
  content security policy on HTML pages, ``Cache-Control: private, no-store`` on answers to
  requests that carried credentials (unless the route set its own: the open data's answers
  are the same for everyone, :mod:`ecohub.api.caching`), so neither a shared cache nor the
  browser's keeps scoped data (RFC 9111 sections 5.2.2.5 and 5.2.2.7), and over HTTPS
  ``Strict-Transport-Security``, so a browser that reached the platform once by HTTPS never
  sends a password to it in clear text.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ecohub.web.api_docs import DOCS

#: The console and the docs load scripts, styles, images and data from the platform only.
#: Styles may be inline (Leaflet and ECharts set style attributes); scripts may not, except
#: the docs page's one start-up script (Swagger UI's initialiser, which FastAPI writes inline).
CONSOLE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
DOCS_CSP = CONSOLE_CSP.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'")

_ALWAYS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
]
_CREDENTIALS = (b"authorization", b"x-api-key", b"cookie")
#: One year (our choice; what browsers' preload rules ask as a minimum).
_HSTS = (b"strict-transport-security", b"max-age=31536000")
_ALWAYS_HTTPS = [*_ALWAYS, _HSTS]


class HttpBasics:
    """Pure ASGI middleware: ``HEAD`` as a body-less ``GET``, and the headers above."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        head = scope["method"] == "HEAD"
        if head:
            # A copy: the server keeps its own scope, and still knows it answers a HEAD.
            scope = {**scope, "method": "GET"}
        credentials = any(name in _CREDENTIALS for name, _ in scope.get("headers", ()))
        docs = scope["path"].startswith(DOCS)
        always = _ALWAYS_HTTPS if scope.get("scheme") == "https" else _ALWAYS
        ended = False

        async def answer(message: Message) -> None:
            nonlocal ended
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                names = {name.lower() for name, _ in headers}
                headers += [h for h in always if h[0] not in names]
                if credentials and b"cache-control" not in names:
                    headers.append((b"cache-control", b"private, no-store"))
                html = any(n.lower() == b"content-type" and v.startswith(b"text/html")
                           for n, v in headers)  # fmt: skip
                if html and b"content-security-policy" not in names:
                    csp = DOCS_CSP if docs else CONSOLE_CSP
                    headers.append((b"content-security-policy", csp.encode()))
                message = {**message, "headers": headers}
            elif message["type"] == "http.response.body" and head:
                if ended:
                    return  # the rest of a streamed body: not sent
                ended = True
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app(scope, receive, answer)
