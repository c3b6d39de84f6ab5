"""Load one system's list of enterprises into ``source_record``.

Headers are recognised in Chinese or English (``HEADERS``); ``column_map`` overrides them and
may join several columns (``name=given_name+surname``). Rows that cannot be a record (no id, no
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
from ecohub.queries.cells import unescape_frame
from ecohub.queries.export import write_csv
from ecohub.registry import normalize, record_facts
from ecohub.registry.errors import ListError, header_hint

__all__ = [
    "FIELDS",
    "FIELD_CAPS",
    "HEADERS",
    "LoadResult",
    "default_reject_path",
    "load_frame",
    "load_records",
    "read_table",
]

FIELDS = (
    "record_id",
    "name",
    "uscc",
    "address",
    "region_code",
    "legal_rep",
    "industry",
    "lon",
    "lat",
    "permit_no",
    "mn",
    "status",
    "record_date",
)
# Fields that came after lists were first loaded: a row's hash includes them only when given,
# so a list loaded before them is still unchanged when it is loaded again.
LATER_FIELDS = ("status", "record_date")
# Longest text each field may hold (characters). Real names and addresses are far shorter; a
# longer cell is a broken export or an attack, and one 1-million-character name would make
# linkage (bigram sets, pairwise comparisons) quadratic. Such a row is rejected with a reason.
FIELD_CAPS: dict[str, int] = {
    "record_id": 100,
    "name": 200,
    "uscc": 40,
    "address": 500,
    "region_code": 20,
    "legal_rep": 100,
    "industry": 200,
    "lon": 40,
    "lat": 40,
    "permit_no": 100,
    "mn": 100,
    "status": 40,
    "record_date": 40,
}
# Longest cell text written to the reject file (the whole row is kept, each cell cut).
MAX_REJECT_CELL = 200
# Header spellings seen in departmental lists, compared after lower-casing and trimming.
HEADERS: dict[str, tuple[str, ...]] = {
    "record_id": (
        "record_id",
        "id",
        "编号",
        "记录编号",
        "流水号",
        "企业编号",
        "许可证流水号",
        "纳税人编号",
        "序号",
    ),
    "name": (
        "name",
        "company",
        "名称",
        "单位名称",
        "企业名称",
        "排污单位名称",
        "纳税人名称",
        "建设单位",
        "户名",
    ),
    "uscc": ("uscc", "credit_code", "统一社会信用代码", "社会信用代码", "信用代码", "纳税人识别号"),
    "address": ("address", "地址", "详细地址", "生产经营场所地址", "注册地址", "用电地址"),
    "region_code": ("region_code", "行政区划代码", "区划代码", "行政区代码"),
    "legal_rep": ("legal_rep", "法定代表人", "法人代表", "法人", "负责人"),
    "industry": ("industry", "行业", "行业类别", "行业代码", "所属行业"),
    "lon": ("lon", "lng", "longitude", "经度"),
    "lat": ("lat", "latitude", "纬度"),
    "permit_no": ("permit_no", "许可证编号", "排污许可证编号", "许可证号"),
    "mn": ("mn", "mn号", "数采仪mn", "监测点编码", "设备编码"),
    "status": ("status", "状态", "企业状态", "经营状态", "登记状态", "运行状态", "生产状态",
               "营业状态", "许可证状态", "排污单位状态"),
    "record_date": ("record_date", "date", "updated", "更新日期", "更新时间", "数据日期",
                    "填报日期", "登记日期", "变更日期", "发证日期", "日期"),
}  # fmt: skip


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


def read_table(path: Path) -> pd.DataFrame:
    """CSV (UTF-8 or GBK/GB 18030), XLSX or Parquet, every column as text (codes keep their
    leading zeros). Raises ValueError naming the file when it cannot be read or has no rows."""
    from ecohub.ingest.readers import ReadError, sniff_encoding

    suffix = path.suffix.lower()
    if suffix not in (".csv", ".txt", ".xlsx", ".xlsm", ".parquet", ".pq"):
        raise ValueError(f"{path}: unsupported file type {suffix!r} (csv, xlsx, parquet)")
    kind = {".txt": "CSV", ".xlsm": "XLSX", ".pq": "Parquet"}.get(suffix, suffix[1:].upper())
    try:
        if suffix in (".csv", ".txt"):
            # Chinese departments still export GBK; the observation loaders read it too.
            encoding = sniff_encoding(path)
            df = pd.read_csv(
                path,
                dtype=str,
                keep_default_na=False,
                encoding="utf-8-sig" if encoding == "utf-8" else encoding,
            )
            # '=x as the platform's CSV writer escapes =x (ecohub.queries.cells) reads as =x.
            df = unescape_frame(df)
        elif suffix in (".xlsx", ".xlsm"):
            df = pd.read_excel(path, dtype=str, keep_default_na=False)
        else:
            df = pd.read_parquet(path).astype("string").fillna("").astype(object)
    except ReadError as exc:
        raise ValueError(str(exc)) from exc
    except Exception as exc:
        # pandas, openpyxl, zipfile, zlib and pyarrow each raise their own types for a damaged
        # file; to the user they all mean the same thing.
        raise ValueError(
            f"{path.name}: not a readable {kind} file ({type(exc).__name__}: {shorten(str(exc))})"
        ) from exc
    if df.empty:
        raise ValueError(f"{path.name}: no data rows (only a header, or nothing)")
    df.columns = [str(c) for c in df.columns]
    return df


#: Fields every row needs (the system's own id of the record, and the unit's name).
REQUIRED = ("record_id", "name")


def _map_columns(df: pd.DataFrame, column_map: dict[str, str] | None) -> pd.DataFrame:
    unknown = set(column_map or {}) - set(FIELDS)
    if unknown:  # before the columns: `--map nam=公司` is a typo of the option, say so
        raise ListError(
            "mapping", f"--map: unknown field {sorted(unknown)[0]!r}; known: {', '.join(FIELDS)}"
        )
    lookup = {str(c).strip().lower(): c for c in df.columns}
    out = pd.DataFrame(index=df.index)
    for fld in FIELDS:
        spec = (column_map or {}).get(fld)
        if spec is not None:
            parts = [p.strip() for p in spec.split("+")]
            missing = [p for p in parts if p not in df.columns]
            if missing:
                raise ListError(
                    "mapping", f"--map {fld}={spec}: no column {missing[0]!r} in the file"
                )
            joined = df[parts[0]].astype(str)
            for p in parts[1:]:
                joined = joined.str.cat(df[p].astype(str), sep=" ")
            out[fld] = joined.str.strip()
            continue
        for alias in HEADERS[fld]:
            if alias in lookup:
                out[fld] = df[lookup[alias]]
                break
        else:
            if fld in REQUIRED:
                # A whole file without the column, not rows with it empty: said once, and
                # nothing is loaded (nor the file remembered as loaded).
                raise ListError(
                    "path",
                    f"no {fld} column: the file has none of the headers "
                    f"{', '.join(HEADERS[fld][:6])}, …; name yours with --map {fld}=COLUMN"
                    f"{header_hint(df, HEADERS)}; nothing loaded",
                )
            out[fld] = None
    out = out.astype(object).where(out.notna(), None)
    for fld in FIELDS:
        out[fld] = out[fld].map(lambda v: None if v is None or str(v).strip() == "" else str(v))
    return out


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
    """Normalise ``raw`` and upsert it; return (loaded rows, rejected rows, counts)."""
    df = _map_columns(raw, column_map)
    df["row_hash"] = _row_hash(df)
    too_long = _too_long(df)
    # Over-long rows are rejected; blank them so normalisation never works on the long text.
    df.loc[too_long.notna(), [f for f in FIELDS if f != "record_id"]] = None
    df = df.join(normalize.normalize_names(df["name"]))
    reasons = _rejects(df, too_long)
    rejected = raw.loc[reasons.notna()].astype(object).map(_cut)
    rejected.insert(0, "reason", reasons[reasons.notna()])
    rejected.insert(0, "line", rejected.index + 2)
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

        listed = _map_columns(raw, column_map)["record_id"].dropna()
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
