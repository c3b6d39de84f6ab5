"""Stations and observations, scoped: the caller's region predicate is in every query."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

import duckdb
import pyarrow as pa

from ecohub.access.principal import Principal
from ecohub.access.scope import region_prefix, region_sql
from ecohub.cst import CST
from ecohub.queries import NotFound, QueryError
from ecohub.queries.paging import decode_cursor, encode_cursor, fingerprint, page_size

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
OBSERVATION_COLUMNS = ("station_id", "parameter", "period", "time", "value", "unit", "flag")
NETWORKS = ("air", "water")


def region_filter(column: str, region: str | None) -> tuple[str, list[Any]]:
    """The predicate for a ``region`` filter the caller asked for (on top of its scope)."""
    if region is None:
        return "TRUE", []
    try:
        return f"starts_with({column}, ?)", [region_prefix(region)]
    except ValueError:
        raise QueryError("region", f"{region!r} is not a six-digit GB/T 2260 code") from None


def when(value: str | None, field: str) -> datetime | None:
    """An ISO 8601 date or date-time; without an offset it is China Standard Time."""
    if value is None:
        return None
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), time(), CST)
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise QueryError(field, f"expected YYYY-MM-DD or an ISO 8601 time, got {value!r}") from None
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
    n = page_size(limit)
    scope, sp = region_sql(principal, "region_code", lon="lon", lat="lat")
    want, wp = region_filter("region_code", region)
    fp = fingerprint(principal, {"region": region, "network": network})
    after = decode_cursor(cursor, fp, 1)
    sql = (
        f"SELECT {', '.join(STATION_COLUMNS)} FROM station WHERE {scope} AND {want}"
        " AND (? IS NULL OR network = ?) AND (? IS NULL OR station_id > ?)"
        " ORDER BY station_id LIMIT ?"
    )
    params = [*sp, *wp, network, network, after and after[0], after and after[0], n + 1]
    got = con.execute(sql, params).fetch_arrow_table().to_pylist()
    nxt = encode_cursor([got[n - 1]["station_id"]], fp) if len(got) > n else None
    return {"items": got[:n], "next_cursor": nxt}


def get_station(
    con: duckdb.DuckDBPyConnection, principal: Principal, station_id: str
) -> dict[str, Any]:
    """One station with its parameters and time span; :class:`NotFound` when unknown or outside
    the caller's scope (the same error, so scope leaks nothing)."""
    scope, sp = region_sql(principal, "region_code", lon="lon", lat="lat")
    row = (
        con.execute(
            f"SELECT {', '.join(STATION_COLUMNS)} FROM station WHERE station_id = ? AND {scope}",
            [station_id, *sp],
        )
        .fetch_arrow_table()
        .to_pylist()
    )
    if not row:
        raise NotFound("station", station_id)
    params = (
        con.execute(
            "SELECT parameter, period, any_value(unit) AS unit, count(*) AS n, min(time) AS first,"
            " max(time) AS last FROM observation WHERE station_id = ? GROUP BY ALL ORDER BY 1, 2",
            [station_id],
        )
        .fetch_arrow_table()
        .to_pylist()
    )
    return {**row[0], "parameters": params}


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
    return " AND ".join(clauses), params


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
    n = page_size(limit, export=export)
    filters = {
        "station": station,
        "region": region,
        "parameter": parameter,
        "from": start,
        "to": end,
    }
    fp = fingerprint(principal, filters)
    after = decode_cursor(cursor, fp, 4)
    where, params = _observation_where(principal, station, region, parameter, t0, t1)
    if after is not None:
        where += " AND (o.station_id, o.parameter, o.period, o.time) > (?, ?, ?, ?::TIMESTAMPTZ)"
        params += after
    cols = ", ".join(f"o.{c}" for c in OBSERVATION_COLUMNS)
    sql = (
        f"SELECT {cols} FROM observation o JOIN station s USING (station_id) WHERE {where}"
        " ORDER BY o.station_id, o.parameter, o.period, o.time LIMIT ?"
    )
    table = con.execute(sql, [*params, n + 1]).fetch_arrow_table()
    nxt = None
    if table.num_rows > n:
        last = table.slice(n - 1, 1).to_pylist()[0]
        key = [last["station_id"], last["parameter"], last["period"], last["time"].isoformat()]
        nxt = encode_cursor(key, fp)
        table = table.slice(0, n)
    return table, nxt
