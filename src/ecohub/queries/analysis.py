"""Water assessment, stored water classes and trends, over the caller's stations only.

The analytics functions take a region or a station list; here the caller's scope decides
which: a requested region must lie inside the scope, and without one the scope itself is used.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import duckdb

from ecohub.access.principal import Principal
from ecohub.access.scope import region_prefix, region_sql, require_role, scope_prefixes
from ecohub.jobs.plain import jsonable
from ecohub.queries import NotFound, QueryError
from ecohub.queries.paging import page_size
from ecohub.queries.stations import region_filter
from ecohub.store.backend import AnalyticsBackend, duckdb_backend

_NO_WATER = "scope: no usable surface-water sample in the store"


def effective_region(principal: Principal, region: str | None) -> tuple[str | None, bool]:
    """(region to pass to an analytics function, whether it lies inside the caller's scope)."""
    if region is not None:
        region_filter("region", region)  # validates
    if principal.region is None:
        return region, principal.nationwide
    mine = scope_prefixes(principal) or ()
    if region is None:
        # A key-region or basin scope is no one division: the caller names one inside it.
        return (
            (principal.region, True) if len(mine) == 1 and principal.area is None else (None, False)
        )
    return region, any(region_prefix(region).startswith(m) for m in mine)


def water_assessment(
    con: duckdb.DuckDBPyConnection,
    principal: Principal,
    *,
    year: int | None = None,
    month: str | None = None,
    region: str | None = None,
    basin: str | None = None,
    method: str = "2011",
    by: str = "basin",
    store: bool = False,
    engine: AnalyticsBackend | None = None,
) -> dict[str, Any]:
    """``water_assess.assess`` over the sections in the caller's scope, on ``engine``
    (default: DuckDB); ``store`` (admin only: the stored classes are shared) also upserts
    the section classes and item results."""
    from ecohub.analytics.water_assess import INPUTS, assess, store_assessment

    use, inside = effective_region(principal, region)
    if not inside:
        raise ValueError(_NO_WATER)  # the same answer as a region without data
    if store:
        require_role(principal)
    with (engine or duckdb_backend()).run(con, INPUTS) as run:
        res = assess(
            run.ibis, year=year, month=month, region=use, basin=basin, method=method, by=by
        )
    if store:
        store_assessment(con, res)
    return jsonable(
        {
            "period": res.period,
            "kind": res.kind,
            "method": res.method,
            "summary": res.summary,
            "sections": res.sections,
            "distribution": res.distribution,
            "driving": res.driving,
            "issues": res.issues,
            "n_issues": res.n_issues,
            "notes": res.notes,
        }
    )


def water_classes(
    con: duckdb.DuckDBPyConnection,
    principal: Principal,
    *,
    year: int | None = None,
    station: str | None = None,
    region: str | None = None,
    method: str | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Stored annual section classes (``water assess`` wrote them) in the caller's scope;
    :class:`QueryError` for a method that is not one (it would match no row and read as "no
    data"), as the water assessment route says."""
    from ecohub.standards.water import METHODS

    if method is not None and method not in METHODS:
        raise QueryError("method", f"expected one of {', '.join(METHODS)}, got {method[:20]!r}")
    n = page_size(limit)
    mine, mp = region_sql(principal, "s.region_code")
    want, wp = region_filter("s.region_code", region)
    sql = (
        "SELECT w.*, s.region_code, s.basin FROM water_class_annual w JOIN station s "
        f"USING (station_id) WHERE {mine} AND {want}"
    )
    params: list[Any] = [*mp, *wp]
    for cond, val in (
        ("w.year = ?", year),
        ("w.station_id = ?", station),
        ("w.method = ?", method),
    ):
        if val is not None:
            sql += f" AND {cond}"
            params.append(val)
    rows = con.execute(sql + " ORDER BY w.station_id, w.year, w.method LIMIT ?", [*params, n])
    return jsonable(rows.fetch_arrow_table().to_pylist())


def trend_request(
    stations: list[str] | None,
    parameters: list[str] | None,
    year_from: int | None,
    year_to: int | None,
    alpha: float,
) -> list[str] | None:
    """The options of a trend request checked (before any work, or before a job is queued):
    the HJ 212 codes of ``parameters``; :class:`QueryError` naming ``alpha``, ``to``,
    ``station`` or ``parameter`` (the ``GET /trend`` names)."""
    from ecohub.ingest.params import parameter_hint, resolve_parameter

    if not 0 < alpha < 1:
        raise QueryError("alpha", f"must be between 0 and 1, got {alpha}")
    if year_from is not None and year_to is not None and year_from > year_to:
        raise QueryError("to", f"{year_to} is before from {year_from}")
    for text in stations or ():
        # Station ids reach the trend query as literals (ibis compiles them into the SQL): an id
        # with a control character (NUL) is refused here, before any SQL is built.
        if not text or not text.isprintable():
            raise QueryError("station", f"not a station id: {text!r}")
    codes: list[str] | None = None
    if parameters:
        codes = []
        for text in parameters:
            hit = resolve_parameter(text)
            if hit is None:
                raise QueryError("parameter", f"unknown parameter {text!r}; {parameter_hint(text)}")
            codes.append(hit.code)
    return codes


def trend(
    con: duckdb.DuckDBPyConnection,
    principal: Principal,
    *,
    stations: list[str] | None = None,
    region: str | None = None,
    parameters: list[str] | None = None,
    year_from: int | None = None,
    year_to: int | None = None,
    seasonal: bool = True,
    alpha: float = 0.05,
    raw: bool = False,
    store: bool = False,
    engine: AnalyticsBackend | None = None,
) -> list[dict[str, Any]]:
    """Mann-Kendall / seasonal Kendall trends of the caller's stations (nothing is stored).

    ``parameters`` are names or HJ 212 codes; a station outside the scope is unknown.
    The series are of the reviewed record: the values the automatic data review set aside
    (a flag not overruled; docs/review.md) are left out, as in the air assessment, and
    counted in ``n_set_aside``; ``raw`` reads every value. Each row says which in
    ``record``. ``store`` (admin only) also saves the results in ``trend_result``. The
    monthly series are built on ``engine`` (default: DuckDB).
    """
    from ecohub.analytics.air_input import review_set_aside
    from ecohub.analytics.trend import store_trends, trends

    codes = trend_request(stations, parameters, year_from, year_to, alpha)
    ids: list[str] | None
    if principal.nationwide and region is None:
        ids = stations or None  # every series, with or without a station row
    else:
        mine, mp = region_sql(principal, "region_code")
        want, wp = region_filter("region_code", region)
        sql = f"SELECT station_id FROM station WHERE {mine} AND {want}"
        params: list[Any] = [*mp, *wp]
        if stations:
            sql += " AND station_id IN (SELECT unnest(?::VARCHAR[]))"
            params.append(stations)
        ids = [r[0] for r in con.execute(sql + " ORDER BY 1", params).fetchall()]
        if stations:
            missing = sorted(set(stations) - set(ids))
            if missing:
                raise NotFound("station", missing[0])
        if not ids:
            return []
    with (engine or duckdb_backend()).run(con, ["observation", "review_flag"]) as run:
        table = trends(
            run.ibis.table("observation"),
            stations=ids,
            parameters=codes,
            start=date(year_from, 1, 1) if year_from else None,
            end=date(year_to, 12, 31) if year_to else None,
            seasonal=seasonal,
            alpha=alpha,
            set_aside=None if raw else review_set_aside(run.ibis),
        )
    if store and not table.empty:
        require_role(principal)
        store_trends(con, table)
    return jsonable(table)
