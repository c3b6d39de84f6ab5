"""Load 12369 complaints from CSV, XLSX or Parquet into ``complaint``.

Promises (the loaders' promises of :mod:`ecohub.ingest.files`, for complaints):

- **Columns.** time and text are required; id (ticket number), address, lon, lat, channel,
  result and region_code are optional. Headers are Chinese or English (``data/columns.csv``);
  ``mapping`` (``--map COLUMN=ROLE``) overrides them. Other columns are ignored and reported.
- **Time.** Naive times are China Standard Time; the forms of :mod:`ecohub.ingest._sql` and
  those of hotline exports (``2026年11月22日 14时30分``, an Excel serial in an XLSX number cell;
  :mod:`.cells`), with full-width digits folded in the time, lon, lat and region-code cells.
  Times before 1973 or more than a day ahead are rejected.
- **Coordinates.** WGS84, or GCJ-02 with ``crs="gcj02"`` (converted by
  :mod:`ecohub.geo.gcj02`). A point outside China's box, or only one of lon/lat, is rejected.
- **Region code.** A given code must be a GB/T 2260 division (:mod:`ecohub.standards.divisions`);
  one that is not gives way to the county of the row's point, and a row without a point is
  rejected: a mistyped code must not take a complaint away from the district that owns it.
- **Bad rows** go to the reject file with row, column, value and reason; the good rows land.
- **Idempotent.** Upsert on ``complaint_id`` (the ticket number, or a hash of time, text and
  address); an unchanged row is not rewritten; a file already in ``load_log`` is not read again
  unless ``force``.
- Each stored complaint is classified (:mod:`.classify`) and geocoded (:mod:`.places`); after the
  commit the caller runs :func:`ecohub.complaints.analyse.analyse` (repeats, hot spots, sources).
"""

from __future__ import annotations

import csv
import time as _time
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import lru_cache
from importlib import resources
from pathlib import Path

import duckdb
import pandas as pd

from ecohub.complaints.cells import fold, time_cell
from ecohub.complaints.records import build_records
from ecohub.ingest import _sql as sql
from ecohub.ingest.checks import plausible_times
from ecohub.ingest.loadlog import start_load, store_and_record
from ecohub.ingest.params import norm
from ecohub.ingest.readers import Staged
from ecohub.ingest.rejects import collect_rejects, reject_target
from ecohub.ingest.report import LoadError, LoadReport, shorten
from ecohub.ingest.staging import NO_TEXT, STAGE, blank_filter, drop_temps, stage_file
from ecohub.standards.divisions import is_valid

__all__ = ["CRS", "MAX_TEXT", "ROLES", "load_complaints"]

ROLES = ("id", "time", "text", "address", "lon", "lat", "channel", "result", "region_code")
CRS = ("wgs84", "gcj02")
MAX_TEXT = 10_000  # characters of complaint text; our choice: a hotline record is far shorter

# China's coarse box, as geo.gcj02.in_china: a point outside is a swapped or foreign coordinate.
_BOX = "lon BETWEEN 72.004 AND 137.8347 AND lat BETWEEN 0.8293 AND 55.8271"


@lru_cache(maxsize=1)
def _aliases() -> dict[str, list[str]]:
    text = resources.files("ecohub.complaints.data").joinpath("columns.csv").read_text("utf-8")
    return {r["role"]: [norm(a) for a in r["aliases"].split("|")] for r in csv.DictReader(
        text.splitlines())}  # fmt: skip


def plan(staged: Staged, mapping: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    """Role → staged column, and the ignored headers; :class:`LoadError` without time or text."""
    by_header = {h: c for c, h in staged.headers.items()}
    roles: dict[str, str] = {}
    taken: set[str] = set()
    for header, target in mapping.items():
        col = by_header.get(header)
        if col is None:
            shown = ", ".join(shorten(h) for h in staged.headers.values())
            raise LoadError(f"--map {shorten(header)}: the file has no such column ({shown})")
        key = target.strip().lower()
        taken.add(col)
        if key in ("-", "ignore", "skip"):
            continue
        if key not in ROLES:
            raise LoadError(f"--map {shorten(header)}={shorten(target)}: not one of "
                            f"{', '.join(ROLES)} or '-'")  # fmt: skip
        roles[key] = col
    normalised = {c: norm(h) for c, h in staged.headers.items()}
    for role, aliases in _aliases().items():
        if role in roles:
            continue
        for alias in aliases:
            col = next((c for c, n in normalised.items() if n == alias and c not in taken), None)
            if col is not None:
                roles[role] = col
                taken.add(col)
                break
    for need in ("time", "text"):
        if need not in roles:
            raise LoadError(
                f"{staged.format} file: no {need} column found (looked for "
                f"{', '.join(_aliases()[need][:6])}); name it with --map COLUMN={need}"
            )
    ignored = [h for c, h in staged.headers.items() if c not in taken]
    return roles, ignored


def load_complaints(
    con: duckdb.DuckDBPyConnection,
    path: Path | str,
    *,
    mapping: Mapping[str, str] | None = None,
    crs: str = "wgs84",
    reject_path: Path | str | None = None,
    write_rejects: bool = True,
    sheet: str | None = None,
    force: bool = False,
) -> LoadReport:
    """Load one complaint file; the report counts new, changed, unchanged and rejected rows."""
    if crs not in CRS:
        raise LoadError(f"--crs: must be one of {', '.join(CRS)}, got {crs!r}")
    file, report = start_load(con, path, "complaints", force)
    if report.already_loaded:
        return report
    target = reject_target(file, reject_path, write_rejects)
    started = _time.perf_counter()
    staged = stage_file(con, file, sheet, None, report)
    try:
        roles, ignored = plan(staged, mapping or {})
        report.layout = "complaints"
        report.columns = {staged.headers[c]: role for role, c in roles.items()}
        report.ignored_columns = ignored
        _candidates(con, staged, roles)
        _check(con, staged, roles)
        good = con.execute(
            "SELECT _row, id, ts, text, address, lon, lat, channel, result, region_code "
            "FROM _ecohub_cp_checked WHERE reason IS NULL ORDER BY _row"
        ).df()
        good = _unplaceable(con, good, staged.headers.get(roles.get("region_code", ""), ""))
        report.rows_read = len(good) + _count(con, "SELECT count(DISTINCT row_no) FROM "
                                              "_ecohub_rejects")  # fmt: skip
        records, dupes = build_records(con, good, crs=crs, source_file=file.name)
        if dupes:
            con.executemany("INSERT INTO _ecohub_rejects VALUES (?, ?, ?, ?)",
                            [[r, staged.headers.get(roles.get("id", ""), "id"), v, why]
                             for r, v, why in dupes])  # fmt: skip
        collect_rejects(con, staged, report, target)
        store_and_record(con, report, file, lambda: _upsert(con, records, report))
    finally:
        drop_temps(con)
    report.seconds = _time.perf_counter() - started
    return report


def _unplaceable(con: duckdb.DuckDBPyConnection, good: pd.DataFrame, column: str) -> pd.DataFrame:
    """``good`` without the rows whose region code is no GB/T 2260 division and that have no
    point to place them by; those become rejects naming the column. (With a point, the code
    gives way to it: :func:`ecohub.complaints.places.locate`.)"""
    code = good["region_code"]
    bad = code.notna() & ~code.map(lambda c: not isinstance(c, str) or is_valid(c)).astype(bool)
    bad &= good["lon"].isna()
    if bad.any():
        why = "not a GB/T 2260 division, and no lon/lat to place the complaint by"
        con.executemany("INSERT INTO _ecohub_rejects VALUES (?, ?, ?, ?)",
                        [[int(r), column, c, why] for r, c in zip(good["_row"][bad], code[bad],
                                                                  strict=True)])  # fmt: skip
    return good[~bad].reset_index(drop=True)


def _count(con: duckdb.DuckDBPyConnection, query: str) -> int:
    row = con.execute(query).fetchone()
    return int(row[0]) if row else 0


def _candidates(con: duckdb.DuckDBPyConnection, staged: Staged, roles: dict[str, str]) -> None:
    def txt(role: str) -> str:
        return sql.text(roles[role]) if role in roles else NO_TEXT

    def num(role: str) -> str:
        c = roles.get(role)
        return sql.plain_number(fold(c, staged.types[c]), staged.types[c]) if c else \
            "CAST(NULL AS DOUBLE)"  # fmt: skip

    def code(role: str) -> str:
        c = roles.get(role)
        return sql.text(fold(c, staged.types[c])) if c else NO_TEXT

    # time, lon, lat and region code: full-width forms folded (.cells); the *_raw columns keep
    # the cell as written for the reject file.
    t = roles["time"]
    con.execute(
        f"""
        CREATE TEMP TABLE _ecohub_cp AS
        SELECT _row, {txt("id")} AS id, {time_cell(t, staged.types[t], staged.format)} AS ts,
               {sql.text(t)} AS time_raw, {txt("text")} AS text, {txt("address")} AS address,
               {txt("lon")} AS lon_raw, {num("lon")} AS lon, {txt("lat")} AS lat_raw,
               {num("lat")} AS lat, {txt("channel")} AS channel, {txt("result")} AS result,
               {code("region_code")} AS region_code
        FROM {STAGE} WHERE {blank_filter(staged)}
        """
    )


def _check(con: duckdb.DuckDBPyConnection, staged: Staged, roles: dict[str, str]) -> None:
    """Each candidate's first failing check becomes its reject (row, column, value, reason)."""
    lit = sql.lit

    def label(role: str) -> str:
        return lit(staged.headers[roles[role]]) if role in roles else lit(role)

    lo, hi = plausible_times()
    span = f"{lo:%Y-%m-%d} .. now + 1 day"
    checks = [
        ("text IS NULL", "'text is empty'", label("text"), "NULL"),
        (f"length(text) > {MAX_TEXT}", f"'text longer than {MAX_TEXT} characters'",
         label("text"), "text"),
        ("time_raw IS NULL", "'time is empty'", label("time"), "NULL"),
        ("ts IS NULL", "'time is not a date-time'", label("time"), "time_raw"),
        (f"ts NOT BETWEEN {lit(lo.isoformat())}::TIMESTAMPTZ AND "
         f"{lit(hi.isoformat())}::TIMESTAMPTZ", lit(f"time outside {span}"), label("time"),
         "time_raw"),
        ("lon_raw IS NOT NULL AND lon IS NULL", "'not a number'", label("lon"), "lon_raw"),
        ("lat_raw IS NOT NULL AND lat IS NULL", "'not a number'", label("lat"), "lat_raw"),
        ("(lon IS NULL) <> (lat IS NULL)", "'lon and lat must both be given or both be empty'",
         "CASE WHEN lon IS NULL THEN " + label("lon") + " ELSE " + label("lat") + " END",
         "COALESCE(lon_raw, lat_raw)"),
        (f"lon IS NOT NULL AND NOT ({_BOX})",
         "'point outside China (lon 72..138, lat 0.8..56); swapped lon and lat?'",
         label("lon"), "lon_raw || ', ' || lat_raw"),
        ("region_code IS NOT NULL AND NOT regexp_full_match(region_code, '[0-9]{6}')",
         "'not a six-digit GB/T 2260 code'", label("region_code"), "region_code"),
        ("length(id) > 64", "'id longer than 64 characters'", label("id"), "id"),
    ]  # fmt: skip

    def case(pick: int) -> str:
        return "CASE " + " ".join(f"WHEN {w[0]} THEN {w[pick]}" for w in checks) + " END"

    con.execute(
        f"CREATE TEMP TABLE _ecohub_cp_checked AS SELECT *, {case(1)} AS reason, "
        f"{case(2)} AS reason_col, {case(3)} AS reason_value FROM _ecohub_cp"
    )
    con.execute(
        "CREATE TEMP TABLE _ecohub_rejects AS SELECT _row AS row_no, reason_col AS col_name, "
        "reason_value AS value, reason FROM _ecohub_cp_checked WHERE reason IS NOT NULL"
    )


_COLUMNS = (
    "complaint_id", "received_at", "channel", "text", "address", "address_norm", "region_code",
    "region_from", "lon", "lat", "result", "category", "topic", "confidence", "matched",
    "source_file", "row_hash",
)  # fmt: skip


def _upsert(con: duckdb.DuckDBPyConnection, records: pd.DataFrame, report: LoadReport) -> None:
    """Insert new complaints, rewrite changed ones (by ``row_hash``), count each kind."""
    frame = records[list(_COLUMNS)]
    con.register("_ecohub_cp_new", frame)
    try:
        counts = con.execute(
            "SELECT count(*) FILTER (WHERE c.complaint_id IS NULL), "
            "count(*) FILTER (WHERE c.row_hash <> n.row_hash), "
            "count(*) FILTER (WHERE c.row_hash = n.row_hash) "
            "FROM _ecohub_cp_new n LEFT JOIN complaint c USING (complaint_id)"
        ).fetchone()
        assert counts is not None
        report.new, report.updated, report.unchanged = (int(x) for x in counts)
        cols = ", ".join(_COLUMNS)
        sets = ", ".join(f"{c} = excluded.{c}" for c in _COLUMNS if c != "complaint_id")
        con.execute(
            f"INSERT INTO complaint ({cols}, loaded_at) SELECT {cols}, ? FROM _ecohub_cp_new n "
            "WHERE NOT EXISTS (SELECT 1 FROM complaint c WHERE c.complaint_id = n.complaint_id "
            f"AND c.row_hash = n.row_hash) ON CONFLICT (complaint_id) DO UPDATE SET {sets}, "
            "loaded_at = excluded.loaded_at",
            [datetime.now(UTC)],
        )
    finally:
        con.unregister("_ecohub_cp_new")
