"""Which air stations and cities a caller may see: the scope predicates of the air services'
queries (:mod:`ecohub.analytics.air_service`), applied in the SQL that lists them, so rows
outside the scope are never read.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb
import pandas as pd

from ecohub.access import Principal, region_sql
from ecohub.analytics.air_input import AirInputError
from ecohub.analytics.regions import city_table

__all__ = [
    "allowed_codes",
    "city_scope",
    "code_prefix",
    "in_region",
    "visible_cities",
    "visible_stations",
]


def visible_stations(
    con: duckdb.DuckDBPyConnection,
    principal: Principal | None,
    stations: Sequence[str] | None = None,
    region: str | None = None,
) -> list[tuple[str, str]]:
    """``(station_id, region_code)`` of the air stations the caller may see, narrowed to
    ``stations`` / ``region`` (a region: its stations only, never wider), in id order.

    Plain tuples, no pandas: the API's AQI pages call this on every request. A station
    without a region code belongs to no city and is left out (as in :func:`city_table`)."""
    pred, params = region_sql(principal, "region_code") if principal else ("TRUE", [])
    rows = con.execute(
        f"SELECT station_id, region_code FROM station WHERE network = 'air' AND {pred} "
        "AND region_code IS NOT NULL ORDER BY station_id",
        params,
    ).fetchall()
    if stations:
        known = {str(r[0]) for r in rows}
        unknown = sorted(set(stations) - known)
        if unknown:
            raise AirInputError(f"unknown air station(s): {', '.join(unknown)}", "station")
        wanted = set(stations)
        rows = [r for r in rows if r[0] in wanted]
    if region:
        # A region filter means that region and the divisions below it, never wider: not the
        # whole city of a county (an admin's district filter must not show the city).
        prefix = code_prefix(region)
        rows = [r for r in rows if str(r[1]).startswith(prefix)]
        if not rows:
            raise AirInputError(f"no air stations in region {region}", "region")
    return [(str(sid), str(code)) for sid, code in rows]


def visible_cities(
    con: duckdb.DuckDBPyConnection,
    principal: Principal | None,
    stations: Sequence[str] | None = None,
    region: str | None = None,
) -> pd.DataFrame:
    """``station_id, city_code, city_name`` of the air stations the caller may see, narrowed
    to ``stations`` / ``region`` (a region: its stations and every station of its city)."""
    scoped = visible_stations(con, principal, stations, region)
    df = pd.DataFrame({"station_id": [s for s, _ in scoped], "region_code": [c for _, c in scoped]})
    return city_table(df)


def code_prefix(region: str) -> str:
    from ecohub.access.scope import region_prefix

    try:
        return region_prefix(region)
    except ValueError:
        raise AirInputError(
            f"region {region!r} is not a six-digit GB/T 2260 code", "region"
        ) from None


def in_region(codes: pd.Series, region: str | None) -> pd.Series:
    """Which city codes lie inside ``region`` (all when there is no region filter): a city
    row aggregates the whole city, so a narrower region does not show it."""
    if not region:
        return pd.Series(True, index=codes.index)
    return codes.astype(str).str.startswith(code_prefix(region))


def allowed_codes(cities: pd.DataFrame, region: str | None = None) -> pd.DataFrame:
    city = pd.Series(sorted(set(cities.city_code)), dtype=object)
    return pd.concat(
        [
            pd.DataFrame({"scope": "station", "code": cities.station_id}),
            pd.DataFrame({"scope": "city", "code": city[in_region(city, region)]}),
        ],
        ignore_index=True,
    )


def city_scope(principal: Principal | None) -> tuple[str, list[Any]]:
    """The principal's region on city rows (the city code is itself a GB/T 2260 code)."""
    if principal is None:
        return "TRUE", []
    sql, params = region_sql(principal, "t.code")
    return f"(t.scope = 'station' OR {sql})", params
