"""What the web console shows, as plain data: stations with their current category, and the
panels of a region (air trend, calendar, composition, ranking; water classes).

Everything reads what :mod:`ecohub.geo` and the analytics stored; the caller's scope applies
through :func:`ecohub.geo.query.inside_frame` (stations outside it are never returned).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import duckdb
import numpy as np

from ecohub.access import Principal
from ecohub.geo import aggregate
from ecohub.geo.gcj02 import wgs84_to_gcj02
from ecohub.geo.query import inside_frame
from ecohub.geo.resolve import resolve
from ecohub.standards import aqi as aqi_std
from ecohub.web.maps import levels

MAX_SPAN_DAYS = 3660


def _plain_rows(frame: Any) -> list[dict[str, Any]]:
    frame = frame.astype(object).where(frame.notna(), None)
    return [
        {str(k): (v.item() if isinstance(v, np.generic) else v) for k, v in row.items()}
        for row in frame.to_dict(orient="records")
    ]


def map_stations(
    con: duckdb.DuckDBPyConnection,
    p: Principal,
    region: str | dict[str, Any],
    *,
    crs: str = "wgs84",
) -> dict[str, Any]:
    """Stations inside ``region`` and ``p``'s scope, each with its latest stored daily AQI
    (the last day that has one: date, AQI, level, category) or latest annual water class."""
    area = resolve(con, region, crs=crs)
    frame = inside_frame(con, p, "station", area)
    name = f"_console_st_{id(frame)}"
    con.register(name, frame)
    try:
        out = con.execute(
            f"SELECT s.station_id, s.name, s.network, s.region_code, s.lon, s.lat, "
            "strftime(a.date, '%Y-%m-%d') AS aqi_date, a.aqi, a.level, a.category, "
            "a.primary_pollutants, "
            "w.year AS water_year, w.grade AS water_class "
            f"FROM {name} s LEFT JOIN (SELECT code, date, aqi, level, category, "
            "primary_pollutants FROM air_daily WHERE scope = 'station' AND aqi IS NOT NULL "
            f"AND code IN (SELECT station_id FROM {name}) "
            "QUALIFY row_number() OVER (PARTITION BY code ORDER BY date DESC) = 1) a "
            "ON a.code = s.station_id LEFT JOIN (SELECT station_id, year, grade "
            f"FROM water_class_annual WHERE station_id IN (SELECT station_id FROM {name}) "
            "QUALIFY row_number() OVER (PARTITION BY station_id "
            "ORDER BY year DESC, method) = 1) w ON w.station_id = s.station_id "
            "ORDER BY s.station_id"
        ).df()
    finally:
        con.unregister(name)
    if crs == "gcj02" and not out.empty:
        lon, lat = wgs84_to_gcj02(out["lon"].to_numpy(float), out["lat"].to_numpy(float))
        out = out.assign(lon=lon, lat=lat)
    return {"region": area.ref, "name": area.name, "crs": crs, "items": _plain_rows(out)}


def _default_span(con: duckdb.DuckDBPyConnection, ids: list[str]) -> tuple[date, date] | None:
    """The last year of stored daily AQI of these stations."""
    if not ids:
        return None
    marks = ", ".join("?" for _ in ids)
    row = con.execute(
        f"SELECT min(date), max(date) FROM air_daily WHERE scope = 'station' AND code IN ({marks})",
        ids,
    ).fetchone()
    if row is None or row[1] is None:
        return None
    first: date = row[0]
    last: date = row[1]
    return max(first, last - timedelta(days=364)), last


def air_panels(
    con: duckdb.DuckDBPyConnection,
    p: Principal,
    region: str | dict[str, Any],
    *,
    start: date | None = None,
    end: date | None = None,
    crs: str = "wgs84",
) -> dict[str, Any]:
    """The air panels of ``region``: :func:`ecohub.geo.aggregate.air_summary` over the period
    (default: the last stored year), each day's category from the day's mean station AQI, and
    a ranking of the region's sub-divisions (or its stations when it has none)."""
    area = resolve(con, region, crs=crs)
    stations = inside_frame(con, p, "station", area, where="network = 'air'")
    if start is None or end is None:
        span = _default_span(con, list(stations["station_id"]))
        if span is None:
            return {"region": area.ref, "name": area.name, "stations": len(stations),
                    "from": None, "to": None, "daily": [], "ranking": [],
                    "days_by_level": {}, "means": {}, "levels": levels()}  # fmt: skip
        start, end = start or span[0], end or span[1]
    if end < start or (end - start).days > MAX_SPAN_DAYS:
        from ecohub.queries import QueryError

        raise QueryError("to", f"must be on or after from and within {MAX_SPAN_DAYS} days")
    out = aggregate.air_summary(con, p, region, start=start, end=end, crs=crs)
    for day in out["daily"]:
        mean = day["aqi_mean"]
        day["level"] = None if mean is None else aqi_std.category(round(mean))[0]
    out["from"], out["to"] = start, end
    out["ranking"] = _ranking(con, area.ref, area.kind, stations, start, end)
    out["primary_days"] = _primary_days(con, list(stations["station_id"]), start, end)
    out["levels"] = levels()
    return out


def _primary_days(
    con: duckdb.DuckDBPyConnection, ids: list[str], start: date, end: date
) -> dict[str, int]:
    """Station-days per primary pollutant (HJ 633: days with AQI > 50; a tie counts for each)."""
    if not ids:
        return {}
    marks = ", ".join("?" for _ in ids)
    rows = con.execute(
        "SELECT p, count(*) FROM (SELECT unnest(string_split(primary_pollutants, ';')) AS p "
        f"FROM air_daily WHERE scope = 'station' AND code IN ({marks}) AND date BETWEEN ? AND ? "
        "AND primary_pollutants IS NOT NULL) WHERE p <> '' GROUP BY p ORDER BY count(*) DESC",
        [*ids, start, end],
    ).fetchall()
    return {str(p): int(n) for p, n in rows}


def _ranking(
    con: duckdb.DuckDBPyConnection,
    ref: str,
    kind: str,
    stations: Any,
    start: date,
    end: date,
) -> list[dict[str, Any]]:
    """Mean daily AQI and share of level 1-2 station-days, per child division or station."""
    children: dict[str, str] = {}
    if kind == "division":
        children = dict(
            con.execute(
                "SELECT code, name FROM region WHERE kind = 'division' AND parent_code = ?",
                [ref],
            ).fetchall()
        )
    frame = stations[["station_id", "name", "region_code"]].copy()
    if children:
        # A station belongs to the child whose code its county code falls under.
        def child_of(code: Any) -> str | None:
            if not isinstance(code, str):
                return None
            if code in children:
                return code
            up = code[:4] + "00"
            return up if up in children else None

        frame["key"] = [child_of(c) for c in frame["region_code"]]
        frame["label"] = [children.get(k) if k else None for k in frame["key"]]
    else:
        frame["key"] = frame["station_id"]
        frame["label"] = frame["name"]
    frame = frame[frame["key"].notna()]
    name = f"_console_rank_{id(frame)}"
    con.register(name, frame)
    try:
        rows = con.execute(
            # Good-day ratio over complete station-days, as the region summary counts them.
            f"SELECT k.key, any_value(k.label), avg(d.aqi), count(d.level) FILTER (d.complete), "
            f"count(*) FILTER (d.level <= 2 AND d.complete), count(DISTINCT k.station_id) "
            f"FROM {name} k "
            "JOIN air_daily d ON d.scope = 'station' AND d.code = k.station_id "
            "WHERE d.date BETWEEN ? AND ? GROUP BY k.key ORDER BY avg(d.aqi) NULLS LAST",
            [start, end],
        ).fetchall()
    finally:
        con.unregister(name)
    return [
        {"code": k, "name": label, "aqi_mean": None if a is None else float(a),
         "level": None if a is None else aqi_std.category(round(a))[0],
         "good_ratio": (good / n) if n else None, "stations": s}
        for k, label, a, n, good, s in rows
    ]  # fmt: skip


def water_panel(
    con: duckdb.DuckDBPyConnection,
    p: Principal,
    region: str | dict[str, Any],
    *,
    year: int | None = None,
    crs: str = "wgs84",
) -> dict[str, Any]:
    """The water-class distribution of ``region`` for ``year`` (default: the latest stored)."""
    if year is None:
        row = con.execute("SELECT max(year) FROM water_class_annual").fetchone()
        if row is None or row[0] is None:
            area = resolve(con, region, crs=crs)
            return {"region": area.ref, "name": area.name, "year": None, "assessed": 0,
                    "by_grade": {}, "sections": 0}  # fmt: skip
        year = int(row[0])
    method = con.execute(
        "SELECT method FROM water_class_annual WHERE year = ? ORDER BY method LIMIT 1", [year]
    ).fetchone()
    return aggregate.water_classes(
        con, p, region, year=year, method=method[0] if method else "gb3838", crs=crs
    )
