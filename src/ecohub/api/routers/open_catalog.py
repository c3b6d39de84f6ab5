"""``/open/v1/catalog``: the published open resources, their DCAT-AP 3 for harvesters and the
anonymous pages of each 无条件开放 one.

Thin: each route calls one service function. Their answers are small, so their ``ETag`` is a
hash of the answer itself (:func:`ecohub.api.caching.body_response`).
"""

from __future__ import annotations

from typing import Any, Literal

import duckdb
from fastapi import APIRouter, Depends, Path, Query, Request, Response

from ecohub.api import caching
from ecohub.api.deps import context, cursor
from ecohub.api.errors import problem_responses
from ecohub.api.routers.open import link, open_gate
from ecohub.catalog import dcat, dcat_format, service
from ecohub.queries.paging import MAX_LIMIT

router = APIRouter(
    prefix="/open/v1", tags=["open data"], responses=problem_responses(404, 422, 429)
)
CODE = Path(..., pattern=r"^\d{8}-\d{5}$", description="resource code: 分类码-顺序码")
DCAT_200: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "DCAT-AP 3 catalogue",
        "content": {
            "application/ld+json": {"schema": {"type": "object"}},
            "text/turtle": {"schema": {"type": "string"}},
        },
    },
}


def _publisher(request: Request) -> tuple[str, str]:
    s = context(request).settings
    return s.publisher_name, s.publisher_name_en


@router.get("/catalog")
def open_catalog(
    request: Request,
    lic: dict[str, str] = Depends(open_gate),
    cur: duckdb.DuckDBPyConnection = Depends(cursor),
) -> Response:
    """The published open resources: licence, attribution (each resource's own), update cycle,
    data items with their units, provenance."""
    items = service.open_resources(
        cur, licence=lic["licence"], licence_url=lic["licence_url"],
        attribution=lic["attribution"], publisher=_publisher(request),
    )  # fmt: skip
    return caching.json_response(
        request, {**lic, "items": items}, {"Link": link(lic["licence_url"])}
    )


@router.get("/catalog/dcat", responses=DCAT_200)
def open_dcat(
    request: Request,
    format: Literal["jsonld", "ttl", "turtle", "json-ld"] | None = Query(None),
    lic: dict[str, str] = Depends(open_gate),
    cur: duckdb.DuckDBPyConnection = Depends(cursor),
) -> Response:
    """The open data as DCAT-AP 3 for harvesters (no log-in): the published 无条件开放 and
    有条件开放 resources; every distribution of a PUBLIC dataset answers without log-in."""
    fmt = dcat_format.negotiate(request.headers.get("accept"), format)
    s = context(request).settings
    body = service.export_open_dcat(
        cur,
        base=dcat.base_url(s),
        fmt=fmt,
        licence_url=lic["licence_url"],
        attribution=lic["attribution"],
        publisher=_publisher(request),
    )
    answer = Response(
        body,
        media_type=dcat_format.MEDIA_TYPES[fmt],
        headers={"Vary": "Accept", "Link": link(lic["licence_url"])},
    )
    return caching.body_response(request, answer)


@router.get("/catalog/{code}/data")
def open_data(
    request: Request,
    code: str = CODE,
    region: str | None = Query(None, pattern=r"^\d{6}$"),
    limit: int | None = Query(None, ge=1, le=MAX_LIMIT),
    cursor_: str | None = Query(None, alias="cursor", max_length=512),
    lic: dict[str, str] = Depends(open_gate),
    cur: duckdb.DuckDBPyConnection = Depends(cursor),
) -> Response:
    """A page of a published 无条件开放 resource's rows, without log-in (404 for any other
    resource); ``units`` of its data items that have one; ``next_cursor`` for the next page."""
    out = service.open_data(cur, code, region=region, limit=limit, cursor=cursor_)
    return caching.json_response(request, {**lic, **out}, {"Link": link(lic["licence_url"])})
