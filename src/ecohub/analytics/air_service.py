"""Air services: the calls the CLI and the API make, returning plain data.

- :func:`compute` writes the store's ``air_*`` tables: whole the first time (or when asked),
  afterwards only the station-days marked stale and what depends on them
  (:mod:`ecohub.analytics.air_results`).
- :func:`mark_stale` is what a loader calls after writing observations.
- :func:`assess` and :func:`aqi` read what :func:`compute` stored, computing first what is
  stale or was never computed. Asked for an HJ 633 edition other than the stored results',
  they compute from the observations instead (a what-if, not stored).

Every service takes an optional ``principal`` (:class:`ecohub.access.Principal`; None = the
platform itself, every row): its region scope is a predicate of the query that lists the
stations (``ecohub.access.region_sql``), and of the query that reads city rows, so rows
outside it are never read — an out-of-scope station is reported exactly as an unknown one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

import duckdb
import ibis
import pandas as pd

from ecohub.access import Principal, require_role
from ecohub.analytics import air_days, air_results, air_scope, air_stale, air_stats
from ecohub.analytics.air_annual import assess_tables, tidy_assessment
from ecohub.analytics.air_compliance import with_compliance
from ecohub.analytics.air_input import AirInputError
from ecohub.analytics.air_layout import aqi_table
from ecohub.analytics.air_tables import (
    EDITION_CHOICES,
    AirTables,
    build,
    check_year,
    parse_edition,
)
from ecohub.analytics.regions import city_of
from ecohub.cst import CST
from ecohub.store.backend import AnalyticsBackend, duckdb_backend

__all__ = [
    "EDITION_CHOICES",
    "AirTables",
    "aqi",
    "aqi_table",
    "assess",
    "assess_tables",
    "build",
    "compute",
    "mark_stale",
    "parse_edition",
]

KINDS = ("hourly", "daily")
SCOPES = ("station", "city")


# ---------------------------------------------------------------- writing


def mark_stale(
    con: duckdb.DuckDBPyConnection,
    station_ids: Iterable[str],
    first_time: datetime,
    last_time: datetime,
) -> int:
    """Mark the CST days ``first_time .. last_time`` of ``station_ids`` as changed, so the
    next :func:`compute` (or a read) recomputes them; returns the station-days marked.

    Loaders call this after writing observations, in or after their transaction. Cheap:
    one insert into ``air_stale``; naive times are CST."""
    return air_results.mark_days(con, station_ids, first_time, last_time)


def compute(
    con: duckdb.DuckDBPyConnection,
    *,
    edition: int | str = "auto",
    full: bool = False,
    principal: Principal | None = None,
    reviewed: bool = True,
    engine: AnalyticsBackend | None = None,
) -> dict[str, Any]:
    """(Re)compute the stored air results on ``engine`` (default: DuckDB, the store itself;
    the platform passes the one ``ECOHUB_ENGINE`` chose); returns ``mode`` (full |
    incremental | fresh), rows ``written`` per table, ``station_days`` recomputed, and the
    input rows counted as ``invalid`` or ``set_aside`` (with their reasons).

    Whole when ``full``, on the first run, or when ``edition`` differs from the stored
    results'; else only the stale station-days. Results are shared by everyone, so only the
    platform or an admin may write them."""
    if principal is not None:
        require_role(principal, "admin")
    ed = parse_edition(edition)
    stored = air_results.state(con).get("edition")
    if full or stored is None or stored != str(ed) or _stored_reviewed(con) != reviewed:
        out = air_results.compute_full(con, ed, reviewed, engine).as_dict()
    else:
        out = air_stale.compute_stale(con, ed, reviewed, engine).as_dict()
    _lineage(con, out, ed, full, reviewed)
    return out


def _lineage(
    con: duckdb.DuckDBPyConnection, out: dict[str, Any], ed: Any, full: bool, reviewed: bool
) -> None:
    """Register the tables this computation wrote, made from the stations and observations
    and, for the reviewed record, the review's flags (the values they set aside, by rule)."""
    from ecohub.catalog.produce import has_resource, note

    made = [t for t, n in out["written"].items() if n and has_resource(t)]
    if made:
        params = {"edition": str(ed), "full": full, "reviewed": reviewed, "mode": out["mode"],
                  "written": out["written"], "station_days": out.get("station_days")}  # fmt: skip
        inputs: list[tuple[str, str] | tuple[str, str, dict[str, Any]]] = [
            ("resource", "observation"), ("resource", "station")]  # fmt: skip
        if reviewed:
            inputs.append(("resource", "review_flag", {"set_aside": out.get("set_aside") or {}}))
        note(con, made, "air-compute", inputs, params)


def _stored_reviewed(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the stored results are of the reviewed record (results stored before review
    existed are treated as reviewed: there were no flags)."""
    return air_results.state(con).get("reviewed", "true") == "true"


def _stored(
    con: duckdb.DuckDBPyConnection,
    edition: int | str,
    reviewed: bool = True,
    engine: AnalyticsBackend | None = None,
) -> bool:
    """Whether the stored results answer for ``edition`` — computing what is stale or was
    never computed first (the default edition only: a what-if is never stored)."""
    ed = parse_edition(edition)
    # One statement (every API read of AQI asks this): the stored edition, whether it is of
    # the reviewed record (results stored before review existed count as reviewed), and
    # whether any station-day is stale.
    got = con.execute(
        "SELECT (SELECT value FROM air_state WHERE name = 'edition'), "
        "coalesce((SELECT value FROM air_state WHERE name = 'reviewed'), 'true'), "
        "EXISTS (SELECT 1 FROM air_stale)"
    ).fetchall()[0]
    stored = None if got[0] is None else str(got[0])
    if stored is not None and (str(got[1]) == "true") != reviewed:
        return False  # the other record: computed, not stored
    # A read that computes records its run as any computation does: the lineage and the
    # catalogue's coverage (refreshed when a producer's run is newer) follow it.
    if stored is None:
        if ed != "auto" or not reviewed:
            return False
        out = air_results.compute_full(con, ed, reviewed, engine).as_dict()
        _lineage(con, out, ed, False, reviewed)
        return True
    if stored != str(ed):
        return False
    if got[2]:
        out = air_stale.compute_stale(con, ed, reviewed, engine).as_dict()
        _lineage(con, out, ed, False, reviewed)
    return True


# ---------------------------------------------------------------- reading


def _read(con: duckdb.DuckDBPyConnection, sql: str, frames: dict[str, pd.DataFrame],
          params: list[Any]) -> pd.DataFrame:  # fmt: skip
    for name, df in frames.items():
        con.register(name, df)
    try:
        return con.execute(sql, params).df()
    finally:
        for name in frames:
            con.unregister(name)


def assess(
    con: duckdb.DuckDBPyConnection,
    year: int,
    *,
    region: str | None = None,
    edition: int | str = "auto",
    principal: Principal | None = None,
    reviewed: bool = True,
    engine: AnalyticsBackend | None = None,
) -> dict[str, pd.DataFrame]:
    """HJ 663 annual assessment of ``year`` for the cities and stations the caller may see.

    Frames: ``stats`` (scope, code, year, pollutant, statistic, value, n_days, months_valid,
    valid, limit, meets, exceed_ratio), ``compliance`` (达标 per pollutant), ``days``
    (category days, days_incomplete, good-day ratio, primary days), ``index``
    (comprehensive index; cities ranked among those shown) and ``monthly`` (the
    cities' monthly good-day ratio with month-on-month and year-on-year change). Read from
    the stored results when they are of ``edition``; else computed (not stored). Runs on
    ``engine`` (default: DuckDB)."""
    check_year(year)
    parse_edition(edition)
    engine = engine or duckdb_backend()
    cities = air_scope.visible_cities(con, principal, region=region)
    if not _stored(con, edition, reviewed, engine):
        with engine.run(con, air_results.INPUTS) as run:
            tables = build(
                run.ibis, edition=edition, stations=list(cities.station_id),
                start=date(year, 1, 1), end=date(year, 12, 31), reviewed=reviewed,
            )  # fmt: skip
            out = assess_tables(tables, year)
        for name, frame in out.items():  # city rows wider than the region are not shown
            if "scope" in frame and "code" in frame:
                keep = (frame.scope != "city") | air_scope.in_region(frame.code, region)
                out[name] = frame[keep.to_numpy()]
            elif name == "monthly" and region:
                out[name] = frame[air_scope.in_region(frame.code, region).to_numpy()]
        return _judged(out)
    allowed = {"_air_allowed": air_scope.allowed_codes(cities, region)}
    pred, params = air_scope.city_scope(principal)
    where = (
        "FROM {table} t JOIN _air_allowed a ON a.scope = t.scope AND a.code = t.code "
        f"WHERE t.year = ? AND {pred}"
    )
    stats = _read(
        con,
        "SELECT t.scope, t.code, t.year, t.pollutant, t.statistic, t.value, t.n_days, "
        "t.months_valid, t.valid " + where.format(table="air_period_stat") + " AND t.month = 0",
        allowed,
        [year, *params],
    )
    days = _read(
        con,
        "SELECT t.* EXCLUDE (month) "
        + where.format(table="air_category_days")
        + " AND t.month = 0",
        allowed,
        [year, *params],
    )
    monthly = _read(
        con,
        "SELECT t.code, t.year, t.month, t.good_ratio "
        + where.replace("t.year = ?", "t.year IN (?, ?)").format(table="air_category_days")
        + " AND t.month > 0 AND t.scope = 'city'",
        allowed,
        [year - 1, year, *params],
    )
    index, change = _index_and_change(engine, con, stats, monthly, year)
    result = {
        "stats": stats,
        "days": days,
        "index": pd.concat(index, ignore_index=True) if index else pd.DataFrame(
            columns=["scope", "code", "year", "index", "max_pollutant", "complete", "valid"]),
        "monthly": change,
    }  # fmt: skip
    return _judged(tidy_assessment(result))


def _judged(result: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The assessment with each statistic beside its GB 3095 limit and ``compliance``, 达标
    per pollutant (:mod:`ecohub.analytics.air_compliance`)."""
    result["stats"], result["compliance"] = with_compliance(result["stats"])
    return result


def _index_and_change(
    engine: AnalyticsBackend,
    con: duckdb.DuckDBPyConnection,
    stats: pd.DataFrame,
    monthly: pd.DataFrame,
    year: int,
) -> tuple[list[pd.DataFrame], pd.DataFrame]:
    """The comprehensive index (cities ranked) and the monthly change, from the stored
    statistics read for the caller, on ``engine``."""
    index = []
    change = pd.DataFrame(columns=["code", "year", "month", "good_ratio"])
    with engine.run(con) as run:
        for scope in SCOPES:
            part = stats[stats.scope == scope].drop(columns="scope")
            if part.empty:
                continue
            idx = air_stats.comprehensive(ibis.memtable(part.astype({"year": "int32"})), "code")
            if scope == "city":
                idx = air_stats.ranking(idx, "code")
            df = run.ibis.to_pandas(idx)
            df.insert(0, "scope", scope)
            index.append(df)
        if not monthly.empty:
            m = ibis.memtable(monthly.astype({"year": "int32", "month": "int32"}))
            change = run.ibis.to_pandas(air_days.change(m, "code", "good_ratio"))
            change = change[change.year == year]
    return index, change


def aqi(
    con: duckdb.DuckDBPyConnection,
    *,
    kind: str = "daily",
    scope: str = "station",
    stations: Sequence[str] | None = None,
    region: str | None = None,
    start: date | None = None,
    end: date | None = None,
    edition: int | str = "auto",
    principal: Principal | None = None,
    reviewed: bool = True,
    page: Any = None,
    arrow: bool = False,
    engine: AnalyticsBackend | None = None,
) -> Any:
    """Hourly (real-time) or daily HJ 633 AQI rows per station or city, ``start..end``
    (inclusive CST days), in the store's ``air_*`` layout, ordered by code and time: a
    DataFrame, or an Arrow table when ``arrow`` (no pandas round trip for the API).

    ``page`` (an :class:`ecohub.queries.listing.Window` keyed on code and date / time): only
    that page's rows, plus one when there is a next page, read in SQL from the cursor on.
    What is computed runs on ``engine`` (default: DuckDB)."""
    if kind not in KINDS:
        raise AirInputError(f"kind must be hourly or daily, got {kind!r}", "kind")
    if scope not in SCOPES:
        raise AirInputError(f"scope must be station or city, got {scope!r}", "scope")
    if start is not None and end is not None and start > end:
        raise AirInputError(f"from {start} is after to {end}", "from")
    parse_edition(edition)
    scoped = air_scope.visible_stations(con, principal, stations, region)
    when = "date" if kind == "daily" else "time"
    if not _stored(con, edition, reviewed, engine):
        with (engine or duckdb_backend()).run(con, air_results.INPUTS) as run:
            tables = build(
                run.ibis, edition=edition, stations=[sid for sid, _ in scoped],
                start=start, end=end, reviewed=reviewed,
            )  # fmt: skip
            t = aqi_table(tables, kind, scope, with_day=True)
            if end is not None:
                t = t.filter(t.day <= (end - date(1970, 1, 1)).days)
            if scope == "city" and region:
                t = t.filter(t.code.startswith(air_scope.code_prefix(region)))
            # As Arrow: integer columns with gaps (AQI, level, IAQI) stay integers, as the
            # stored results give them (through pandas they came out as 200.0).
            computed = t.drop("day").order_by(["code", when]).to_pyarrow()
        if page is None:
            return computed if arrow else computed.to_pandas()
        sql, params = page.wrap("SELECT * FROM _air_whatif", [])  # computed, then paged
        con.register("_air_whatif", computed)
        try:
            out = con.execute(sql, params).fetch_arrow_table()
        finally:
            con.unregister("_air_whatif")
        return out if arrow else out.to_pandas()
    table = "air_daily" if kind == "daily" else "air_hourly_aqi"
    conds, params = [f"t.scope = '{scope}'"], []
    # Plain comparisons on the stored column (no expression over it), so the scan can skip
    # row groups by their min/max; hourly bounds are CST midnights.
    if start is not None:
        conds.append(f"t.{when} >= ?")
        params.append(start if kind == "daily" else datetime.combine(start, time(), CST))
    if end is not None:
        conds.append(f"t.{when} < ?")
        params.append(end + timedelta(days=1) if kind == "daily"
                      else datetime.combine(end + timedelta(days=1), time(), CST))  # fmt: skip
    pred, scope_params = air_scope.city_scope(principal)
    if scope == "station":
        codes = [sid for sid, _ in scoped]
    else:  # a city row aggregates the whole city, so a narrower region does not show it
        prefix = air_scope.code_prefix(region) if region else ""
        codes = sorted({c for c in (city_of(code) for _, code in scoped) if c.startswith(prefix)})
    # The caller's codes as a list parameter (a semi join: DuckDB pushes their min/max into
    # the scan), not a registered pandas frame (registering costs more than the query).
    sql = (
        f"SELECT t.* FROM {table} t WHERE t.code IN (SELECT unnest(CAST(? AS VARCHAR[]))) "
        f"AND {' AND '.join(conds)} AND {pred}"
    )
    args = [codes, *params, *scope_params]
    if page is not None:
        sql, args = page.wrap(sql, args)
    else:
        sql += f" ORDER BY t.code, t.{when}"
    result = con.execute(sql, args)
    return result.fetch_arrow_table() if arrow else result.df()
