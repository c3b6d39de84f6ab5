"""Stored air results (what ``air compute`` wrote), scoped: hourly and daily AQI, assessments.

Station rows are scoped through the station's region; city rows through the city's own
GB/T 2260 code, so a district user never sees a city aggregate that includes other districts.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import duckdb
import pyarrow as pa

from ecohub.access.principal import Principal
from ecohub.access.scope import region_sql
from ecohub.queries import NotFound, QueryError
from ecohub.queries.paging import decode_cursor, encode_cursor, fingerprint, page_size
from ecohub.queries.stations import region_filter

SCOPES = ("station", "city")
KINDS = ("hourly", "daily")
_AQI_COLS = (
    "scope",
    "code",
    "edition",
    "aqi",
    "level",
    "category",
    "primary_pollutants",
    "complete",
    "published",
)
_HOURLY_EXTRA = (
    "pm25_1h",
    "pm10_1h",
    "so2_1h",
    "no2_1h",
    "co_1h",
    "o3_1h",
    "o3_8h",
    "pm25_24h",
    "pm10_24h",
)
_DAILY_EXTRA = ("pm25_24h", "pm10_24h", "so2_24h", "no2_24h", "co_24h", "o3_1h", "o3_8h")


def _day(value: str | None, field: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise QueryError(field, f"expected YYYY-MM-DD, got {value!r}") from None


def _scoped_codes(
    principal: Principal, scope: str, station: str | None, region: str | None, alias: str
) -> tuple[str, list[Any]]:
    """The predicate on ``{alias}.code`` for the caller's scope and the asked station/region."""
    if scope not in SCOPES:
        raise QueryError("scope", f"must be station or city, got {scope!r}")
    if scope == "city":
        mine, mp = region_sql(principal, f"{alias}.code")
        want, wp = region_filter(f"{alias}.code", region)
        clauses, params = [f"{alias}.scope = 'city'", mine, want], [*mp, *wp]
        if station is not None:
            raise QueryError("station", "is not a filter of city scope")
        return " AND ".join(clauses), params
    mine, mp = region_sql(principal, "s.region_code")
    want, wp = region_filter("s.region_code", region)
    sub = f"SELECT station_id FROM station s WHERE {mine} AND {want}"
    params = [*mp, *wp]
    if station is not None:
        sub += " AND s.station_id = ?"
        params.append(station)
    return f"{alias}.scope = 'station' AND {alias}.code IN ({sub})", params


def aqi(
    con: duckdb.DuckDBPyConnection,
    principal: Principal,
    *,
    kind: str = "daily",
    scope: str = "station",
    station: str | None = None,
    region: str | None = None,
    start: str | None = None,
    end: str | None = None,
    limit: int | None = None,
    cursor: str | None = None,
    export: bool = False,
) -> tuple[pa.Table, str | None]:
    """Stored hourly or daily AQI rows in the caller's scope, by code and time; one page.

    ``start``/``end`` are inclusive CST days. Empty when ``air compute`` has not run.
    """
    if kind not in KINDS:
        raise QueryError("kind", f"must be hourly or daily, got {kind!r}")
    d0, d1 = _day(start, "from"), _day(end, "to")
    if d0 is not None and d1 is not None and d1 < d0:
        raise QueryError("to", "must not be before from")
    n = page_size(limit, export=export)
    where, params = _scoped_codes(principal, scope, station, region, "a")
    table, tcol = ("air_daily", "date") if kind == "daily" else ("air_hourly_aqi", "time")
    tv = "a.date" if kind == "daily" else "(a.time AT TIME ZONE 'Asia/Shanghai')::DATE"
    if d0 is not None:
        where += f" AND {tv} >= ?"
        params.append(d0)
    if d1 is not None:
        where += f" AND {tv} <= ?"
        params.append(d1)
    fp = fingerprint(
        principal,
        {
            "kind": kind,
            "scope": scope,
            "station": station,
            "region": region,
            "from": start,
            "to": end,
        },
    )
    after = decode_cursor(cursor, fp, 2)
    if after is not None:
        cast = "DATE" if kind == "daily" else "TIMESTAMPTZ"
        where += f" AND (a.code, a.{tcol}) > (?, ?::{cast})"
        params += after
    extra = _DAILY_EXTRA if kind == "daily" else _HOURLY_EXTRA
    cols = ", ".join(f"a.{c}" for c in (*_AQI_COLS[:2], tcol, *_AQI_COLS[2:], *extra))
    sql = f"SELECT {cols} FROM {table} a WHERE {where} ORDER BY a.code, a.{tcol} LIMIT ?"
    out = con.execute(sql, [*params, n + 1]).fetch_arrow_table()
    nxt = None
    if out.num_rows > n:
        last = out.slice(n - 1, 1).to_pylist()[0]
        nxt = encode_cursor([last["code"], last[tcol].isoformat()], fp)
        out = out.slice(0, n)
    return out, nxt


def assessment(
    con: duckdb.DuckDBPyConnection,
    principal: Principal,
    *,
    year: int,
    scope: str = "station",
    station: str | None = None,
    region: str | None = None,
) -> list[dict[str, Any]]:
    """The stored HJ 663 annual assessment of ``year``: one dict per station (or city) in the
    caller's scope with its statistics (``stats``: pollutant → value, statistic, valid) and
    category days. :class:`NotFound` when ``station`` is unknown, out of scope or not assessed.
    """
    if not 1900 <= year <= 2200:
        raise QueryError("year", f"must be between 1900 and 2200, got {year}")
    where, params = _scoped_codes(principal, scope, station, region, "d")
    days = (
        con.execute(
            f"SELECT d.* EXCLUDE (month) FROM air_category_days d WHERE {where}"
            " AND d.year = ? AND d.month = 0 ORDER BY d.code",
            [*params, year],
        )
        .fetch_arrow_table()
        .to_pylist()
    )
    swhere, sparams = _scoped_codes(principal, scope, station, region, "p")
    stats = (
        con.execute(
            f"SELECT p.code, p.pollutant, p.statistic, p.value, p.n_days, p.valid"
            f" FROM air_period_stat p WHERE {swhere} AND p.year = ? AND p.month = 0"
            " ORDER BY p.code, p.pollutant",
            [*sparams, year],
        )
        .fetch_arrow_table()
        .to_pylist()
    )
    by_code: dict[str, dict[str, Any]] = {}
    for s in stats:
        by_code.setdefault(s.pop("code"), {})[s.pop("pollutant")] = s
    out = [{**d, "stats": by_code.get(d["code"], {})} for d in days]
    if station is not None and not out:
        raise NotFound("station", station)
    return out


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


def assessment_live(
    con: duckdb.DuckDBPyConnection,
    principal: Principal,
    *,
    year: int,
    edition: str,
    station: str | None = None,
    region: str | None = None,
) -> dict[str, Any]:
    """HJ 663 assessment of ``year`` computed now (``air_service.assess``) under an HJ 633
    ``edition``, over the caller's stations only; city rows are kept only where the caller's
    scope covers the whole city."""
    from ecohub.analytics.air_service import assess, build
    from ecohub.jobs.plain import jsonable
    from ecohub.store.engine import ibis_duckdb

    if not 1900 <= year <= 2200:
        raise QueryError("year", f"must be between 1900 and 2200, got {year}")
    ids = scoped_stations(con, principal, station=station, region=region)
    if not ids:
        if station is not None:
            raise NotFound("station", station)
        return {"stats": [], "days": [], "index": [], "monthly": []}
    tables = build(
        ibis_duckdb(con),
        edition=edition,
        stations=ids,
        start=date(year, 1, 1),
        end=date(year, 12, 31),
    )
    res = assess(tables, year)
    mine, mp = region_sql(principal, "code")
    allowed = {
        r[0]
        for r in con.execute(
            f"SELECT code FROM (SELECT unnest(?::VARCHAR[]) AS code) WHERE {mine}",
            [sorted({str(c) for c in res["days"].code}), *mp],
        ).fetchall()
    }
    out = {}
    for name, frame in res.items():
        keep = (
            (frame.scope == "station") | frame.code.isin(allowed)
            if "scope" in frame
            else (frame.code.isin(allowed))
        )
        out[name] = jsonable(frame[keep])
    return out
