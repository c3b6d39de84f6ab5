"""Load station lists and station observations from CSV, Parquet and XLSX files.

Promises:

- **Layouts.** Observations come *long* (station, parameter, time, value[, unit, period, flag])
  or *wide* (station, time, one column per parameter). Headers may be Chinese or English; the
  vocabularies are the CSV tables of :mod:`ecohub.ingest.params`, and ``mapping`` (``--map``)
  overrides them.
- **Stored form.** One ``observation`` row per value, parameter as its HJ 212 code, value in the
  parameter's unit (µg/m³ for air pollutants, mg/m³ for CO, mg/L for water) with the unit on
  the row. Values in another unit of the same kind (CO in µg/m³) are converted.
- **Time.** Naive timestamps are China Standard Time (fixed UTC+8); stored as TIMESTAMPTZ.
- **Missing values** (blank, NA, NaN, ...) are not stored: a row means a measurement.
- **Bad data** never stops a load: each bad row or value goes to the reject list with its row
  number, column and reason; the good ones land.
- **Idempotent.** The write is an upsert on (station_id, parameter, period, time); a value that
  is already stored unchanged is not rewritten. A file whose sha256 is in ``load_log`` is not
  read again (``already_loaded``) unless ``force``.
- **Vectorised.** Reading is chunked through Arrow, all parsing and checking is SQL.
"""

from __future__ import annotations

import time as _time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from ecohub.ingest import _sql as sql
from ecohub.ingest.params import (
    ParamMatch,
    VocabularyError,
    canonical_unit,
    norm,
    normalise_period,
    parameters,
    resolve_parameter,
    role_aliases,
    unit_factor,
)
from ecohub.ingest.readers import ProgressFn, ReadError, Staged, sha256_file, stage

__all__ = [
    "LoadError",
    "LoadReport",
    "ProgressFn",
    "Reject",
    "load_observations",
    "load_stations",
]

OBSERVATION_ROLES = (
    "station",
    "time",
    "date",
    "hour",
    "year",
    "month",
    "day",
    "parameter",
    "value",
    "unit",
    "period",
    "flag",
)
STATION_ROLES = (
    "station",
    "name",
    "name_en",
    "network",
    "region_code",
    "basin",
    "waterbody",
    "lon",
    "lat",
)
IGNORE_TARGETS = ("-", "ignore", "skip")
REJECT_PREVIEW = 20  # rejects kept in the report for display; the file has them all
_STAGE = "_ecohub_stage"
# The reject file's columns; staged as row_no/col_name because ROW and COLUMN are SQL keywords.
_REJECT_COLS = 'row_no AS "row", col_name AS "column", value, reason'


class LoadError(Exception):
    """The file cannot be loaded at all; the message names the file, column or option and why."""


@dataclass(frozen=True)
class Reject:
    """One rejected row or value: ``row`` as in :mod:`ecohub.ingest.readers`."""

    row: int
    column: str
    value: str | None
    reason: str


@dataclass
class LoadReport:
    """What a load did. ``new + updated`` rows were written; nothing else changed the store."""

    kind: str  # stations | observations
    path: str
    sha256: str
    format: str = ""
    layout: str = ""  # wide | long | stations
    already_loaded: bool = False
    loaded_at: datetime | None = None  # of the earlier load, when already_loaded
    rows_read: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped_null: int = 0  # missing measurements, not stored
    rejected: int = 0
    reject_path: Path | None = None
    columns: dict[str, str] = field(default_factory=dict)  # header -> how it was read
    ignored_columns: list[str] = field(default_factory=list)
    first_rejects: list[Reject] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def stored(self) -> int:
        return self.new + self.updated


# --------------------------------------------------------------------------------------------
# public entry points


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
) -> LoadReport:
    """Load observations from ``path`` into ``observation``; see the module docstring.

    ``mapping`` maps a header to a role (``station``, ``time``, ``parameter``, ``value``, ...),
    to a parameter (``PM2.5``, ``a34004``) or to ``-`` (ignore). ``units`` maps a parameter (or a
    header) to the unit the file uses for it. ``period`` is the averaging period of values that
    do not state one. Rejects go to ``reject_path`` (default ``<path>.rejects.csv``).
    """
    file, report = _start(con, path, "observations", force)
    if report.already_loaded:
        return report
    default_period = _period_option(period)
    started = _time.perf_counter()
    staged = _stage(con, file, sheet, progress, report)
    try:
        plan = _plan(staged, mapping or {}, OBSERVATION_ROLES, with_params=True)
        report.columns, report.ignored_columns = (
            plan.described(staged),
            plan.ignored_headers(staged),
        )
        overrides = _unit_overrides(units or {}, staged)
        report.layout = "long" if plan.is_long else "wide"
        if progress is not None:
            progress("check", 0, None)
        labels = {"station": staged.headers[plan.roles["station"]]}
        labels["time"] = _observation_rows(con, staged, plan)
        if plan.is_long:
            labels.update(_long_candidates(con, staged, plan, overrides, default_period))
        else:
            _wide_candidates(con, staged, plan, overrides, default_period)
        _check_observations(con, labels)
        if progress is not None:
            progress("store", 0, None)
        _store_observations(con, report, source or file.name)
        _finish(con, staged, report, file, reject_path, write_rejects)
    finally:
        _drop_temps(con)
    report.seconds = _time.perf_counter() - started
    return report


def load_stations(
    con: duckdb.DuckDBPyConnection,
    path: Path | str,
    *,
    mapping: Mapping[str, str] | None = None,
    network: str = "air",
    source: str | None = None,
    reject_path: Path | str | None = None,
    write_rejects: bool = True,
    sheet: str | None = None,
    force: bool = False,
    progress: ProgressFn | None = None,
) -> LoadReport:
    """Load a station list into ``station`` (upsert on ``station_id``).

    Recognised columns: id, name (zh), name_en, network, region_code (GB/T 2260), basin,
    waterbody, lon, lat (WGS 84); every other column is kept in ``attrs`` (JSON). A field the
    file does not carry keeps its stored value. ``network`` applies to rows without one.
    """
    file, report = _start(con, path, "stations", force)
    if report.already_loaded:
        return report
    started = _time.perf_counter()
    staged = _stage(con, file, sheet, progress, report)
    try:
        plan = _plan(staged, mapping or {}, STATION_ROLES, with_params=False)
        report.layout = "stations"
        report.columns = plan.described(staged)
        report.columns.update(
            {h: "attrs" for c, h in staged.headers.items() if c not in plan.roles.values()}
        )
        _station_rows(con, staged, plan, network, source or file.name)
        _store_stations(con, report)
        _finish(con, staged, report, file, reject_path, write_rejects)
    finally:
        _drop_temps(con)
    report.seconds = _time.perf_counter() - started
    return report


# --------------------------------------------------------------------------------------------
# shared steps


def _start(
    con: duckdb.DuckDBPyConnection, path: Path | str, kind: str, force: bool
) -> tuple[Path, LoadReport]:
    file = Path(path)
    if not file.exists():
        raise LoadError(f"{file}: no such file")
    if not file.is_file():
        raise LoadError(f"{file}: not a file")
    try:
        digest = sha256_file(file)
    except OSError as exc:
        raise LoadError(f"{file}: cannot read: {exc.strerror or exc}") from exc
    report = LoadReport(kind=kind, path=str(file), sha256=digest)
    if not force:
        row = con.execute(
            "SELECT loaded_at, rows_ok, rows_rejected FROM load_log "
            "WHERE file_sha256 = ? AND kind = ?",
            [digest, kind],
        ).fetchone()
        if row is not None:
            report.already_loaded = True
            report.loaded_at = row[0]
            report.unchanged = row[1] or 0
    return file, report


def _stage(
    con: duckdb.DuckDBPyConnection,
    file: Path,
    sheet: str | None,
    progress: ProgressFn | None,
    report: LoadReport,
) -> Staged:
    try:
        staged = stage(con, file, _STAGE, sheet=sheet, progress=progress)
    except ReadError as exc:
        raise LoadError(str(exc)) from exc
    report.format = staged.format
    return staged


def _period_option(period: str) -> str:
    try:
        return normalise_period(period)
    except VocabularyError as exc:
        raise LoadError(f"--period: {exc}") from exc


@dataclass
class _Plan:
    roles: dict[str, str] = field(default_factory=dict)  # role -> staged column
    params: list[tuple[str, ParamMatch]] = field(default_factory=list)  # wide value columns
    ignored: list[str] = field(default_factory=list)  # staged columns not loaded
    dropped: list[str] = field(default_factory=list)  # ... of those, ignored by --map COL=-

    @property
    def is_long(self) -> bool:
        return "parameter" in self.roles and "value" in self.roles

    def described(self, staged: Staged) -> dict[str, str]:
        out = {staged.headers[c]: role for role, c in self.roles.items()}
        for c, m in self.params:
            p = parameters()[m.code]
            out[staged.headers[c]] = f"{m.code} {p.name_en}" + (
                f" ({m.period})" if m.period else ""
            )
        return out

    def ignored_headers(self, staged: Staged) -> list[str]:
        return [staged.headers[c] for c in self.ignored]


def _plan(
    staged: Staged, mapping: Mapping[str, str], roles: tuple[str, ...], *, with_params: bool
) -> _Plan:
    """Decide what each column is: --map first, then the role aliases, then parameter aliases."""
    plan = _Plan()
    by_header = {h: c for c, h in staged.headers.items()}
    taken: set[str] = set()
    for header, target in mapping.items():
        col = by_header.get(header)
        if col is None:
            raise LoadError(
                f"--map {header}={target}: the file has no column {header!r} "
                f"(columns: {', '.join(staged.headers.values())})"
            )
        taken.add(col)
        key = target.strip()
        if key.lower() in IGNORE_TARGETS:
            plan.ignored.append(col)
            plan.dropped.append(col)
        elif key.lower() in roles:
            plan.roles[key.lower()] = col
        elif with_params and (match := resolve_parameter(key)) is not None:
            plan.params.append((col, match))
        else:
            allowed = ", ".join(roles) + (
                ", or a parameter (PM2.5, a34004, ...)" if with_params else ""
            )
            raise LoadError(f"--map {header}={target}: {target!r} is not one of {allowed}")
    normalised = {c: norm(h) for c, h in staged.headers.items()}
    for role in roles:
        if role in plan.roles:
            continue
        for alias in role_aliases(role):
            col = next((c for c, n in normalised.items() if n == alias and c not in taken), None)
            if col is not None:
                plan.roles[role] = col
                taken.add(col)
                break
    for col, header in staged.headers.items():
        if col in taken:
            continue
        match = resolve_parameter(header) if with_params and header else None
        if match is not None and not plan.is_long:
            plan.params.append((col, match))
        else:
            plan.ignored.append(col)
    if "station" not in plan.roles:
        raise LoadError(
            f"{_where(staged)}: no station column found (looked for "
            f"{', '.join(_shown_aliases('station'))}); name it with --map COLUMN=station"
        )
    return plan


def _shown_aliases(role: str) -> list[str]:
    return role_aliases(role)[:8]


def _where(staged: Staged) -> str:
    return f"{staged.format} file"


def _unit_overrides(units: Mapping[str, str], staged: Staged) -> dict[str, str]:
    """--unit keys (a parameter alias, or a header) to parameter code -> canonical unit."""
    out: dict[str, str] = {}
    headers = set(staged.headers.values())
    for key, unit_text in units.items():
        match = resolve_parameter(key)
        if match is None and key in headers:
            match = resolve_parameter(key.split("(")[0])
        if match is None:
            raise LoadError(f"--unit {key}={unit_text}: {key!r} is not a known parameter")
        unit = canonical_unit(unit_text)
        if unit is None:
            raise LoadError(f"--unit {key}={unit_text}: unknown unit {unit_text!r}")
        try:
            unit_factor(unit, match.code)
        except VocabularyError as exc:
            raise LoadError(f"--unit {key}={unit_text}: {exc}") from exc
        out[match.code] = unit
    return out


def _finish(
    con: duckdb.DuckDBPyConnection,
    staged: Staged,
    report: LoadReport,
    file: Path,
    reject_path: Path | str | None,
    write_rejects: bool,
) -> None:
    """Add unreadable lines to the rejects, write the reject file, record the load."""
    if staged.bad_lines:
        con.executemany(
            "INSERT INTO _ecohub_rejects VALUES (?, '', ?, ?)",
            [[b.row, b.text, b.reason] for b in staged.bad_lines],
        )
    report.rows_read += len(staged.bad_lines)
    count = con.execute("SELECT count(*) FROM _ecohub_rejects").fetchone()
    report.rejected = int(count[0]) if count else 0
    rows = con.execute(
        f"SELECT {_REJECT_COLS} FROM _ecohub_rejects ORDER BY row_no, col_name "
        f"LIMIT {REJECT_PREVIEW}"
    ).fetchall()
    report.first_rejects = [Reject(int(r[0]), r[1], r[2], r[3]) for r in rows]
    if report.rejected and write_rejects:
        target = Path(reject_path) if reject_path else file.with_name(file.name + ".rejects.csv")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            con.execute(
                f"COPY (SELECT {_REJECT_COLS} FROM _ecohub_rejects "
                f"ORDER BY row_no, col_name) TO {sql.lit(str(target))} (HEADER, DELIMITER ',')"
            )
        except (duckdb.IOException, OSError) as exc:
            raise LoadError(f"--reject {target}: cannot write: {exc}") from exc
        report.reject_path = target
    con.execute(
        "INSERT OR REPLACE INTO load_log VALUES (?, ?, ?, ?, ?, ?)",
        [
            report.sha256,
            report.kind,
            str(file),
            datetime.now(UTC),
            report.new + report.updated + report.unchanged,
            report.rejected,
        ],
    )


def _drop_temps(con: duckdb.DuckDBPyConnection) -> None:
    names = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE temporary AND table_name LIKE '_ecohub_%'"
    ).fetchall()
    for (name,) in names:
        con.execute(f"DROP TABLE IF EXISTS {name}")


# --------------------------------------------------------------------------------------------
# observations


def _blank_filter(staged: Staged) -> str:
    """SQL predicate that keeps rows with any non-blank cell (blank lines are skipped)."""
    if staged.format == "parquet" or not staged.headers:
        return "TRUE"
    return "(" + " OR ".join(f"{sql.text(c)} IS NOT NULL" for c in staged.headers) + ")"


def _time_exprs(staged: Staged, plan: _Plan) -> tuple[str, str, str]:
    """(instant, raw text, header label) of the observation time, from whichever columns exist."""
    r, t = plan.roles, staged.types
    h = staged.headers
    if "time" in r:
        c = r["time"]
        return sql.time_value(c, t[c]), sql.text(c), h[c]
    if "date" in r and "hour" in r:
        d, hr = r["date"], r["hour"]
        naive = f"({sql.date_value(d, t[d])} + to_hours({sql.int_value(hr, t[hr])}))"
        raw = f"concat_ws(' ', {sql.text(d)}, {sql.text(hr)})"
        return sql.cst(naive), raw, f"{h[d]}+{h[hr]}"
    if all(k in r for k in ("year", "month", "day")):
        y, m, d = r["year"], r["month"], r["day"]
        hcol = r.get("hour")
        hour = sql.int_value(hcol, t[hcol]) if hcol else "0"
        naive = (
            f"try(make_timestamp({sql.int_value(y, t[y])}, {sql.int_value(m, t[m])}, "
            f"{sql.int_value(d, t[d])}, {hour}, 0, 0))"
        )
        cols = [c for c in (y, m, d, hcol) if c]
        parts = [sql.text(c) for c in cols]
        label = "+".join(h[c] for c in cols)
        return sql.cst(naive), f"concat_ws('-', {', '.join(parts)})", label
    if "date" in r:
        d = r["date"]
        return sql.cst(sql.date_value(d, t[d])), sql.text(d), h[d]
    raise LoadError(
        f"{_where(staged)}: no time column found (looked for "
        f"{', '.join(_shown_aliases('time'))}, or date+hour, or year+month+day+hour); "
        "name it with --map COLUMN=time"
    )


def _observation_rows(con: duckdb.DuckDBPyConnection, staged: Staged, plan: _Plan) -> str:
    """Stage one row per record with station text and parsed time; return the time label."""
    ts, raw, label = _time_exprs(staged, plan)
    if not plan.is_long and not plan.params:
        raise LoadError(
            f"{_where(staged)}: no parameter columns found (columns: "
            f"{', '.join(staged.headers.values())}); expected e.g. PM2.5, SO2, 二氧化硫, or a "
            "long layout with parameter and value columns; name them with --map COLUMN=PM2.5"
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
        f"{raw} AS time_raw, {ts} AS ts{keep} FROM {_STAGE} WHERE {_blank_filter(staged)}"
    )
    return label


_NO_TEXT = "CAST(NULL AS VARCHAR)"
_VALUE_TEXT = "COALESCE(c.value_raw, CAST(c.value_num AS VARCHAR))"


def _value_select(
    col: str, dtype: str, header: str, parameter: str, period: str, unit: str, factor: float
) -> str:
    # Typed (Parquet) numbers are turned into text only when rejected: casting 2.5 million
    # doubles to VARCHAR up front costs more than all the checks together.
    raw = _NO_TEXT if sql.is_numeric(dtype) else f"CAST({col} AS VARCHAR)"
    return (
        f"SELECT _row, station_raw, time_raw, ts, {sql.lit(header)} AS col, "
        f"{sql.lit(parameter)} AS parameter, {sql.lit(period)} AS period, "
        f"CAST({factor!r} AS DOUBLE) AS factor, {sql.lit(unit)} AS unit, "
        f"{_NO_TEXT} AS param_error, {_NO_TEXT} AS period_error, {_NO_TEXT} AS unit_error, "
        f"{_NO_TEXT} AS param_raw, {_NO_TEXT} AS unit_raw, {_NO_TEXT} AS period_raw, "
        f"{raw} AS value_raw, {sql.number(col, dtype)} AS value_num, "
        f"{sql.missing(col, dtype)} AS missing, {_NO_TEXT} AS flag FROM _ecohub_rows"
    )


def _wide_candidates(
    con: duckdb.DuckDBPyConnection,
    staged: Staged,
    plan: _Plan,
    overrides: Mapping[str, str],
    default_period: str,
) -> None:
    """One candidate per (record, parameter column): the wide table unpivoted by UNION ALL."""
    selects = []
    for col, match in plan.params:
        header = staged.headers[col]
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
    con.execute("CREATE TEMP TABLE _ecohub_cand AS " + " UNION ALL ".join(selects))


def _long_candidates(
    con: duckdb.DuckDBPyConnection,
    staged: Staged,
    plan: _Plan,
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
    con.execute("CREATE TEMP TABLE _ecohub_pmap (raw VARCHAR, code VARCHAR, period VARCHAR)")
    con.executemany(
        "INSERT INTO _ecohub_pmap VALUES (?, ?, ?)",
        [[k, m.code, m.period] for k, m in pmap.items() if m],
    )
    con.execute(
        "CREATE TEMP TABLE _ecohub_umap (p VARCHAR, u VARCHAR, factor DOUBLE, error VARCHAR)"
    )
    con.executemany(
        "INSERT INTO _ecohub_umap VALUES (?, ?, ?, ?)", [[p, u, *v] for (p, u), v in umap.items()]
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
    flag = sql.text(fcol) if fcol else _NO_TEXT
    con.execute(
        f"""
        CREATE TEMP TABLE _ecohub_cand AS
        SELECT x._row, x.station_raw, x.time_raw, x.ts, {sql.lit(staged.headers[vcol])} AS col,
               pm.code AS parameter, COALESCE(pm.period, per.period) AS period,
               um.factor, un.unit,
               CASE WHEN pm.code IS NULL THEN 'unknown parameter' END AS param_error,
               per.error AS period_error, um.error AS unit_error,
               x.p AS param_raw, x.u AS unit_raw, x.per AS period_raw,
               CAST({v} AS VARCHAR) AS value_raw, {sql.number(v, vtype)} AS value_num,
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


def _station_keys(con: duckdb.DuckDBPyConnection) -> None:
    """Station id, or an unambiguous name / English name, to station_id."""
    con.execute(
        """
        CREATE TEMP TABLE _ecohub_station_keys AS
        WITH k AS (
            SELECT station_id AS key, station_id, 0 AS rank FROM station
            UNION ALL
            SELECT name, any_value(station_id), 1 FROM station
            WHERE name IS NOT NULL GROUP BY name HAVING count(*) = 1
            UNION ALL
            SELECT name_en, any_value(station_id), 2 FROM station
            WHERE name_en IS NOT NULL GROUP BY name_en HAVING count(*) = 1
        )
        SELECT key, arg_min(station_id, rank) AS station_id FROM k GROUP BY key
        """
    )


# Dividing by 1000 gives the correctly rounded decimal (700 µg/m³ -> 0.7 mg/m³) where multiplying
# by 0.001 would not (0.7000000000000001); factors above 1 are whole numbers and multiply exactly.
_CONVERTED = (
    "CASE WHEN c.factor >= 1 THEN c.value_num * c.factor ELSE c.value_num / round(1 / c.factor) END"
)


def _check_observations(con: duckdb.DuckDBPyConnection, labels: Mapping[str, str]) -> None:
    """Give every candidate its first failing check (or none) as reason, column and value."""
    _station_keys(con)
    lit = sql.lit
    p_label = lit(labels.get("parameter", ""))
    # The first failing check wins; its column and offending text go to the reject file.
    checks = [
        ("c.station_raw IS NULL", "'station is empty'", lit(labels["station"]), "NULL"),
        (
            "c.ts IS NULL",
            "CASE WHEN c.time_raw IS NULL THEN 'time is empty' ELSE 'time is not a date-time' END",
            lit(labels["time"]),
            "c.time_raw",
        ),
        ("s.station_id IS NULL", "'unknown station'", lit(labels["station"]), "c.station_raw"),
        ("c.param_error IS NOT NULL", "c.param_error", p_label, "c.param_raw"),
        (
            "c.period_error IS NOT NULL",
            "c.period_error",
            lit(labels.get("period", "")),
            "c.period_raw",
        ),
        ("c.missing", "NULL", "NULL", "NULL"),
        ("c.unit_error IS NOT NULL", "c.unit_error", lit(labels.get("unit", "")), "c.unit_raw"),
        ("c.value_num IS NULL", "'not a number'", "c.col", _VALUE_TEXT),
        ("NOT isfinite(c.value_num)", "'not a finite number'", "c.col", _VALUE_TEXT),
        ("c.value_num < 0", "'negative value'", "c.col", _VALUE_TEXT),
    ]

    def case(pick: int) -> str:
        return "CASE " + " ".join(f"WHEN {w[0]} THEN {w[pick]}" for w in checks) + " END"

    con.execute(
        f"""
        CREATE TEMP TABLE _ecohub_checked AS
        SELECT c._row, c.col, c.ts, c.parameter, c.period, c.unit, c.flag, c.missing,
               c.value_raw, c.value_num, {_CONVERTED} AS value, s.station_id,
               {case(1)} AS reason, {case(2)} AS reason_col, {case(3)} AS reason_value
        FROM _ecohub_cand c LEFT JOIN _ecohub_station_keys s ON s.key = c.station_raw
        """
    )
    # A record-level failure (station, time) repeats for each of its values: report it once.
    con.execute(
        """
        CREATE TEMP TABLE _ecohub_rejects AS
        SELECT DISTINCT _row AS row_no, reason_col AS col_name, reason_value AS value, reason
        FROM _ecohub_checked WHERE reason IS NOT NULL
        """
    )


def _store_observations(con: duckdb.DuckDBPyConnection, report: LoadReport, source: str) -> None:
    """Reject in-file conflicts; insert new keys and update changed ones in one transaction."""
    con.execute(
        """
        CREATE TEMP TABLE _ecohub_keys AS
        SELECT station_id, parameter, period, ts AS time,
               min(value) AS value, min(unit) AS unit, min(flag) AS flag, count(*) AS n,
               min(value) <> max(value) OR min(unit) <> max(unit)
                 OR min(COALESCE(flag, '')) <> max(COALESCE(flag, '')) AS conflict
        FROM _ecohub_checked WHERE reason IS NULL AND NOT missing
        GROUP BY ALL
        """
    )
    con.execute(
        """
        INSERT INTO _ecohub_rejects
        SELECT c._row, c.col, COALESCE(c.value_raw, CAST(c.value_num AS VARCHAR)),
               'duplicate key (station, parameter, period, time) with different values in rows '
               || string_agg(CAST(c._row AS VARCHAR), ', ' ORDER BY c._row)
                    OVER (PARTITION BY c.station_id, c.parameter, c.period, c.ts)
        FROM _ecohub_checked c
        JOIN _ecohub_keys k ON k.conflict AND k.station_id = c.station_id
             AND k.parameter = c.parameter AND k.period = c.period AND k.time = c.ts
        WHERE c.reason IS NULL AND NOT c.missing
        """
    )
    counts = con.execute(
        """
        SELECT (SELECT count(*) FROM _ecohub_rows),
               (SELECT count(*) FROM _ecohub_checked WHERE reason IS NULL AND missing),
               (SELECT count(*) FROM _ecohub_keys WHERE NOT conflict)
        """
    ).fetchone()
    assert counts is not None
    report.rows_read, report.skipped_null, good = (int(x) for x in counts)
    con.execute(
        """
        CREATE TEMP TABLE _ecohub_changes AS
        SELECT k.station_id, k.parameter, k.period, k.time, k.value, k.unit, k.flag,
               o.station_id IS NULL AS is_new
        FROM _ecohub_keys k
        LEFT JOIN observation o ON o.station_id = k.station_id AND o.parameter = k.parameter
             AND o.period = k.period AND o.time = k.time
        WHERE NOT k.conflict AND (o.station_id IS NULL OR o.value IS DISTINCT FROM k.value
              OR o.unit IS DISTINCT FROM k.unit OR o.flag IS DISTINCT FROM k.flag)
        """
    )
    con.execute("BEGIN")
    try:
        con.execute(
            "INSERT INTO observation (station_id, parameter, period, time, value, unit, flag, "
            "source) SELECT station_id, parameter, period, time, value, unit, flag, ? "
            "FROM _ecohub_changes WHERE is_new",
            [source],
        )
        changed = con.execute("SELECT count(*) FROM _ecohub_changes WHERE NOT is_new").fetchone()
        if changed and changed[0]:
            con.execute(
                "UPDATE observation o SET value = c.value, unit = c.unit, flag = c.flag, "
                "source = ? FROM _ecohub_changes c WHERE NOT c.is_new "
                "AND o.station_id = c.station_id AND o.parameter = c.parameter "
                "AND o.period = c.period AND o.time = c.time",
                [source],
            )
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    row = con.execute(
        "SELECT count(*) FILTER (is_new), count(*) FILTER (NOT is_new) FROM _ecohub_changes"
    ).fetchone()
    assert row is not None
    report.new, report.updated = int(row[0]), int(row[1])
    report.unchanged = good - report.new - report.updated


# --------------------------------------------------------------------------------------------
# stations

_NETWORK_WORDS = {
    "空气": "air",
    "大气": "air",
    "环境空气": "air",
    "地表水": "surface_water",
    "水质": "surface_water",
    "surface water": "surface_water",
    "地下水": "groundwater",
}


def _station_rows(
    con: duckdb.DuckDBPyConnection, staged: Staged, plan: _Plan, network: str, source: str
) -> None:
    r, h = plan.roles, staged.headers

    def txt(role: str) -> str:
        return sql.text(r[role]) if role in r else _NO_TEXT

    def num(role: str) -> str:
        return sql.number(r[role], staged.types[r[role]]) if role in r else "CAST(NULL AS DOUBLE)"

    extra = [c for c in h if c not in r.values() and c not in plan.dropped]
    attrs = (
        "json_object(" + ", ".join(f"{sql.lit(h[c])}, {sql.text(c)}" for c in extra) + ")"
        if extra
        else "CAST(NULL AS JSON)"
    )
    words = " ".join(f"WHEN {sql.lit(k)} THEN {sql.lit(v)}" for k, v in _NETWORK_WORDS.items())
    net = f"COALESCE(lower({txt('network')}), {sql.lit(network)})"
    con.execute(
        f"""
        CREATE TEMP TABLE _ecohub_st AS
        SELECT _row, {txt("station")} AS station_id, {txt("name")} AS name,
               {txt("name_en")} AS name_en, CASE {net} {words} ELSE {net} END AS network,
               {txt("region_code")} AS region_code, {txt("basin")} AS basin,
               {txt("waterbody")} AS waterbody, {txt("lon")} AS lon_raw, {num("lon")} AS lon,
               {txt("lat")} AS lat_raw, {num("lat")} AS lat, {attrs} AS attrs,
               {sql.lit(source)} AS source
        FROM {_STAGE} WHERE {_blank_filter(staged)}
        """
    )
    lit = sql.lit

    def label(role: str) -> str:
        return lit(h[r[role]]) if role in r else "''"

    checks = [
        ("station_id IS NULL", "'station is empty'", label("station"), "NULL"),
        ("lon_raw IS NOT NULL AND lon IS NULL", "'not a number'", label("lon"), "lon_raw"),
        ("lon NOT BETWEEN -180 AND 180", "'longitude outside -180..180'", label("lon"), "lon_raw"),
        ("lat_raw IS NOT NULL AND lat IS NULL", "'not a number'", label("lat"), "lat_raw"),
        ("lat NOT BETWEEN -90 AND 90", "'latitude outside -90..90'", label("lat"), "lat_raw"),
        (
            "region_code IS NOT NULL AND NOT regexp_full_match(region_code, '[0-9]{6}')",
            "'not a six-digit GB/T 2260 code'",
            label("region_code"),
            "region_code",
        ),
    ]

    def case(pick: int) -> str:
        return "CASE " + " ".join(f"WHEN {w[0]} THEN {w[pick]}" for w in checks) + " END"

    con.execute(
        f"CREATE TEMP TABLE _ecohub_st_checked AS SELECT *, {case(1)} AS reason, "
        f"{case(2)} AS reason_col, {case(3)} AS reason_value FROM _ecohub_st"
    )
    con.execute(
        "CREATE TEMP TABLE _ecohub_rejects AS SELECT _row AS row_no, reason_col AS col_name, "
        "reason_value AS value, reason FROM _ecohub_st_checked WHERE reason IS NOT NULL"
    )
    sid = label("station")
    con.execute(
        f"""
        INSERT INTO _ecohub_rejects
        SELECT _row, {sid}, station_id,
               'duplicate station with different fields in rows '
               || string_agg(CAST(_row AS VARCHAR), ', ' ORDER BY _row)
                    OVER (PARTITION BY station_id)
        FROM _ecohub_st_checked
        WHERE reason IS NULL AND station_id IN (
            SELECT station_id FROM _ecohub_st_checked WHERE reason IS NULL GROUP BY station_id
            HAVING count(DISTINCT (name, name_en, network, region_code, basin, waterbody, lon,
                                   lat, CAST(attrs AS VARCHAR))) > 1)
        """
    )


def _store_stations(con: duckdb.DuckDBPyConnection, report: LoadReport) -> None:
    con.execute(
        """
        CREATE TEMP TABLE _ecohub_st_good AS
        SELECT DISTINCT ON (station_id) * EXCLUDE (_row, reason, reason_col, reason_value,
                                                   lon_raw, lat_raw)
        FROM _ecohub_st_checked
        WHERE reason IS NULL AND station_id NOT IN (
            SELECT value FROM _ecohub_rejects WHERE value IS NOT NULL AND reason LIKE 'duplicate%')
        ORDER BY station_id
        """
    )
    # A field the file leaves blank keeps the stored value; attrs are merged key by key.
    merged = """
        SELECT g.station_id, COALESCE(g.name, s.name) AS name, COALESCE(g.name_en, s.name_en)
               AS name_en, COALESCE(g.network, s.network) AS network,
               COALESCE(g.region_code, s.region_code) AS region_code,
               COALESCE(g.basin, s.basin) AS basin, COALESCE(g.waterbody, s.waterbody)
               AS waterbody, COALESCE(g.lon, s.lon) AS lon, COALESCE(g.lat, s.lat) AS lat,
               CASE WHEN s.attrs IS NULL THEN g.attrs WHEN g.attrs IS NULL THEN s.attrs
                    ELSE json_merge_patch(s.attrs, g.attrs) END AS attrs,
               COALESCE(g.source, s.source) AS source, s.station_id IS NULL AS is_new,
               s.station_id IS NOT NULL AND (
                 s.name IS DISTINCT FROM COALESCE(g.name, s.name)
                 OR s.name_en IS DISTINCT FROM COALESCE(g.name_en, s.name_en)
                 OR s.network IS DISTINCT FROM COALESCE(g.network, s.network)
                 OR s.region_code IS DISTINCT FROM COALESCE(g.region_code, s.region_code)
                 OR s.basin IS DISTINCT FROM COALESCE(g.basin, s.basin)
                 OR s.waterbody IS DISTINCT FROM COALESCE(g.waterbody, s.waterbody)
                 OR s.lon IS DISTINCT FROM COALESCE(g.lon, s.lon)
                 OR s.lat IS DISTINCT FROM COALESCE(g.lat, s.lat)
                 OR CAST(s.attrs AS VARCHAR) IS DISTINCT FROM CAST(CASE WHEN s.attrs IS NULL
                    THEN g.attrs WHEN g.attrs IS NULL THEN s.attrs
                    ELSE json_merge_patch(s.attrs, g.attrs) END AS VARCHAR)) AS is_changed
        FROM _ecohub_st_good g LEFT JOIN station s USING (station_id)
    """
    con.execute(f"CREATE TEMP TABLE _ecohub_st_changes AS {merged}")
    cols = (
        "station_id, name, name_en, network, region_code, basin, waterbody, lon, lat, attrs, source"
    )
    con.execute("BEGIN")
    try:
        con.execute(
            f"INSERT INTO station ({cols}) SELECT {cols} FROM _ecohub_st_changes "
            "WHERE is_new OR is_changed ON CONFLICT (station_id) DO UPDATE SET "
            "name = EXCLUDED.name, name_en = EXCLUDED.name_en, network = EXCLUDED.network, "
            "region_code = EXCLUDED.region_code, basin = EXCLUDED.basin, "
            "waterbody = EXCLUDED.waterbody, lon = EXCLUDED.lon, lat = EXCLUDED.lat, "
            "attrs = EXCLUDED.attrs, source = EXCLUDED.source"
        )
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    row = con.execute(
        "SELECT (SELECT count(*) FROM _ecohub_st), count_if(is_new), count_if(is_changed), "
        "count_if(NOT is_new AND NOT is_changed) FROM _ecohub_st_changes"
    ).fetchone()
    assert row is not None
    report.rows_read, report.new, report.updated, report.unchanged = (int(x) for x in row)
