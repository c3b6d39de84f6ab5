"""``/open/v1/bulk/{dataset}.{csv|parquet}``: whole open data sets, a page at a time.

Beside the licence headers of every open answer, a bulk file says what its columns measure
without adding a row a CSV parser would read as data: ``X-Units`` (an RFC 8941 dictionary of
column -> UCUM code, ``co_24h="mg/m3"``) on both formats, the same units in the Parquet file's
field metadata (``unit``, ``unit_ucum``), and for the AQI data sets that they come from the
reviewed record (``X-Record: reviewed``, ``X-Review-Method`` the route describing the review;
the Parquet schema's ``record`` and ``review``). Validators and
``Cache-Control`` as every data route of ``/open/v1`` (:mod:`ecohub.api.caching`).
"""

from __future__ import annotations

from typing import Literal

import duckdb
import pyarrow as pa
from fastapi import APIRouter, Depends, Query, Request, Response

from ecohub.access.principal import ANONYMOUS
from ecohub.api import caching
from ecohub.api.deps import cursor
from ecohub.api.errors import problem_responses
from ecohub.api.routers.open import data_validators, header_text, link, open_gate
from ecohub.catalog import provenance
from ecohub.catalog.opendata import BULK as BULK_TABLES
from ecohub.catalog.opendata import require_open
from ecohub.queries import QueryError, air, stations
from ecohub.queries.export import MEDIA_TYPES, to_bytes
from ecohub.queries.paging import MAX_EXPORT_LIMIT
from ecohub.standards import air_units

router = APIRouter(
    prefix="/open/v1", tags=["open data"], responses=problem_responses(404, 422, 429)
)
BULK = ("stations", "aqi-daily", "aqi-hourly")
MAX_STATION_PAGE = 10_000


def units_header(table: pa.Table) -> str | None:
    """``X-Units``: column -> UCUM code of the concentration and index columns, as an RFC 8941
    dictionary (keys are the column names, values strings: ASCII, as header values must be)."""
    units = air_units.column_units(table.column_names, people=False)
    return ", ".join(f'{c}="{u}"' for c, u in units.items()) or None


def with_units(table: pa.Table, reviewed: bool) -> pa.Table:
    """``table`` with each concentration and index column's unit in its field metadata and, for
    reviewed results, the record in the schema's metadata (what Parquet files carry)."""
    people = air_units.column_units(table.column_names)
    codes = air_units.column_units(table.column_names, people=False)
    fields = [
        f.with_metadata({"unit": people[f.name], "unit_ucum": codes[f.name]})
        if f.name in people
        else f
        for f in table.schema
    ]
    meta = dict(table.schema.metadata or {})
    if reviewed:
        meta |= {b"record": b"reviewed", b"review": provenance.METHOD.encode()}
    return pa.Table.from_arrays(table.columns, schema=pa.schema(fields, metadata=meta or None))


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
    hold the stations' rows, or with ``scope=city`` the cities' (HJ 633 city AQI). Units in
    ``X-Units`` (and the Parquet field metadata)."""
    tables = tuple(t for t, d in BULK_TABLES.items() if d == dataset)
    require_open(cur, tables, dataset)
    if dataset == "stations" and scope != "station":
        raise QueryError("scope", "the station list has no city rows (scope is for AQI)")
    before = data_validators(request, cur, tables, lic)
    if before is not None and caching.not_modified(request, before):
        return caching.not_modified_response(before)
    reviewed = dataset != "stations"
    if dataset == "stations":
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
    units = units_header(table)
    if units:
        headers["X-Units"] = units
    if reviewed:
        headers["X-Record"] = "reviewed"
        headers["X-Review-Method"] = provenance.METHOD
    if nxt is not None:
        headers["X-Next-Cursor"] = nxt
    if before is not None and before == data_validators(request, cur, tables, lic):
        headers |= before.headers()
    body = to_bytes(with_units(table, reviewed) if fmt == "parquet" else table, fmt)
    return Response(body, media_type=MEDIA_TYPES[fmt], headers=headers)
