"""``/open/v1``: open data without log-in: the station list, station hourly and daily AQI,
annual assessments, and bulk downloads (CSV, Parquet).

Every answer carries the licence and attribution (body members and a ``Link: rel="license"``
header); each client address gets a token bucket (``open_rate_per_s``, ``open_burst``) and a
429 with ``Retry-After`` when it is empty. Reads run as the anonymous ``public`` principal.
"""

from __future__ import annotations

import math
from typing import Any, Literal
from urllib.parse import quote

import duckdb
import pyarrow as pa
from fastapi import APIRouter, Depends, Path, Query, Request, Response

from ecohub.access.principal import ANONYMOUS
from ecohub.analytics.air_tables import FIRST_YEAR, LAST_YEAR
from ecohub.api.deps import context, cursor
from ecohub.api.errors import problem_responses
from ecohub.api.limits import TokenBuckets
from ecohub.catalog.opendata import BULK as BULK_TABLES
from ecohub.catalog.opendata import require_open
from ecohub.queries import QueryError, air, stations
from ecohub.queries.export import MEDIA_TYPES, rows, to_bytes
from ecohub.queries.paging import MAX_EXPORT_LIMIT


class RateLimited(Exception):
    def __init__(self, retry_after: float) -> None:
        super().__init__("rate limited")
        self.retry_after = retry_after


def _licence(request: Request) -> dict[str, str]:
    s = context(request).settings
    return {
        "licence": s.open_licence,
        "licence_url": s.open_licence_url,
        "attribution": s.open_attribution,
    }


def open_gate(request: Request, response: Response) -> dict[str, str]:
    """Rate limit per client address; the licence members every answer carries."""
    buckets: TokenBuckets = request.app.state.open_buckets
    client = request.client.host if request.client else "-"
    wait = buckets.take(client)
    if wait > 0:
        raise RateLimited(wait)
    lic = _licence(request)
    response.headers["Link"] = link(lic["licence_url"])
    return lic


def link(url: str) -> str:
    """The ``Link`` header of the licence: a URI is ASCII (an IRI setting is percent-encoded)."""
    return f'<{quote(url, safe=URI_CHARS)}>; rel="license"'


URI_CHARS = ":/?#[]@!$&'()*+,;=%~"


def header_text(value: str) -> str:
    """A setting as a header value. Header values are latin-1 (RFC 9110 §5.5) and a licence or
    an attribution may be in any language: printable ASCII goes as it is, anything else as an
    RFC 8187 ext-value (``UTF-8''`` and the percent-encoded UTF-8). The body has the text."""
    if value.isascii() and value.isprintable():
        return value
    return "UTF-8''" + quote(value, safe="")


router = APIRouter(
    prefix="/open/v1", tags=["open data"], responses=problem_responses(404, 422, 429)
)
DAY = r"^\d{4}-\d{2}-\d{2}$"


@router.get("/licence")
def licence(lic: dict[str, str] = Depends(open_gate)) -> dict[str, str]:
    """The licence and attribution of the open data."""
    return lic


@router.get("/stations")
def open_stations(
    region: str | None = Query(None, pattern=r"^\d{6}$"),
    limit: int | None = Query(None, ge=1, le=10_000),
    cursor_: str | None = Query(None, alias="cursor", max_length=512),
    lic: dict[str, str] = Depends(open_gate),
    cur: duckdb.DuckDBPyConnection = Depends(cursor),
) -> dict[str, Any]:
    """The air-quality stations."""
    require_open(cur, ("station",), "stations")
    out = stations.list_stations(
        cur, ANONYMOUS, region=region, network="air", limit=limit, cursor=cursor_
    )
    return {**lic, **out}


#: The tables behind each route: served only while their resources are published open data
#: (``ecohub catalog withdraw`` takes them off ``/open/v1`` at once; 404 as for no such data).
AQI_TABLES = {"hourly": "air_hourly_aqi", "daily": "air_daily"}
ASSESSMENT_TABLES = ("air_period_stat", "air_category_days")


def _station_aqi(kind: Literal["hourly", "daily"]):
    def route(
        station_id: str = Path(..., min_length=1, max_length=64),
        from_: str | None = Query(None, alias="from", pattern=DAY),
        to: str | None = Query(None, pattern=DAY),
        limit: int | None = Query(None, ge=1, le=10_000),
        cursor_: str | None = Query(None, alias="cursor", max_length=512),
        lic: dict[str, str] = Depends(open_gate),
        cur: duckdb.DuckDBPyConnection = Depends(cursor),
    ) -> dict[str, Any]:
        require_open(cur, (AQI_TABLES[kind],), f"aqi-{kind}")
        stations.get_station(cur, ANONYMOUS, station_id)  # 404 for an unknown station
        table, nxt = air.aqi(
            cur,
            ANONYMOUS,
            kind=kind,
            stations=[station_id],
            start=from_,
            end=to,
            limit=limit,
            cursor=cursor_,
        )
        return {**lic, "items": rows(table), "next_cursor": nxt}

    route.__doc__ = f"A station's {kind} AQI (HJ 633), as stored by the platform."
    return route


router.get("/stations/{station_id}/aqi/hourly", name="open_hourly_aqi")(_station_aqi("hourly"))
router.get("/stations/{station_id}/aqi/daily", name="open_daily_aqi")(_station_aqi("daily"))


@router.get("/assessments/{year}")
def open_assessments(
    # The years HJ 663 assessments exist for: a year outside is an invalid path (422).
    year: int = Path(..., ge=FIRST_YEAR, le=LAST_YEAR),
    scope: Literal["station", "city"] = "station",
    lic: dict[str, str] = Depends(open_gate),
    cur: duckdb.DuckDBPyConnection = Depends(cursor),
) -> dict[str, Any]:
    """HJ 663 annual assessment of every station (or city) for ``year``."""
    require_open(cur, ASSESSMENT_TABLES, "assessments")
    out = air.assessment(cur, ANONYMOUS, year=year, scope=scope)
    return {**lic, "year": year, **out}


BULK = ("stations", "aqi-daily", "aqi-hourly")


@router.get(
    "/bulk/{dataset}.{fmt}",
    responses={
        200: {
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "application/vnd.apache.parquet": {
                    "schema": {"type": "string", "format": "binary"}
                },
            },
            "description": "the data set, one page; next page's cursor in X-Next-Cursor",
        }
    },
)
def bulk(
    request: Request,
    dataset: Literal["stations", "aqi-daily", "aqi-hourly"],
    fmt: Literal["csv", "parquet"],
    limit: int | None = Query(None, ge=1, le=MAX_EXPORT_LIMIT),
    cursor_: str | None = Query(None, alias="cursor", max_length=512),
    scope: Literal["station", "city"] = Query(
        "station", description="AQI data sets: the stations' rows or the cities' rows"
    ),
    lic: dict[str, str] = Depends(open_gate),
    cur: duckdb.DuckDBPyConnection = Depends(cursor),
) -> Response:
    """A whole data set as CSV or Parquet (pages of up to 200,000 rows); the AQI data sets
    hold the stations' rows, or with ``scope=city`` the cities' (HJ 633 city AQI)."""
    require_open(cur, tuple(t for t, d in BULK_TABLES.items() if d == dataset), dataset)
    if dataset == "stations":
        if scope != "station":
            raise QueryError("scope", "the station list has no city rows (scope is for AQI)")
        # The station listing's pages (at most 10,000 stations: more pages through the cursor).
        size = min(limit or MAX_STATION_PAGE, MAX_STATION_PAGE)
        out = stations.list_stations(cur, ANONYMOUS, network="air", limit=size, cursor=cursor_)
        table, nxt = pa.Table.from_pylist(out["items"]), out["next_cursor"]
    else:
        kind: Literal["hourly", "daily"] = "daily" if dataset == "aqi-daily" else "hourly"
        table, nxt = air.aqi(
            cur, ANONYMOUS, kind=kind, scope=scope, limit=limit, cursor=cursor_, export=True
        )
    name = dataset if scope == "station" else f"{dataset}-city"
    headers = {
        "Content-Disposition": f'attachment; filename="{name}.{fmt}"',
        "Link": link(lic["licence_url"]),
        "X-Licence": header_text(lic["licence"]),
        "X-Attribution": header_text(lic["attribution"]),
        "X-Result-Count": str(table.num_rows),
    }
    if nxt is not None:
        headers["X-Next-Cursor"] = nxt
    return Response(to_bytes(table, fmt), media_type=MEDIA_TYPES[fmt], headers=headers)


MAX_STATION_PAGE = 10_000


def install_open(app: Any) -> None:
    """Buckets and the 429 handler."""
    from ecohub.api.problems import problem

    s = app.state.ctx.settings
    app.state.open_buckets = TokenBuckets(s.open_rate_per_s, s.open_burst)

    def limited(request: Request, exc: RateLimited) -> Any:
        return problem(
            429,
            detail="too many requests from this address; retry later",
            headers={"Retry-After": str(max(1, math.ceil(exc.retry_after)))},
        )

    app.add_exception_handler(RateLimited, limited)
