"""The API's interactive docs (Swagger UI) at ``/api/v1/docs``, served from the platform.

FastAPI's built-in page points the browser at a CDN for Swagger UI's script and style; a
bureau's network often has no way out, and the page was then blank. Here the same page loads
them from ``/static/vendor/swagger-ui`` (the ``swagger-ui-dist`` package, installed by
``npm ci`` with the console's other JavaScript, pinned by ``web/package-lock.json``).
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse

DOCS = "/api/v1/docs"
REDIRECT = "/api/v1/docs/oauth2-redirect"
ASSETS = "/static/vendor/swagger-ui"


def install_docs(app: FastAPI) -> None:
    """Add the docs page and its OAuth2 log-in redirect (both open: they hold no data)."""
    openapi = app.openapi_url or "/api/v1/openapi.json"
    title = f"{app.title} API"

    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi,
            title=title,
            oauth2_redirect_url=REDIRECT,
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS}/favicon-32x32.png",
            swagger_ui_parameters=app.swagger_ui_parameters,
        )

    async def redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    app.add_api_route(DOCS, docs, methods=["GET"], include_in_schema=False)
    app.add_api_route(REDIRECT, redirect, methods=["GET"], include_in_schema=False)
