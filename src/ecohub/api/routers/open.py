"""``/open/v1``: open data without log-in: the station list, station hourly and daily AQI,
annual assessments, and bulk downloads (CSV, Parquet).

Every answer carries the licence and attribution (body members and a ``Link: rel="license"``
header); each client address gets a token bucket (``open_rate_per_s``, ``open_burst``) and a
429 with ``Retry-After`` when it is empty. Reads run as the anonymous ``public`` principal.
Answers are cacheable, with an ``ETag`` and ``Last-Modified`` from the data's version, known
before anything is read (:mod:`ecohub.api.caching`); the AQI and assessment answers say the
unit of every concentration (``units``) and that they come from the reviewed record
(``record``, ``review``: :mod:`ecohub.catalog.provenance`).
"""

from __future__ import annotations

import math
from typing import Any, Literal
from urllib.parse import quote

import duckdb
from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from ecohub.access.principal import ANONYMOUS
from ecohub.analytics.air_tables import FIRST_YEAR, LAST_YEAR
from ecohub.api import caching
from ecohub.api.deps import context, cursor
from ecohub.api.errors import problem_responses
from ecohub.api.limits import TokenBuckets
from ecohub.catalog import provenance, versions
from ecohub.catalog.opendata import require_open
from ecohub.queries import air, stations
from ecohub.queries.export import rows
from ecohub.standards import air_units
from ecohub.supervision.review import method


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
def licence(request: Request, lic: dict[str, str] = Depends(open_gate)) -> Response:
    """The licence and attribution of the open data."""
    return caching.json_response(request, lic, {"Link": link(lic["licence_url"])})


def data_validators(
    request: Request, cur: duckdb.DuckDBPyConnection, tables: tuple[str, ...],
    lic: dict[str, str],
) -> caching.Validators | None:  # fmt: skip
    """The validators of this answer from its tables' version (``None``: not known yet)."""
    version = versions.of_tables(cur, tables)
    return caching.of_version(request, version, *lic.values())


def _answer(
    request: Request,
    cur: duckdb.DuckDBPyConnection,
    tables: tuple[str, ...],
    lic: dict[str, str],
    before: caching.Validators | None,
    content: Any,
) -> Response:
    """``content`` in JSON with the licence ``Link`` and, when the data's version stood still
    while it was read (``before``, taken first, equals the version now), its validators: an
    answer read across a change (or before its version was known) carries none, so no cache
    keeps it under a tag of other data."""
    headers = {"Link": link(lic["licence_url"])}
    if before is not None and before == data_validators(request, cur, tables, lic):
        headers |= before.headers()
    return JSONResponse(jsonable_encoder(content), headers=headers)


@router.get("/stations")
def open_stations(
    request: Request,
    region: str | None = Query(None, pattern=r"^\d{6}$"),
    limit: int | None = Query(None, ge=1, le=10_000),
    cursor_: str | None = Query(None, alias="cursor", max_length=512),
    lic: dict[str, str] = Depends(open_gate),
    cur: duckdb.DuckDBPyConnection = Depends(cursor),
) -> Response:
    """The air-quality stations."""
    require_open(cur, ("station",), "stations")
    before = data_validators(request, cur, ("station",), lic)
    if before is not None and caching.not_modified(request, before):
        return caching.not_modified_response(before)
    out = stations.list_stations(
        cur, ANONYMOUS, region=region, network="air", limit=limit, cursor=cursor_
    )
    return _answer(request, cur, ("station",), lic, before, {**lic, **out})


#: The tables behind each route: served only while their resources are published open data
#: (``ecohub catalog withdraw`` takes them off ``/open/v1`` at once; 404 as for no such data).
AQI_TABLES = {"hourly": "air_hourly_aqi", "daily": "air_daily"}
ASSESSMENT_TABLES = ("air_period_stat", "air_category_days")


def _station_aqi(kind: Literal["hourly", "daily"]):
    def route(
        request: Request,
        station_id: str = Path(..., min_length=1, max_length=64),
        from_: str | None = Query(None, alias="from", pattern=DAY),
        to: str | None = Query(None, pattern=DAY),
        limit: int | None = Query(None, ge=1, le=10_000),
        cursor_: str | None = Query(None, alias="cursor", max_length=512),
        lic: dict[str, str] = Depends(open_gate),
        cur: duckdb.DuckDBPyConnection = Depends(cursor),
    ) -> Response:
        tables = (AQI_TABLES[kind],)
        require_open(cur, tables, f"aqi-{kind}")
        stations.get_station(cur, ANONYMOUS, station_id)  # 404 for an unknown station
        before = data_validators(request, cur, tables, lic)
        if before is not None and caching.not_modified(request, before):
            return caching.not_modified_response(before)
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
        content = {**lic, "units": air_units.column_units(table.column_names),
                   **provenance.disclosure(), "items": rows(table), "next_cursor": nxt}  # fmt: skip
        return _answer(request, cur, tables, lic, before, content)

    route.__doc__ = f"A station's {kind} AQI (HJ 633), as stored by the platform."
    return route


router.get("/stations/{station_id}/aqi/hourly", name="open_hourly_aqi")(_station_aqi("hourly"))
router.get("/stations/{station_id}/aqi/daily", name="open_daily_aqi")(_station_aqi("daily"))


@router.get("/assessments/{year}")
def open_assessments(
    request: Request,
    # The years HJ 663 assessments exist for: a year outside is an invalid path (422).
    year: int = Path(..., ge=FIRST_YEAR, le=LAST_YEAR),
    scope: Literal["station", "city"] = "station",
    lic: dict[str, str] = Depends(open_gate),
    cur: duckdb.DuckDBPyConnection = Depends(cursor),
) -> Response:
    """HJ 663 annual assessment of every station (or city) for ``year``; ``stats[].value`` is
    in its pollutant's unit (``unit``; ``units`` by pollutant)."""
    require_open(cur, ASSESSMENT_TABLES, "assessments")
    before = data_validators(request, cur, ASSESSMENT_TABLES, lic)
    if before is not None and caching.not_modified(request, before):
        return caching.not_modified_response(before)
    out = air.assessment(cur, ANONYMOUS, year=year, scope=scope)
    units = air_units.pollutant_units()
    for row in out.get("stats") or []:
        row["unit"] = units.get(row.get("pollutant"))
    content = {**lic, "year": year, "units": units, **provenance.disclosure(), **out}
    return _answer(request, cur, ASSESSMENT_TABLES, lic, before, content)


@router.get("/review")
def review_method(request: Request, lic: dict[str, str] = Depends(open_gate)) -> Response:
    """How the record the open AQI and assessments are computed from was reviewed: the rules,
    their thresholds and basis, and what happens to a flagged value."""
    return caching.json_response(request, {**lic, **method()}, {"Link": link(lic["licence_url"])})


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
