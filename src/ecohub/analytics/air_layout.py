"""The store's ``air_*`` column layout: a run's hourly or daily AQI rows of stations or cities
as one shape (nullable throughout), so station and city rows union into one table."""

from __future__ import annotations

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from ecohub.analytics.air_input import AirInputError
from ecohub.analytics.air_tables import AirTables

__all__ = ["aqi_table", "union"]

_HOURLY_COLS = [
    "time",
    "edition",
    "so2_1h",
    "no2_1h",
    "pm10_1h",
    "co_1h",
    "o3_1h",
    "pm25_1h",
    "o3_8h",
    "so2_24h",
    "pm10_24h",
    "pm25_24h",
    "iaqi_so2",
    "iaqi_no2",
    "iaqi_pm10",
    "iaqi_co",
    "iaqi_o3",
    "iaqi_pm25",
    "aqi",
    "level",
    "category",
    "primary_pollutants",
    "complete",
    "published",
]
_DAILY_COLS = [
    "date",
    "edition",
    "so2_24h",
    "no2_24h",
    "pm10_24h",
    "co_24h",
    "o3_1h",
    "o3_8h",
    "pm25_24h",
    "n_so2",
    "n_no2",
    "n_pm10",
    "n_co",
    "n_o3",
    "n_pm25",
    "n_o3_8h",
    "iaqi_so2",
    "iaqi_no2",
    "iaqi_pm10",
    "iaqi_co",
    "iaqi_o3",
    "iaqi_pm25",
    "aqi",
    "level",
    "category",
    "primary_pollutants",
    "complete",
    "published",
]


def _scoped(t: ir.Table, scope: str, key: str, cols: list[str]) -> ir.Table:
    # Nullable types throughout, so station and city rows union into one table.
    return t.select(
        scope=ibis.literal(scope),
        code=t[key].cast(dt.String(nullable=True)),
        **{c: t[c].cast(t[c].type().copy(nullable=True)) for c in cols},
    )


def aqi_table(
    tables: AirTables, kind: str = "daily", scope: str = "station", with_day: bool = False
) -> ir.Table:
    """The hourly or daily AQI rows in the store's ``air_*`` column layout (``with_day``:
    plus the CST day index, for writing some days only)."""
    if kind not in ("hourly", "daily"):
        raise AirInputError(f"kind must be hourly or daily, got {kind!r}", "kind")
    if scope not in ("station", "city"):
        raise AirInputError(f"scope must be station or city, got {scope!r}", "scope")
    cols = (_HOURLY_COLS if kind == "hourly" else _DAILY_COLS) + (["day"] if with_day else [])
    if scope == "city":
        src = tables.city_hourly_aqi if kind == "hourly" else tables.city_daily_aqi
        return _scoped(src, "city", "city_code", cols)
    src = tables.hourly_aqi if kind == "hourly" else tables.daily_aqi
    return _scoped(src, "station", "station_id", cols)


def union(parts: list[ir.Table]) -> ir.Table:
    """Union parts whose columns differ only in nullability."""
    same = [
        p.select(**{c: p[c].cast(p[c].type().copy(nullable=True)) for c in p.columns})
        for p in parts
    ]
    return ibis.union(*same)
