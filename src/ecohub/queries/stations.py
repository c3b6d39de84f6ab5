"""Stations and observations, scoped: the caller's region predicate is in every query."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

import duckdb
import pyarrow as pa

from ecohub.access.principal import Principal
from ecohub.access.scope import region_prefix, region_sql
from ecohub.cst import CST
from ecohub.queries import QueryError, scoped_row
from ecohub.queries.listing import Keyset, window
from ecohub.store.lake_where import partition_where

STATION_COLUMNS = (
    "station_id",
    "name",
    "name_en",
    "network",
    "region_code",
    "basin",
    "waterbody",
    "lon",
    "lat",
)
#: The columns of an observation row. ``below_detection``: the value is the method's detection
#: limit, written ``0.01L`` (docs/operations.md, "Hostile input"), not a measured value.
OBSERVATION_COLUMNS = (
    "station_id",
    "parameter",
    "period",
    "time",
    "value",
    "unit",
    "flag",
    "below_detection",
)
NETWORKS = ("air", "water")
#: The order (and paging key) of the listings.
STATION_KEY = Keyset(("station_id",), ("VARCHAR",))
OBSERVATION_KEY = Keyset(
    ("station_id", "parameter", "period", "time"), ("VARCHAR", "VARCHAR", "VARCHAR", "TIMESTAMPTZ")
)


def region_filter(column: str, region: str | None) -> tuple[str, list[Any]]:
    """The predicate for a ``region`` filter the caller asked for (on top of its scope)."""
    if region is None:
        return "TRUE", []
    try:
        return f"starts_with({column}, ?)", [region_prefix(region)]
    except ValueError:
        raise QueryError("region", f"{region!r} is not a six-digit GB/T 2260 code") from None


#: The days a period may start or end on: a day's neighbours (the day before a start, the end
#: of an end day) must still be dates, in UTC too, where the services and DuckDB compute them.
FIRST_DAY, LAST_DAY = date(1, 1, 2), date(9999, 12, 30)


def in_range(value: date, text: str, field: str) -> None:
    """:class:`QueryError` naming ``field`` unless ``value`` lies in FIRST_DAY..LAST_DAY."""
    if not FIRST_DAY <= value <= LAST_DAY:
        raise QueryError(field, f"{text} is outside the days accepted ({FIRST_DAY} to {LAST_DAY})")


def parameter_code(text: str, field: str = "parameter") -> str:
    """The stored code of a parameter named as users name it (PM2.5, 二氧化硫, COD, a34004);
    :class:`QueryError` naming ``field`` for one the platform does not know (an unknown name
    would otherwise match no row and read as "no data")."""
    from ecohub.ingest.params import parameter_hint, resolve_parameter

    hit = resolve_parameter(text)
    if hit is None:
        raise QueryError(field, f"unknown parameter {text!r}; {parameter_hint(text)}")
    return hit.code


def when(value: str | None, field: str) -> datetime | None:
    """An ISO 8601 date or date-time; without an offset it is China Standard Time."""
    if value is None:
        return None
    try:
        if len(value) == 10:
            parsed = datetime.combine(date.fromisoformat(value), time(), CST)
        else:
            parsed = datetime.fromisoformat(value)
    except ValueError:
        raise QueryError(field, f"expected YYYY-MM-DD or an ISO 8601 time, got {value!r}") from None
    in_range(parsed.date(), value, field)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=CST)


def list_stations(
    con: duckdb.DuckDBPyConnection,
    principal: Principal,
    *,
    region: str | None = None,
    network: str | None = None,
    limit: int | None = None,
    cursor: str | None = None,
) -> dict[str, Any]:
    """Stations in the caller's scope (and ``region``/``network``), by id, one page.

    Returns ``{"items": [...], "next_cursor": str | None}``.
    """
    if network is not None and network not in NETWORKS:
        raise QueryError("network", f"must be one of {', '.join(NETWORKS)}, got {network!r}")
    scope, sp = region_sql(principal, "region_code", lon="lon", lat="lat")
    want, wp = region_filter("region_code", region)
    win = window(principal, {"region": region, "network": network}, STATION_KEY, limit, cursor)
    sql, params = win.wrap(
        f"SELECT {', '.join(STATION_COLUMNS)} FROM station WHERE {scope} AND {want}"
        " AND (? IS NULL OR network = ?)",
        [*sp, *wp, network, network],
    )
    items, nxt = win.cut_rows(con.execute(sql, params).fetch_arrow_table().to_pylist())
    return {"items": items, "next_cursor": nxt}


def get_station(
    con: duckdb.DuckDBPyConnection, principal: Principal, station_id: str
) -> dict[str, Any]:
    """One station with its parameters and time span; :class:`NotFound` when unknown or outside
    the caller's scope (the same error, so scope leaks nothing)."""
    scope, sp = region_sql(principal, "region_code", lon="lon", lat="lat")
    station = scoped_row(
        con,
        f"SELECT {', '.join(STATION_COLUMNS)} FROM station WHERE station_id = ? AND {scope}",
        [station_id, *sp],
        "station",
        station_id,
    )
    params = (
        con.execute(
            "SELECT parameter, period, any_value(unit) AS unit, count(*) AS n, min(time) AS first,"
            " max(time) AS last FROM observation_all WHERE station_id = ?"
            " GROUP BY ALL ORDER BY 1, 2",
            [station_id],
        )
        .fetch_arrow_table()
        .to_pylist()
    )
    return {**station, "parameters": params}


def _observation_where(
    principal: Principal,
    station: str | None,
    region: str | None,
    parameter: str | None,
    start: datetime | None,
    end: datetime | None,
) -> tuple[str, list[Any]]:
    scope, sp = region_sql(principal, "s.region_code", lon="s.lon", lat="s.lat")
    want, wp = region_filter("s.region_code", region)
    clauses = [scope, want]
    params: list[Any] = [*sp, *wp]
    if station is not None:
        clauses.append("o.station_id = ?")
        params.append(station)
    if parameter is not None:
        clauses.append("o.parameter = ?")
        params.append(parameter)
    if start is not None:
        clauses.append("o.time >= ?")
        params.append(start)
    if end is not None:
        clauses.append("o.time < ?")
        params.append(end)
    # The same rows; the lake's files of other months and buckets are not opened.
    parts, pp = partition_where("observation", "o", start=start, end=end, key=station)
    return " AND ".join([*clauses, *parts]), [*params, *pp]


def observations(
    con: duckdb.DuckDBPyConnection,
    principal: Principal,
    *,
    station: str | None = None,
    region: str | None = None,
    parameter: str | None = None,
    start: str | None = None,
    end: str | None = None,
    limit: int | None = None,
    cursor: str | None = None,
    export: bool = False,
) -> tuple[pa.Table, str | None]:
    """One page of observations in the caller's scope, in key order, and the next cursor.

    ``start`` is inclusive and ``end`` exclusive (ISO dates or times; CST when no offset is
    given). A ``station`` outside the scope gives an empty page, as an unknown one does.
    ``export`` allows the larger page size of CSV / Parquet downloads.
    """
    t0, t1 = when(start, "from"), when(end, "to")
    if t0 is not None and t1 is not None and t1 <= t0:
        raise QueryError("to", "must be later than from")
    if parameter is not None:
        parameter = parameter_code(parameter)
    filters = {
        "station": station,
        "region": region,
        "parameter": parameter,
        "from": start,
        "to": end,
    }
    win = window(principal, filters, OBSERVATION_KEY, limit, cursor, export=export)
    where, params = _observation_where(principal, station, region, parameter, t0, t1)
    # A row the column's DEFAULT did not reach (a lake file older than migration 007) is a
    # measurement: false, never null, so the answer keeps to its documented boolean.
    cols = ", ".join(
        "coalesce(o.below_detection, false) AS below_detection"
        if c == "below_detection"
        else f"o.{c}"
        for c in OBSERVATION_COLUMNS
    )
    sql, args = win.wrap(
        f"SELECT {cols} FROM observation_all o JOIN station s USING (station_id) WHERE {where}",
        params,
    )
    return win.cut_table(con.execute(sql, args).fetch_arrow_table())
