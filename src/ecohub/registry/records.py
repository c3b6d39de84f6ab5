"""Load one system's list of enterprises into ``source_record``.

Headers are recognised in Chinese or English, or named by ``column_map``
(:mod:`ecohub.registry.record_columns`). Rows that cannot be a record (no id, no
name, an id repeated with different content) go to a reject file with the reason; rows with
doubtful parts (bad credit code, a point outside China) are loaded with ``flags``. The same
file loaded twice changes nothing (``load_log``); a changed row updates its record and keeps
its source code.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from ecohub.ingest.report import shorten
from ecohub.queries.export import write_csv
from ecohub.registry import normalize, record_facts
from ecohub.registry.errors import ListError
from ecohub.registry.record_columns import (
    FIELD_CAPS,
    FIELDS,
    HEADERS,
    LATER_FIELDS,
    map_columns,
    read_table,
)

__all__ = [
    "FIELDS",
    "FIELD_CAPS",
    "HEADERS",
    "LoadResult",
    "default_reject_path",
    "load_frame",
    "load_records",
    "read_table",
    "without_notes",
]

# Longest cell text written to the reject file (the whole row is kept, each cell cut).
MAX_REJECT_CELL = 200


@dataclass
class LoadResult:
    system: str
    path: str
    rows_read: int
    rows_loaded: int
    rows_unchanged: int
    rows_rejected: int
    rows_flagged: int
    reject_path: str | None
    skipped: bool  # the same file was loaded before
    rows_withdrawn: int = 0  # a full list: records of the system it no longer holds

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _row_hash(df: pd.DataFrame) -> pd.Series:
    first = [f for f in FIELDS if f not in LATER_FIELDS]
    joined = df[first].fillna("\x00").astype(str).agg("\x1f".join, axis=1)
    for fld in LATER_FIELDS:
        given = df[fld].notna()
        joined[given] = joined[given] + f"\x1f{fld}=" + df.loc[given, fld].astype(str)
    return joined.map(lambda s: hashlib.sha1(s.encode("utf-8")).hexdigest())


def _too_long(df: pd.DataFrame) -> pd.Series:
    """Reason per row whose field is longer than its :data:`FIELD_CAPS` entry, else None."""
    reason = pd.Series(None, index=df.index, dtype=object)
    for fld, cap in FIELD_CAPS.items():
        length = df[fld].map(lambda v: len(v) if isinstance(v, str) else 0)
        over = reason.isna() & (length > cap)
        reason[over] = [f"{fld} longer than {cap} characters ({n})" for n in length[over]]
    return reason


def _rejects(df: pd.DataFrame, too_long: pd.Series) -> pd.Series:
    """Reason per row, or None. Rows are numbered from 2 (the header is line 1)."""
    reason = too_long.copy()
    reason[reason.isna() & df["record_id"].isna()] = "empty record_id"
    reason[reason.isna() & df["name_norm"].isna()] = "empty name"
    dup = df["record_id"].notna() & df.duplicated("record_id", keep=False)
    conflicting = dup & ~df.duplicated(["record_id", "row_hash"], keep=False)
    conflicting |= dup & df.groupby("record_id")["row_hash"].transform("nunique").gt(1)
    reason[reason.isna() & conflicting] = "duplicate record_id with different content"
    return reason


def load_frame(
    con: duckdb.DuckDBPyConnection,
    system: str,
    raw: pd.DataFrame,
    *,
    column_map: dict[str, str] | None = None,
    crs: str = "wgs84",
    file_sha256: str | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, int]]:
    """Normalise ``raw`` and upsert it; return (loaded rows, rejected rows, counts). A reject
    file's own ``line`` and ``reason`` columns are left out (:func:`without_notes`)."""
    raw = without_notes(raw)
    df = map_columns(raw, column_map)
    df["row_hash"] = _row_hash(df)
    too_long = _too_long(df)
    # Over-long rows are rejected; blank them so normalisation never works on the long text.
    df.loc[too_long.notna(), [f for f in FIELDS if f != "record_id"]] = None
    df = df.join(normalize.normalize_names(df["name"]))
    reasons = _rejects(df, too_long)
    rejected = _annotated(raw.loc[reasons.notna()].astype(object).map(_cut), reasons)
    # Identical repeats of one row are one record (a list exported twice), not a conflict.
    ok = df[reasons.isna()].drop_duplicates("record_id")
    ok = ok.join(normalize.normalize_uscc(ok["uscc"]))
    ok = ok.join(normalize.normalize_addresses(ok["address"]), rsuffix="_addr")
    ok = ok.join(normalize.normalize_coords(ok["lon"], ok["lat"], crs))
    ok = ok.join(record_facts.normalize_statuses(ok.pop("status")))
    ok = ok.join(record_facts.normalize_dates(ok.pop("record_date")))
    ok = _derive_region(ok)
    ok["flags"] = _flags(ok)
    ok["system"] = system
    ok["crs"] = crs
    ok["file_sha256"] = file_sha256
    counts = _upsert(con, ok)
    counts["rejected"] = len(rejected)
    counts["flagged"] = int(ok["flags"].notna().sum())
    return ok, rejected, counts


REJECT_NOTES = ("line", "reason")


def without_notes(raw: pd.DataFrame) -> pd.DataFrame:
    """``raw`` without a reject file's two leading columns (``line``, ``reason``): a reject
    file, corrected, loads again as it is."""
    if tuple(raw.columns[:2]) == REJECT_NOTES:
        return raw.iloc[:, 2:]
    return raw


def _annotated(rejected: pd.DataFrame, reasons: pd.Series) -> pd.DataFrame:
    # A list with its own "line" or "reason" column keeps it; ours are then named reject_*.
    taken = set(rejected.columns)
    line, reason = REJECT_NOTES
    prefix = "reject_"
    while line in taken or reason in taken:
        line, reason = (prefix + n for n in REJECT_NOTES)
        prefix = "_" + prefix
    rejected.insert(0, reason, reasons[reasons.notna()])
    rejected.insert(0, line, rejected.index + 2)
    return rejected


def _cut(value: Any) -> Any:
    return shorten(value, MAX_REJECT_CELL) if isinstance(value, str) else value


def _derive_region(ok: pd.DataFrame) -> pd.DataFrame:
    from ecohub.standards import divisions

    given = ok["region_code"].astype(object)
    distinct = {c for c in given.dropna().unique()}
    valid = {c: bool(divisions.is_valid(c)) for c in distinct}
    given_ok = given.map(lambda c: c if c is not None and valid.get(c) else None)
    ok["region_code_raw"] = given
    ok["bad_region"] = given.notna() & given_ok.isna()
    ok["region_code"] = given_ok.where(given_ok.notna(), ok["region_code_addr"])
    return ok


def _flags(ok: pd.DataFrame) -> pd.Series:
    parts = pd.DataFrame(index=ok.index)
    status = ok["uscc_status"]
    parts["u"] = status.where(status.isin(["bad_check", "bad_format", "bad_length"]), None)
    parts["u"] = parts["u"].map(lambda s: f"uscc_{s}" if s else None)
    parts["c"] = ok["coord_flag"]
    parts["r"] = ok["bad_region"].map(lambda b: "bad_region_code" if b else None)
    parts["s"] = ok["status_flag"]
    parts["d"] = ok["record_date_flag"]
    joined = parts.apply(lambda r: ",".join(v for v in r if isinstance(v, str)), axis=1)
    return joined.where(joined != "", None)


_COLUMNS = (
    "system",
    "record_id",
    "name",
    "uscc",
    "address",
    "region_code_raw",
    "legal_rep",
    "industry",
    "lon",
    "lat",
    "crs",
    "permit_no",
    "mn",
    "name_norm",
    "name_core",
    "uscc_norm",
    "uscc_body",
    "uscc_status",
    "region_code",
    "address_norm",
    "lon_wgs",
    "lat_wgs",
    "flags",
    "row_hash",
    "file_sha256",
    "status_raw",
    "status",
    "record_date",
)


def _upsert(con: duckdb.DuckDBPyConnection, ok: pd.DataFrame) -> dict[str, int]:
    frame = ok[list(_COLUMNS)].copy()
    frame["lon"] = pd.to_numeric(frame["lon"], errors="coerce")
    frame["lat"] = pd.to_numeric(frame["lat"], errors="coerce")
    con.register("_incoming", frame)
    try:
        unchanged = con.execute(
            "SELECT count(*) FROM _incoming i JOIN source_record r "
            "USING (system, record_id) WHERE r.row_hash = i.row_hash"
        ).fetchone()
        cols = ", ".join(_COLUMNS)
        updates = ", ".join(
            f"{c} = excluded.{c}" for c in _COLUMNS if c not in ("system", "record_id")
        )
        # A changed row keeps its source code but is marked for re-linking (linked_at NULL).
        con.execute(
            f"INSERT INTO source_record ({cols}, loaded_at) "
            f"SELECT {cols}, now() FROM _incoming "
            "WHERE NOT EXISTS (SELECT 1 FROM source_record r WHERE r.system = _incoming.system "
            "AND r.record_id = _incoming.record_id AND r.row_hash = _incoming.row_hash) "
            f"ON CONFLICT (system, record_id) DO UPDATE SET {updates}, "
            "loaded_at = excluded.loaded_at, linked_at = NULL"
        )
    finally:
        con.unregister("_incoming")
    n_unchanged = int(unchanged[0]) if unchanged else 0
    return {"loaded": len(frame) - n_unchanged, "unchanged": n_unchanged}


def default_reject_path(path: Path) -> Path:
    """The reject file of ``path`` when none is named: ``<stem>.rejects.csv`` beside it."""
    return path.with_name(path.stem + ".rejects.csv")


def load_records(
    con: duckdb.DuckDBPyConnection,
    system: str,
    path: Path,
    *,
    column_map: dict[str, str] | None = None,
    crs: str = "wgs84",
    reject_path: Path | None = None,
    full_list: bool = False,
    actor: str = "system",
) -> LoadResult:
    """Load ``path`` as ``system``'s list. Idempotent per file content and per row.
    ``full_list``: the file is the system's whole list; its records missing from it are marked
    withdrawn (:func:`ecohub.registry.lifecycle.mark_presence`)."""
    data = path.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    # A full list is its own kind of load: the same file loaded before as a plain list still
    # has its missing records to mark.
    kind = f"registry:{system}" + (":full" if full_list else "")
    seen = con.execute(
        "SELECT rows_ok, rows_rejected FROM load_log WHERE file_sha256 = ? AND kind = ?",
        [sha, kind],
    ).fetchone()
    if seen is not None:
        return LoadResult(system, str(path), 0, 0, int(seen[0] or 0), 0, 0, None, True)
    raw = read_table(path)
    out = None
    con.execute("BEGIN")
    try:
        ok, rejected, counts = load_frame(
            con, system, raw, column_map=column_map, crs=crs, file_sha256=sha
        )
        from ecohub.registry.lifecycle import mark_presence

        listed = map_columns(raw, column_map)["record_id"].dropna()
        withdrawn = mark_presence(
            con, system, listed, full_list=full_list, file=path.name, actor=actor
        )
        con.execute(
            "INSERT INTO load_log VALUES (?, ?, ?, ?, ?, ?)",
            [sha, kind, str(path), datetime.now().astimezone(), len(ok), len(rejected)],
        )
        from ecohub.catalog.produce import note

        detail = {"path": str(path), "rows_ok": len(ok), "rows_rejected": len(rejected)}
        note(con, "source_record", "load", [("file", sha, detail)], {"load_kind": kind})
        if len(rejected):
            # Written before COMMIT: a reject file that cannot be written stores nothing.
            out_path = reject_path or default_reject_path(path)
            try:
                write_csv(rejected, out_path)
            except OSError as exc:
                raise ListError(
                    "rejects",
                    f"--rejects {out_path}: cannot write: {exc.strerror or exc}; nothing loaded",
                ) from exc
            out = str(out_path)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return LoadResult(
        system,
        str(path),
        len(raw),
        counts["loaded"],
        counts["unchanged"],
        counts["rejected"],
        counts["flagged"],
        out,
        False,
        withdrawn,
    )
