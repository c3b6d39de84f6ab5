"""Aggregates over a region, read from what the analytics and the registry have stored.

Nothing here recomputes an assessment: station-day AQI rows (``air_daily``), annual water
classes (``water_class_annual``), the registry (``source``) and HJ 212 values (``emission``)
are selected by the points inside the region (:mod:`ecohub.geo.query`) and the caller's scope,
then counted or summed. A region's own stored city assessment (``air_category_days`` with
scope ``city``) is returned as stored when the region is a division that has one.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from typing import Any

import duckdb
import pandas as pd

from ecohub.access import Principal
from ecohub.cst import CST
from ecohub.geo.query import inside_frame
from ecohub.geo.resolve import Area, resolve
from ecohub.store.lake_where import months_sql, partition_where

WATER_GRADES = ("I", "II", "III", "IV", "V", "劣V")
AIR_MEANS = ("so2_24h", "no2_24h", "pm10_24h", "co_24h", "o3_8h", "pm25_24h")


@contextmanager
def _keys(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame) -> Iterator[str]:
    """``frame`` registered under a fresh name for the duration of one query."""
    name = f"_geo_keys_{uuid.uuid4().hex}"
    con.register(name, frame)
    try:
        yield name
    finally:
        con.unregister(name)


def _plain(value: Any) -> Any:
    if value is None or (isinstance(value, float) and value != value):
        return None
    if hasattr(value, "item"):
        return value.item()
    return value


def air_summary(
    con: duckdb.DuckDBPyConnection,
    p: Principal,
    region: str | dict[str, Any],
    *,
    start: date,
    end: date,
    crs: str = "wgs84",
) -> dict[str, Any]:
    """Station-day AQI over the air stations inside ``region``, days ``start``..``end``.

    Station-days per AQI level (HJ 633 levels as stored) and the share of levels 1-2 among
    them, counted over complete station-days only (all six pollutants' daily values valid, as
    HJ 663 counts category days; a day with only CO left is not a good day), with the other
    station-days as ``station_days_incomplete``; mean daily concentrations, and the per-day
    mean and maximum AQI.
    """
    area = resolve(con, region, crs=crs)
    stations = inside_frame(con, p, "station", area, where="network = 'air'")[["station_id"]]
    out: dict[str, Any] = {"region": area.ref, "name": area.name, "stations": len(stations)}
    with _keys(con, stations) as keys:
        means = ", ".join(f"avg(d.{c}) AS {c}" for c in AIR_MEANS)
        total = con.execute(
            "SELECT count(*), count(d.level) FILTER (d.complete), "
            f"count(*) FILTER (d.level <= 2 AND d.complete), max(d.aqi), {means}, "
            "count(*) FILTER (NOT coalesce(d.complete AND d.level IS NOT NULL, FALSE)) "
            f"FROM air_daily d JOIN {keys} k ON d.scope = 'station' AND d.code = k.station_id "
            "WHERE d.date BETWEEN ? AND ?",
            [start, end],
        ).fetchone()
        assert total is not None
        levels = con.execute(
            f"SELECT d.level, count(*) FROM air_daily d JOIN {keys} k ON d.scope = 'station' "
            "AND d.code = k.station_id WHERE d.date BETWEEN ? AND ? AND d.level IS NOT NULL "
            "AND d.complete "
            "GROUP BY d.level ORDER BY d.level",
            [start, end],
        ).fetchall()
        daily = con.execute(
            f"SELECT d.date, count(*), avg(d.aqi), max(d.aqi), avg(d.pm25_24h) FROM air_daily d "
            f"JOIN {keys} k ON d.scope = 'station' AND d.code = k.station_id "
            "WHERE d.date BETWEEN ? AND ? GROUP BY d.date ORDER BY d.date",
            [start, end],
        ).fetchall()
    out["station_days"] = total[0]
    out["station_days_incomplete"] = total[-1]
    out["days_by_level"] = {int(level): n for level, n in levels}
    out["good_ratio"] = (total[2] / total[1]) if total[1] else None
    out["max_aqi"] = _plain(total[3])
    out["means"] = {c: _plain(v) for c, v in zip(AIR_MEANS, total[4:-1], strict=True)}
    out["daily"] = [
        {"date": d, "stations": n, "aqi_mean": _plain(a), "aqi_max": _plain(m),
         "pm25_24h_mean": _plain(pm)}
        for d, n, a, m, pm in daily
    ]  # fmt: skip
    out["city_assessment"] = _city_assessment(con, area, start, end)
    return out


def _city_assessment(
    con: duckdb.DuckDBPyConnection, area: Area, start: date, end: date
) -> list[dict[str, Any]]:
    if area.kind != "division":
        return []
    frame = con.execute(
        "SELECT * FROM air_category_days WHERE scope = 'city' AND code = ? "
        "AND year BETWEEN ? AND ? ORDER BY year, month",
        [area.ref, start.year, end.year],
    ).df()
    return [{str(k): _plain(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]


def water_classes(
    con: duckdb.DuckDBPyConnection,
    p: Principal,
    region: str | dict[str, Any],
    *,
    year: int,
    method: str = "gb3838",
    crs: str = "wgs84",
) -> dict[str, Any]:
    """Sections inside ``region`` per annual water class (as stored), counts and shares."""
    area = resolve(con, region, crs=crs)
    stations = inside_frame(con, p, "station", area, where="network = 'surface_water'")
    with _keys(con, stations[["station_id"]]) as keys:
        rows = con.execute(
            f"SELECT w.grade, count(*) FROM water_class_annual w JOIN {keys} k USING (station_id) "
            "WHERE w.year = ? AND w.method = ? GROUP BY w.grade",
            [year, method],
        ).fetchall()
    counts = {g: 0 for g in WATER_GRADES} | {g: n for g, n in rows}
    assessed = sum(counts.values())
    return {
        "region": area.ref,
        "name": area.name,
        "year": year,
        "method": method,
        "sections": len(stations),
        "assessed": assessed,
        "by_grade": counts,
        "share": {g: (n / assessed if assessed else None) for g, n in counts.items()},
        "share_i_iii": (sum(counts[g] for g in ("I", "II", "III")) / assessed)
        if assessed
        else None,
    }


def source_counts(
    con: duckdb.DuckDBPyConnection,
    p: Principal,
    region: str | dict[str, Any],
    *,
    crs: str = "wgs84",
) -> dict[str, Any]:
    """Registry sources inside ``region`` by industry (NULL industry counted as ``None``)."""
    area = resolve(con, region, crs=crs)
    frame = inside_frame(con, p, "source", area)
    by = frame.groupby(frame["industry"].astype(object).where(frame["industry"].notna(), "")).size()
    return {
        "region": area.ref,
        "name": area.name,
        "sources": len(frame),
        "by_industry": {(k or None): int(v) for k, v in sorted(by.items())},
    }


def emission_totals(
    con: duckdb.DuckDBPyConnection,
    p: Principal,
    region: str | dict[str, Any],
    *,
    start: datetime,
    end: datetime,
    cn: str = "2031",
    crs: str = "wgs84",
) -> dict[str, Any]:
    """Σ ``cou`` (the HJ 212 emission amount) per pollutant of the sources inside ``region``.

    Rows of command ``cn`` (default 2031, daily data) with ``start <= data_time < end``, joined
    through ``monitor_point`` (MN → source) to the sources inside; units as the devices sent
    them (HJ 212: kg for gases' Cou, m³ for flow, ...), so only same-code values are summed.
    """
    area = resolve(con, region, crs=crs)
    sources = inside_frame(con, p, "source", area)[["source_code"]]
    # The same rows; the lake's files of other months are not opened.
    parts, months = partition_where("emission", "e", start=start, end=end)
    with _keys(con, sources) as keys:
        rows = con.execute(
            f"SELECT e.pollutant, sum(e.cou), count(e.cou), count(DISTINCT m.source_code) "
            f"FROM emission_all e JOIN monitor_point m USING (mn) JOIN {keys} k "
            "ON m.source_code = k.source_code WHERE e.cn = ? AND e.data_time >= ? "
            f"AND e.data_time < ? AND {' AND '.join(parts)} "
            "GROUP BY e.pollutant ORDER BY e.pollutant",
            [cn, start, end, *months],
        ).fetchall()
    return {
        "region": area.ref,
        "name": area.name,
        "sources": len(sources),
        "cn": cn,
        "totals": {
            pol: {"cou": _plain(total), "values": n, "sources": s} for pol, total, n, s in rows
        },
    }


def observation_means(
    con: duckdb.DuckDBPyConnection,
    p: Principal,
    region: str | dict[str, Any],
    *,
    parameter: str,
    start: datetime,
    end: datetime,
    period: str = "1h",
    crs: str = "wgs84",
    use_days: bool = True,
) -> dict[str, Any]:
    """Per-day mean, min, max and count of ``parameter`` over the stations inside ``region``.

    Rows with ``start <= time < end`` and a finite value count; days are CST calendar days.
    Whole days inside the range are read from the per station-day sums (``observation_day``:
    mean = Σ total / Σ n over the stations inside); a partial first or last day is read from
    the rows. ``use_days=False`` reads every day from the rows (the same answer, slower; kept
    for the benchmark and the tests that compare the two).
    """
    area = resolve(con, region, crs=crs)
    stations = inside_frame(con, p, "station", area)[["station_id"]]
    first, last = _whole_days(start, end) if use_days else (None, None)
    with _keys(con, stations) as keys:
        pick = f"station_id IN (SELECT station_id FROM {keys}) AND parameter = ? AND period = ?"
        raw = (
            "SELECT CAST(timezone('Asia/Shanghai', time) AS DATE) AS day, sum(value) AS total, "
            "count(value) AS n, min(value) AS lo, max(value) AS hi FROM observation_all "
            f"WHERE {pick} AND time >= ? AND time < ? "
            f"AND {months_sql()} AND isfinite(value) GROUP BY day"
        )

        def rows_of(lo: datetime, hi: datetime) -> list[Any]:
            # Parameters of ``raw``: its time range and the lake months that range spans.
            return [parameter, period, lo, hi, *partition_where("observation", start=lo, end=hi)[1]]

        if first is None or last is None:
            sql, params = raw, rows_of(start, end)
        else:
            # Whole days [first, last) from the sums; the partial edges from the rows.
            edge_lo, edge_hi = _cst_midnight(first), _cst_midnight(last)
            sql = (
                f"SELECT day, sum(total) AS total, sum(n) AS n, min(lo) AS lo, max(hi) AS hi "
                f"FROM observation_day WHERE {pick} AND day >= ? AND day < ? GROUP BY day "
                f"UNION ALL {raw} UNION ALL {raw}"
            )
            params = [parameter, period, first, last, *rows_of(start, edge_lo),
                      *rows_of(edge_hi, end)]  # fmt: skip
        rows = con.execute(
            f"SELECT day, total / n, lo, hi, n FROM ({sql}) WHERE n > 0 ORDER BY day", params
        ).fetchall()
    return {
        "region": area.ref,
        "name": area.name,
        "stations": len(stations),
        "parameter": parameter,
        "daily": [
            {"date": d, "mean": _plain(a), "min": _plain(lo), "max": _plain(hi), "n": n}
            for d, a, lo, hi, n in rows
        ],
    }


def _cst_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=CST)


def _whole_days(start: datetime, end: datetime) -> tuple[date | None, date | None]:
    """The CST days lying wholly inside ``[start, end)``, as ``[first, last)``; None if none."""
    s, e = start.astimezone(CST), end.astimezone(CST)
    first = s.date() if s == _cst_midnight(s.date()) else s.date() + timedelta(days=1)
    last = e.date()
    return (first, last) if first < last else (None, None)
