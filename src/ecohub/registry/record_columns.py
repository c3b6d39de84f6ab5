"""What a department's list looks like: the fields of a record, the headers each is known by
in Chinese or English, and reading a list file into those fields.

``column_map`` overrides the headers and may join several columns (``name=given_name+surname``).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ecohub.ingest.report import shorten
from ecohub.queries.cells import unescape_frame
from ecohub.registry.errors import ListError, header_hint

__all__ = [
    "FIELDS",
    "FIELD_CAPS",
    "HEADERS",
    "LATER_FIELDS",
    "REQUIRED",
    "map_columns",
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


def map_columns(df: pd.DataFrame, column_map: dict[str, str] | None) -> pd.DataFrame:
    """The list's columns as :data:`FIELDS` (text or None); :class:`ListError` naming
    ``mapping`` for a bad ``column_map``, ``path`` for a file without a required column."""
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
