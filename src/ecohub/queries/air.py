"""Air results for the API: :mod:`ecohub.analytics.air_service` (which reads what
``air compute`` stored, scoped by the principal in its queries) turned into pages and plain data.

The air service owns the work (scope, freshness, editions); this module adds only what the
API needs around it: a station filter on assessments, cursor pages and export tables.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import duckdb
import pyarrow as pa

from ecohub.access.principal import Principal
from ecohub.access.scope import region_sql
from ecohub.jobs.plain import jsonable
from ecohub.queries import NotFound, QueryError
from ecohub.queries.listing import Keyset, window
from ecohub.queries.stations import in_range, region_filter
from ecohub.store.backend import AnalyticsBackend

KINDS = ("hourly", "daily")
#: The order (and paging key) of the AQI listings.
AQI_KEYS = {
    "daily": Keyset(("code", "date"), ("VARCHAR", "DATE")),
    "hourly": Keyset(("code", "time"), ("VARCHAR", "TIMESTAMPTZ")),
}


def _day(value: str | None, field: str) -> date | None:
    if value is None:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise QueryError(field, f"expected YYYY-MM-DD, got {value!r}") from None
    in_range(day, value, field)
    return day


def aqi(
    con: duckdb.DuckDBPyConnection,
    principal: Principal,
    *,
    kind: str = "daily",
    scope: str = "station",
    stations: list[str] | None = None,
    region: str | None = None,
    start: str | None = None,
    end: str | None = None,
    edition: str = "auto",
    limit: int | None = None,
    cursor: str | None = None,
    export: bool = False,
    reviewed: bool = True,
    engine: AnalyticsBackend | None = None,
) -> tuple[pa.Table, str | None]:
    """One page of ``air_service.aqi`` (hourly or daily AQI in the caller's scope, ordered by
    code and time); ``start``/``end`` are inclusive CST days."""
    from ecohub.analytics.air_service import aqi as service

    if kind not in KINDS:
        raise QueryError("kind", f"must be hourly or daily, got {kind!r}")
    filters = {"kind": kind, "scope": scope, "stations": stations, "region": region,
               "from": start, "to": end, "edition": edition, "reviewed": reviewed}  # fmt: skip
    win = window(principal, filters, AQI_KEYS[kind], limit, cursor, export=export)
    frame: pa.Table = service(
        con, kind=kind, scope=scope, stations=stations or None, region=region,
        start=_day(start, "from"), end=_day(end, "to"), edition=edition, principal=principal,
        reviewed=reviewed, page=win, arrow=True, engine=engine,
    )  # fmt: skip
    if kind == "daily" and pa.types.is_timestamp(frame.schema.field("date").type):
        # a calendar day, not midnight (a what-if computed in pandas)
        frame = frame.set_column(
            frame.schema.get_field_index("date"), "date", frame["date"].cast(pa.date32())
        )
    return win.cut_table(frame)


def scoped_stations(
    con: duckdb.DuckDBPyConnection,
    principal: Principal,
    *,
    network: str = "air",
    station: str | None = None,
    region: str | None = None,
) -> list[str]:
    """Ids of the ``network`` stations in the caller's scope (and ``region``/``station``)."""
    mine, mp = region_sql(principal, "s.region_code")
    want, wp = region_filter("s.region_code", region)
    sql = f"SELECT station_id FROM station s WHERE network = ? AND {mine} AND {want}"
    params: list[Any] = [network, *mp, *wp]
    if station is not None:
        sql += " AND station_id = ?"
        params.append(station)
    return [r[0] for r in con.execute(sql + " ORDER BY 1", params).fetchall()]


def assessment(
    con: duckdb.DuckDBPyConnection,
    principal: Principal,
    *,
    year: int,
    station: str | None = None,
    region: str | None = None,
    scope: str | None = None,
    edition: str = "auto",
    reviewed: bool = True,
    engine: AnalyticsBackend | None = None,
) -> dict[str, Any]:
    """``air_service.assess`` as plain data (``stats``, ``days``, ``index``, ``monthly``),
    narrowed to one ``station`` or ``scope`` (station | city) when asked. A station outside
    the caller's scope is :class:`NotFound`, as an unknown one."""
    from ecohub.analytics.air_service import assess

    if scope is not None and scope not in ("station", "city"):
        raise QueryError("scope", f"must be station or city, got {scope!r}")
    if station is not None and not scoped_stations(con, principal, station=station):
        raise NotFound("station", station)
    res = assess(
        con, year, region=region, edition=edition, principal=principal, reviewed=reviewed,
        engine=engine,
    )  # fmt: skip
    out: dict[str, Any] = {}
    for name, frame in res.items():
        if station is not None:
            frame = frame[frame.code == station]
        if scope is not None and "scope" in frame:
            frame = frame[frame.scope == scope]
        elif scope == "station" and "scope" not in frame:  # monthly: city rows only
            frame = frame.iloc[0:0]
        out[name] = jsonable(frame)
    return out
