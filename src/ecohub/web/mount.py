"""Serving the console: ``/static`` (our files) and ``/static/vendor`` (npm packages).

The third-party JavaScript is installed by ``npm ci`` in ``web/`` (the Makefile's install
target) and served from ``web/node_modules``; nothing is fetched from the internet at run time.
``ECOHUB_WEB_VENDOR`` may point elsewhere (a packaged install without the source tree).
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, Response
from fastapi.staticfiles import StaticFiles

STATIC = Path(str(resources.files("ecohub.web").joinpath("static")))
# Only these packages are served (not the whole node_modules tree): the URL name under
# /static/vendor, and the package's folder of ready-built files.
VENDOR_PACKAGES = {
    "leaflet": "leaflet/dist",
    "echarts": "echarts/dist",
    "swagger-ui": "swagger-ui-dist",  # the API's interactive docs (ecohub.web.api_docs)
}


def vendor_dir() -> Path:
    """Where ``npm ci`` put the packages (``web/node_modules`` of the source tree)."""
    override = os.environ.get("ECOHUB_WEB_VENDOR")
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[3] / "web" / "node_modules"


def install_console(app: FastAPI) -> None:
    """Mount the console's files; vendor packages that are missing are left unmounted (the page
    then says the install step did not run)."""
    base = vendor_dir()
    for name, sub in VENDOR_PACKAGES.items():
        folder = base / sub
        if folder.is_dir():
            app.mount(f"/static/vendor/{name}", StaticFiles(directory=folder), name=f"v-{name}")
    app.mount("/static", StaticFiles(directory=STATIC), name="static")


def wants_html(request: Request) -> bool:
    """A browser navigating to ``/`` (Accept names text/html); API clients get JSON."""
    return "text/html" in request.headers.get("accept", "")


def index_page() -> Response:
    return FileResponse(STATIC / "index.html", media_type="text/html; charset=utf-8")
