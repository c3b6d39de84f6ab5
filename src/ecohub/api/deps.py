"""What the routers share: the platform context on ``app.state.ctx``, a cursor per request, and
turning a service's table page into JSON, CSV or Parquet."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import duckdb
import orjson
import pyarrow as pa
from fastapi import Request, Response

from ecohub.jobs.runner import JobRunner
from ecohub.queries import QueryError
from ecohub.queries.export import FORMATS, MEDIA_TYPES, pylist, to_bytes
from ecohub.settings import Settings
from ecohub.store.backend import AnalyticsBackend, duckdb_backend


@dataclass
class Context:
    """The running platform as the routes see it."""

    con: duckdb.DuckDBPyConnection
    settings: Settings
    jobs: JobRunner
    offline_after_s: float
    on_policy: Callable[[str, str], None] | None = None
    on_devices_changed: Callable[[], None] | None = None
    #: The analytics backend (``ECOHUB_ENGINE``) every analytic route and job runs on.
    engine: AnalyticsBackend | None = None


def context(request: Request) -> Context:
    ctx: Context = request.app.state.ctx
    return ctx


# The two dependencies every data route takes are ``async`` although they do no I/O: FastAPI
# runs a plain ``def`` dependency in a worker thread, and each such hop costs more than the
# dependency itself (opening a DuckDB cursor takes ~20 µs and never waits).


async def engine(request: Request) -> AnalyticsBackend:
    """The analytics backend the platform opened (store/backend.py)."""
    return context(request).engine or duckdb_backend()


async def cursor(request: Request) -> AsyncIterator[duckdb.DuckDBPyConnection]:
    """A DuckDB cursor of the store for this request (closed after it)."""
    with request_cursor(request) as cur:
        yield cur


@contextmanager
def request_cursor(request: Request) -> Iterator[duckdb.DuckDBPyConnection]:
    """:func:`cursor` for a route body to open itself (``with``): the same cursor, without
    FastAPI's machinery for a dependency that yields (an exit stack and an async context
    manager per request, ~5 % of the GIL time of an OGC items page under load)."""
    cur = context(request).con.cursor()
    try:
        yield cur
    finally:
        cur.close()


class FastJSON(Response):
    """JSON by orjson, straight from plain data (a page's rows are plain already: no second
    walk through FastAPI's encoder)."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, default=_other, option=orjson.OPT_NON_STR_KEYS)


def _other(value: Any) -> Any:
    """What orjson does not know: decimals as numbers, anything else as text."""
    from decimal import Decimal

    if isinstance(value, Decimal):
        return float(value)
    return str(value)


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise QueryError("format", f"must be one of {', '.join(FORMATS)}, got {fmt!r}")
    return fmt


def page(request: Request, table: pa.Table, next_cursor: str | None, fmt: str, name: str) -> Any:
    """A page as ``{"items", "next_cursor"}`` JSON, or as a CSV / Parquet download whose next
    cursor is in the ``X-Next-Cursor`` header."""
    request.state.audit_rows = table.num_rows
    if fmt == "json":
        # orjson writes times as ISO 8601 (with offset) and NaN as null, as `rows` would, so
        # Arrow's rows go to it untouched.
        return FastJSON({"items": pylist(table), "next_cursor": next_cursor})
    headers = {
        "Content-Disposition": f'attachment; filename="{name}.{fmt}"',
        "X-Result-Count": str(table.num_rows),
    }
    if next_cursor is not None:
        headers["X-Next-Cursor"] = next_cursor
    return Response(to_bytes(table, fmt), media_type=MEDIA_TYPES[fmt], headers=headers)


#: OpenAPI description of a 200 that may be JSON, CSV or Parquet.
TABLE_200: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "one page: JSON `{items, next_cursor}`, or CSV / Parquet with the next "
        "cursor in `X-Next-Cursor`",
        "content": {
            "application/json": {"schema": {"type": "object"}},
            "text/csv": {"schema": {"type": "string"}},
            "application/vnd.apache.parquet": {"schema": {"type": "string", "format": "binary"}},
        },
    }
}


def table_200(row: dict[str, Any], columns: str) -> dict[int | str, dict[str, Any]]:
    """:data:`TABLE_200` whose JSON rows are described by the JSON Schema ``row`` (the CSV
    and Parquet files carry the same columns, named in the description: ``columns``)."""
    page_schema = {
        "type": "object",
        "required": ["items", "next_cursor"],
        "properties": {
            "items": {"type": "array", "items": row},
            "next_cursor": {"type": ["string", "null"]},
        },
    }
    ok = TABLE_200[200]
    return {
        200: {
            "description": f"{ok['description']}; each row (JSON object, CSV line, Parquet row) "
            f"has {columns}",
            "content": {**ok["content"], "application/json": {"schema": page_schema}},
        }
    }
