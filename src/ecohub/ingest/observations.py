"""Load observations: stage the file, turn its records into candidate values, check, upsert.

Long files (station, parameter, time, value[, unit, period, flag]) give one candidate per
record; wide files (station, time, one column per parameter) one per record and parameter
column. The promises are those of :mod:`ecohub.ingest.files`.
"""

from __future__ import annotations

import time as _time
from collections.abc import Mapping
from pathlib import Path

import duckdb

from ecohub.ingest import _sql as sql
from ecohub.ingest.checks import check_observations, reject_conflicting_observations
from ecohub.ingest.loadlog import note_load, start_load, store_and_record
from ecohub.ingest.params import (
    ParamMatch,
    VocabularyError,
    normalise_period,
    parameter_hint,
    parameters,
    resolve_parameter,
    unit_factor,
)
from ecohub.ingest.plan import (
    OBSERVATION_ROLES,
    Plan,
    period_option,
    plan_columns,
    shown_aliases,
    unit_overrides,
    where,
)
from ecohub.ingest.readers import BadCell, ProgressFn, Staged
from ecohub.ingest.rejects import collect_rejects, reject_target
from ecohub.ingest.report import LoadError, LoadReport, shorten
from ecohub.ingest.staging import NO_TEXT, STAGE, blank_filter, drop_temps, stage_file
from ecohub.ingest.upsert import upsert_observations

__all__ = ["load_observations"]


def load_observations(
    con: duckdb.DuckDBPyConnection,
    path: Path | str,
    *,
    mapping: Mapping[str, str] | None = None,
    units: Mapping[str, str] | None = None,
    period: str = "1h",
    source: str | None = None,
    reject_path: Path | str | None = None,
    write_rejects: bool = True,
    sheet: str | None = None,
    force: bool = False,
    progress: ProgressFn | None = None,
    label: str | None = None,
) -> LoadReport:
    """Load observations from ``path`` into ``observation``; see :mod:`ecohub.ingest.files`.

    ``mapping`` maps a header to a role (``station``, ``time``, ``parameter``, ``value``, ...),
    to a parameter (``PM2.5``, ``a34004``) or to ``-`` (ignore). ``units`` maps a parameter (or a
    header) to the unit the file uses for it. ``period`` is the averaging period of values that
    do not state one. Rejects go to ``reject_path`` (default ``<path>.rejects.csv``).
    ``label`` names the file in the lineage and ``load_log`` instead of ``path`` (never opened).
    """
    file, report = start_load(con, path, "observations", force, label)
    if report.already_loaded:
        return report
    target = reject_target(file, reject_path, write_rejects)
    default_period = period_option(period)
    started = _time.perf_counter()
    staged = stage_file(con, file, sheet, progress, report)
    try:
        plan = plan_columns(staged, mapping or {}, OBSERVATION_ROLES, with_params=True)
        report.columns, report.ignored_columns = (
            plan.described(staged),
            plan.ignored_headers(staged),
        )
        overrides = unit_overrides(units or {}, staged)
        report.layout = "long" if plan.is_long else "wide"
        if progress is not None:
            progress("check", 0, None)
        labels = {"station": staged.headers[plan.roles["station"]]}
        labels["time"] = _observation_rows(con, staged, plan)
        if plan.is_long:
            labels.update(_long_candidates(con, staged, plan, overrides, default_period))
        else:
            _wide_candidates(con, staged, plan, overrides, default_period)
        check_observations(con, labels)
        if progress is not None:
            progress("store", 0, None)
        reject_conflicting_observations(con)
        # Rejects are written first: a reject file that cannot be written stores nothing.
        collect_rejects(con, staged, report, target)

        def write() -> None:
            upsert_observations(con, report, source or file.name)
            note_load(con, report, "observation")

        store_and_record(con, report, file, write)
        _review_after_load(con)
    finally:
        drop_temps(con)
    report.seconds = _time.perf_counter() - started
    return report


def _review_after_load(con: duckdb.DuckDBPyConnection) -> None:
    """Automatic data review of what this load wrote (after its commit; docs/review.md)."""
    from ecohub.supervision.review import run_after_load

    row = con.execute(
        "SELECT list(DISTINCT station_id), min(time), max(time) FROM _ecohub_changes"
    ).fetchone()
    if row is not None and row[1] is not None:
        run_after_load(con, row[0], row[1], row[2])


_HOUR_NOTE = "hour is not a whole number 0..23"


def _time_exprs(staged: Staged, plan: Plan) -> tuple[str, str, str, str]:
    """(instant, raw text, header label, note) of the observation time.

    ``note`` is SQL for the reason a present time gave no instant, when it is more precise
    than "not a date-time" (an hour outside 0..23), else NULL.
    """
    r, t = plan.roles, staged.types
    h = staged.headers
    if "time" in r:
        c = r["time"]
        return sql.time_value(c, t[c]), sql.text(c), h[c], NO_TEXT
    hcol = r.get("hour")
    note = (
        f"CASE WHEN {sql.text(hcol)} IS NOT NULL AND {sql.hour_value(hcol, t[hcol])} IS NULL "
        f"THEN {sql.lit(_HOUR_NOTE)} END"
        if hcol
        else NO_TEXT
    )
    if "date" in r and hcol:
        d = r["date"]
        naive = f"({sql.date_value(d, t[d])} + to_hours({sql.hour_value(hcol, t[hcol])}))"
        raw = f"concat_ws(' ', {sql.text(d)}, {sql.text(hcol)})"
        return sql.cst(naive), raw, f"{h[d]}+{h[hcol]}", note
    if all(k in r for k in ("year", "month", "day")):
        y, m, d = r["year"], r["month"], r["day"]
        hour = sql.hour_value(hcol, t[hcol]) if hcol else "0"
        naive = (
            f"try(make_timestamp({sql.int_value(y, t[y])}, {sql.int_value(m, t[m])}, "
            f"{sql.int_value(d, t[d])}, {hour}, 0, 0))"
        )
        cols = [c for c in (y, m, d, hcol) if c]
        parts = [sql.text(c) for c in cols]
        label = "+".join(h[c] for c in cols)
        return sql.cst(naive), f"concat_ws('-', {', '.join(parts)})", label, note
    if "date" in r:
        d = r["date"]
        return sql.cst(sql.date_value(d, t[d])), sql.text(d), h[d], NO_TEXT
    raise LoadError(
        f"{where(staged)}: no time column found (looked for "
        f"{', '.join(shown_aliases('time'))}, or date+hour, or year+month+day+hour); "
        "name it with --map COLUMN=time"
    )


def _observation_rows(con: duckdb.DuckDBPyConnection, staged: Staged, plan: Plan) -> str:
    """Stage one row per record with station text and parsed time; return the time label."""
    ts, raw, label, note = _time_exprs(staged, plan)
    if not plan.is_long and not plan.params:
        raise LoadError(
            f"{where(staged)}: no parameter columns found (columns: "
            f"{', '.join(shorten(h) for h in staged.headers.values())}); "
            "expected e.g. PM2.5, SO2, 二氧化硫, or a long layout with parameter and value "
            "columns; name them with --map COLUMN=PM2.5"
        )
    st = plan.roles["station"]
    if plan.is_long:
        roles = ("parameter", "value", "unit", "period", "flag")
        value_cols = [plan.roles[k] for k in roles if k in plan.roles]
    else:
        value_cols = [c for c, _ in plan.params]
    keep = "".join(f", {c}" for c in value_cols)
    con.execute(
        f"CREATE TEMP TABLE _ecohub_rows AS SELECT _row, {sql.text(st)} AS station_raw, "
        f"{raw} AS time_raw, {ts} AS ts, {note} AS time_note{keep} "
        f"FROM {STAGE} WHERE {blank_filter(staged)}"
    )
    return label


def _value_select(
    col: str, dtype: str, header: str, parameter: str, period: str, unit: str, factor: float
) -> str:
    # Typed (Parquet) numbers are turned into text only when rejected: casting 2.5 million
    # doubles to VARCHAR up front costs more than all the checks together.
    raw = NO_TEXT if sql.is_numeric(dtype) else f"CAST({col} AS VARCHAR)"
    return (
        f"SELECT _row, station_raw, time_raw, ts, time_note, {sql.lit(header)} AS col, "
        f"{sql.lit(parameter)} AS parameter, {sql.lit(period)} AS period, "
        f"CAST({factor!r} AS DOUBLE) AS factor, {sql.lit(unit)} AS unit, "
        f"{NO_TEXT} AS param_error, {NO_TEXT} AS period_error, {NO_TEXT} AS unit_error, "
        f"{NO_TEXT} AS param_raw, {NO_TEXT} AS unit_raw, {NO_TEXT} AS period_raw, "
        f"{raw} AS value_raw, {sql.number(col, dtype)} AS value_num, "
        f"{sql.below_detection(col, dtype)} AS below, "
        f"{sql.missing(col, dtype)} AS missing, {NO_TEXT} AS flag FROM _ecohub_rows"
    )


def _wide_candidates(
    con: duckdb.DuckDBPyConnection,
    staged: Staged,
    plan: Plan,
    overrides: Mapping[str, str],
    default_period: str,
) -> None:
    """One candidate per (record, parameter column): the wide table unpivoted by UNION ALL."""
    selects = []
    for col, match in plan.params:
        header = staged.headers[col]
        if not sql.is_scalar(staged.types[col]):
            # A Parquet list or struct column: one reject for the column, not one per row.
            staged.bad_cells.append(
                BadCell(0, header, staged.types[col], "not one value per cell: column not loaded")
            )
            continue
        declared = overrides.get(match.code) or match.unit or parameters()[match.code].unit
        try:
            factor = unit_factor(declared, match.code)
        except VocabularyError as exc:
            raise LoadError(f"column {header!r}: {exc}") from exc
        unit = parameters()[match.code].unit
        period = match.period or default_period
        selects.append(
            _value_select(col, staged.types[col], header, match.code, period, unit, factor)
        )
    if not selects:
        raise LoadError(
            f"{where(staged)}: no parameter column holds one value per cell "
            f"({', '.join(shorten(staged.headers[c]) for c, _ in plan.params)})"
        )
    con.execute("CREATE TEMP TABLE _ecohub_cand AS " + " UNION ALL ".join(selects))


def _long_candidates(
    con: duckdb.DuckDBPyConnection,
    staged: Staged,
    plan: Plan,
    overrides: Mapping[str, str],
    default_period: str,
) -> dict[str, str]:
    """One candidate per record; returns the header labels of parameter, unit, period."""
    r, t = plan.roles, staged.types
    pcol, vcol = r["parameter"], r["value"]
    ucol, percol, fcol = r.get("unit"), r.get("period"), r.get("flag")

    def key(c: str | None) -> str:
        return f"COALESCE({sql.text(c)}, '')" if c else "''"

    # Vocabulary lookups run once per distinct text in Python, then join back in SQL.
    triples = con.execute(
        f"SELECT DISTINCT {key(pcol)}, {key(ucol)}, {key(percol)} FROM _ecohub_rows"
    ).fetchall()
    pmap: dict[str, ParamMatch | None] = {}
    umap: dict[tuple[str, str], tuple[float | None, str | None]] = {}
    permap: dict[str, tuple[str | None, str | None]] = {}
    for p_raw, u_raw, per_raw in triples:
        match = resolve_parameter(p_raw) if p_raw else None
        pmap[p_raw] = match
        if per_raw not in permap:
            try:
                permap[per_raw] = (normalise_period(per_raw) if per_raw else default_period, None)
            except VocabularyError as exc:
                permap[per_raw] = (None, str(exc))
        if match is None:
            continue
        declared = overrides.get(match.code) or u_raw or match.unit or parameters()[match.code].unit
        try:
            umap[(p_raw, u_raw)] = (unit_factor(declared, match.code), None)
        except VocabularyError as exc:
            umap[(p_raw, u_raw)] = (None, str(exc))
    con.execute(
        "CREATE TEMP TABLE _ecohub_pmap (raw VARCHAR, code VARCHAR, period VARCHAR, error VARCHAR)"
    )
    # An unknown parameter's reason says what was meant or what is accepted.
    hint = {k: None if m else f"unknown parameter; {parameter_hint(k)}" for k, m in pmap.items()}
    rows = [[k, m and m.code, m and m.period, hint[k]] for k, m in pmap.items() if m or k]
    if rows:
        con.executemany("INSERT INTO _ecohub_pmap VALUES (?, ?, ?, ?)", rows)
    con.execute(
        "CREATE TEMP TABLE _ecohub_umap (p VARCHAR, u VARCHAR, factor DOUBLE, error VARCHAR)"
    )
    if umap:  # empty when no parameter of the file is known (executemany refuses [])
        con.executemany(
            "INSERT INTO _ecohub_umap VALUES (?, ?, ?, ?)",
            [[p, u, *v] for (p, u), v in umap.items()],
        )
    con.execute("CREATE TEMP TABLE _ecohub_permap (raw VARCHAR, period VARCHAR, error VARCHAR)")
    con.executemany(
        "INSERT INTO _ecohub_permap VALUES (?, ?, ?)", [[k, *v] for k, v in permap.items()]
    )
    con.execute("CREATE TEMP TABLE _ecohub_units (code VARCHAR, unit VARCHAR)")
    con.executemany(
        "INSERT INTO _ecohub_units VALUES (?, ?)", [[c, p.unit] for c, p in parameters().items()]
    )
    vtype, v = t[vcol], f"x.{vcol}"
    flag = sql.text(fcol) if fcol else NO_TEXT
    con.execute(
        f"""
        CREATE TEMP TABLE _ecohub_cand AS
        SELECT x._row, x.station_raw, x.time_raw, x.ts, x.time_note,
               {sql.lit(staged.headers[vcol])} AS col,
               pm.code AS parameter, COALESCE(pm.period, per.period) AS period,
               um.factor, un.unit,
               CASE WHEN pm.code IS NULL
                    THEN COALESCE(pm.error, 'unknown parameter') END AS param_error,
               per.error AS period_error, um.error AS unit_error,
               x.p AS param_raw, x.u AS unit_raw, x.per AS period_raw,
               CAST({v} AS VARCHAR) AS value_raw, {sql.number(v, vtype)} AS value_num,
               {sql.below_detection(v, vtype)} AS below,
               {sql.missing(v, vtype)} AS missing, x.flag_text AS flag
        FROM (SELECT *, {key(pcol)} AS p, {key(ucol)} AS u, {key(percol)} AS per,
                     {flag} AS flag_text
              FROM _ecohub_rows) x
        LEFT JOIN _ecohub_pmap pm ON pm.raw = x.p
        LEFT JOIN _ecohub_units un ON un.code = pm.code
        LEFT JOIN _ecohub_umap um ON um.p = x.p AND um.u = x.u
        LEFT JOIN _ecohub_permap per ON per.raw = x.per
        """
    )
    return {
        "parameter": staged.headers[pcol],
        "unit": staged.headers[ucol] if ucol else staged.headers[vcol],
        "period": staged.headers[percol] if percol else "",
    }
