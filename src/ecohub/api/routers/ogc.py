"""``/ogc``: OGC API - Features (Part 1 Core + GeoJSON, Part 3 CQL2 filters).

Thin: each route calls one :mod:`ecohub.geo.ogc` function. Metadata and the open ``stations``
collection need no log-in; ``sources``, ``outlets`` and ``regions`` items are read in the
caller's scope, and each has its own route templates so :mod:`ecohub.api.rules` can say who may
read it. Bad parameters answer 400 problem+json (Part 1 asks 400, not 422), so query parameters
are taken raw and checked by the service.
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable
from typing import Any

import duckdb
import orjson
from fastapi import APIRouter, Depends, Path, Request, Response

from ecohub.access.principal import Principal
from ecohub.api.auth import optional_principal
from ecohub.api.deps import context, cursor, request_cursor
from ecohub.api.errors import problem_responses
from ecohub.api.problems import problem
from ecohub.api.rules import guard
from ecohub.geo import ogc
from ecohub.geo.ogc.marks import PageMarks
from ecohub.geo.ogc.params import DEFAULT_LIMIT, ITEM_PARAMS, MAX_LIMIT, check_params
from ecohub.geo.spatial import load_spatial
from ecohub.queries import NotFound

PREFIX = "/ogc"
GEOJSON = "application/geo+json"
router = APIRouter(prefix=PREFIX, tags=["ogc"], responses=problem_responses(400, 404))


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/") + PREFIX


def _root(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _spatial_ready(request: Request) -> bool:
    """Load DuckDB spatial into the store's database once per app (an extension, once
    loaded, serves every cursor of the database), so the pages need not ask DuckDB whether it
    is loaded on every request (~0.3 ms: ``duckdb_extensions()`` looks at the disk)."""
    state = request.app.state
    if not getattr(state, "ogc_spatial_ready", False):
        # One thread loads it: the first pages arrive together, and the store's connection
        # is not to be used by two threads at once (DuckDB then answered one of them "No open
        # result set", a 500, in the first burst of a 20-client benchmark).
        with _SPATIAL_LOCK:
            if not getattr(state, "ogc_spatial_ready", False):
                cur = context(request).con.cursor()
                try:
                    load_spatial(cur)  # into the database: every cursor has it then
                finally:
                    cur.close()
                state.ogc_spatial_ready = True
    return True


_SPATIAL_LOCK = threading.Lock()


def _marks(request: Request) -> PageMarks:
    """The app's rank marks of its store (:mod:`ecohub.geo.ogc.marks`), made at the first
    page; kept across requests."""
    state = request.app.state
    marks: PageMarks | None = getattr(state, "ogc_marks", None)
    if marks is None:
        with _SPATIAL_LOCK:
            marks = getattr(state, "ogc_marks", None)
            if marks is None:
                marks = state.ogc_marks = PageMarks()
    return marks


def _answer(
    request: Request,
    fn: Callable[[], dict[str, Any]],
    media: str = "application/json",
    *,
    check: bool = True,
) -> Response:
    """Run the service; its 400s become problem+json. ``check``: the route takes only ``f``."""
    try:
        if check:
            check_params(request.query_params, ITEM_PARAMS)
        body = fn()
    except ogc.OgcBadRequest as exc:
        return problem(400, detail=str(exc), errors=[{"field": exc.field, "reason": exc.reason}])
    return Response(orjson.dumps(body), media_type=media)


@router.get("", summary="Landing page")
def landing(request: Request, p: Principal = Depends(optional_principal)) -> Response:
    """Links to the API definition, the conformance classes and the collections."""
    return _answer(request, lambda: ogc.landing(_base(request), _root(request)))


@router.get("/", include_in_schema=False)
def landing_slash(request: Request, p: Principal = Depends(optional_principal)) -> Response:
    """The landing page at ``/ogc/`` too (clients such as OWSLib add the slash)."""
    return landing(request, p)


@router.get("/conformance", summary="Conformance classes")
def conformance(request: Request, p: Principal = Depends(optional_principal)) -> Response:
    """The conformance classes this service implements."""
    return _answer(request, ogc.conformance)


@router.get("/collections", summary="Feature collections")
def collections(
    request: Request,
    p: Principal = Depends(optional_principal),
    cur: duckdb.DuckDBPyConnection = Depends(cursor),
) -> Response:
    """The four collections with their links and extent."""
    return _answer(request, lambda: ogc.collections(cur, _base(request)))


@router.get("/collections/{collection_id}", summary="One feature collection")
def collection(
    request: Request,
    collection_id: str = Path(..., max_length=64),
    p: Principal = Depends(optional_principal),
    cur: duckdb.DuckDBPyConnection = Depends(cursor),
) -> Response:
    """The collection's description; 404 when unknown."""
    return _answer(request, lambda: ogc.collection(cur, _base(request), collection_id))


@router.get(
    "/collections/{collection_id}/queryables",
    summary="Queryable properties",
    response_class=Response,
    responses={200: {"content": {"application/schema+json": {"schema": {"type": "object"}}}}},
)
def queryables(
    request: Request,
    collection_id: str = Path(..., max_length=64),
    p: Principal = Depends(optional_principal),
) -> Response:
    """The properties a filter may use, as JSON Schema (``application/schema+json``)."""
    return _answer(
        request,
        lambda: ogc.queryables(_base(request), collection_id),
        "application/schema+json",
    )


# The items parameters, for the API description only: the service reads
# request.query_params raw (Part 1 answers a bad one with 400, not FastAPI's 422), so they are
# not function parameters FastAPI would read and validate on every request as well; they are
# described as FastAPI would describe an optional string query parameter.
_ITEMS_DOC: dict[str, str] = {
    "limit": f"1..{MAX_LIMIT} (larger: the maximum); default {DEFAULT_LIMIT}",
    "offset": "rows to skip; beside `after`, only the position of the page's first item",
    "after": "item id: the page starts after it (next links carry it)",
    "bbox": "minlon,minlat,maxlon,maxlat (CRS84)",
    "datetime": "RFC 3339 instant or interval (sources only)",
    "filter": "CQL2 filter",
    "filter-lang": "cql2-text (default) | cql2-json",
    "filter-crs": "CRS84 only",
}
_ITEMS_PARAMETERS: list[dict[str, Any]] = [
    {
        "name": name,
        "in": "query",
        "required": False,
        "schema": {
            "anyOf": [{"type": "string"}, {"type": "null"}],
            "description": text,
            "title": name.title(),
        },
        "description": text,
    }
    for name, text in _ITEMS_DOC.items()
]


def _items_route(collection_id: str, who: Callable[..., Awaitable[Principal]]) -> None:
    def list_items(request: Request, p: Principal = Depends(who)) -> Response:
        def run() -> dict[str, Any]:
            with request_cursor(request) as cur:
                out = ogc.items(
                    cur,
                    p,
                    _base(request),
                    collection_id,
                    request.query_params,
                    spatial_ready=_spatial_ready(request),
                    marks=_marks(request),
                )
            request.state.audit_rows = out["numberReturned"]
            return out

        return _answer(request, run, GEOJSON, check=False)

    def get_item(
        request: Request,
        feature_id: str = Path(..., max_length=200),
        p: Principal = Depends(who),
    ) -> Response:
        def run() -> dict[str, Any]:
            with request_cursor(request) as cur:
                out = ogc.item(
                    cur,
                    p,
                    _base(request),
                    collection_id,
                    feature_id,
                    request.query_params,
                    spatial_ready=_spatial_ready(request),
                )
            request.state.audit_rows = 1
            return out

        return _answer(request, run, GEOJSON, check=False)

    router.add_api_route(
        f"/collections/{collection_id}/items",
        list_items,
        methods=["GET"],
        summary=f"Features of {collection_id}",
        name=f"ogc_{collection_id}_items",
        response_class=Response,
        responses={200: {"content": {GEOJSON: {}}}},
        openapi_extra={"parameters": _ITEMS_PARAMETERS},
    )
    router.add_api_route(
        f"/collections/{collection_id}/items/{{feature_id}}",
        get_item,
        methods=["GET"],
        summary=f"One feature of {collection_id}",
        name=f"ogc_{collection_id}_item",
        response_class=Response,
        responses={200: {"content": {GEOJSON: {}}}},
    )


for _cid, _c in ogc.COLLECTIONS.items():
    _items_route(_cid, optional_principal if _c.open else guard)


@router.get("/collections/{collection_id}/items", include_in_schema=False)
def unknown_items(collection_id: str = Path(..., max_length=64)) -> Response:
    """Any other collection: 404."""
    raise NotFound("collection", collection_id)


@router.get("/collections/{collection_id}/items/{feature_id}", include_in_schema=False)
def unknown_item(
    collection_id: str = Path(..., max_length=64), feature_id: str = Path(..., max_length=200)
) -> Response:
    """Any other collection: 404."""
    raise NotFound("collection", collection_id)
