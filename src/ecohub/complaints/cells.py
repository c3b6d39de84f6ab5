"""SQL for the cells of hotline exports that the shared readers (:mod:`ecohub.ingest._sql`) do
not take as they come: full-width digits, times written with 时 and 分, and Excel serial dates.

Hotline and 12345 systems export what operators typed with a Chinese input method, so
``１１６．５１２``, ``１１０１０５`` and ``２０２６－１１－２２`` are common. The time, lon, lat and
region-code cells are folded as headers already are: the full-width forms U+FF01..U+FF5E and the
ideographic space become their ASCII counterparts — exactly what NFKC does to those characters
(done with ``translate`` in SQL, so the fold costs no Python per row). Text and address are left
as written (the address is folded where it is normalised; the text is the citizen's words).
"""

from __future__ import annotations

from ecohub.ingest import _sql as sql
from ecohub.standards.uscc import FULLWIDTH

__all__ = ["EXTRA_TIME_FORMATS", "fold", "time_cell"]

_FROM = "".join(chr(k) for k in FULLWIDTH)
_TO = "".join(chr(v) for v in FULLWIDTH.values())

#: Time forms of hotline exports beyond the shared ones (naive, so China Standard Time).
EXTRA_TIME_FORMATS = (
    "%Y年%m月%d日 %H时%M分%S秒",
    "%Y年%m月%d日%H时%M分%S秒",
    "%Y年%m月%d日 %H时%M分",
    "%Y年%m月%d日%H时%M分",
    "%Y年%m月%d日%H:%M:%S",
    "%Y年%m月%d日%H:%M",
)

# Excel's 1900 date system: serial 1 is 1900-01-01, but Excel counts a 29 February 1900 that
# never was, so from serial 61 (1900-03-01) on, day 0 is 1899-12-30. Smaller serials are dates in
# 1900, which the loader rejects as too early anyway; 2 958 465 is 9999-12-31.
_EXCEL_EPOCH = "TIMESTAMP '1899-12-30 00:00:00'"
_SERIAL = r"^[0-9]{1,7}(\.[0-9]+)?$"
_SERIAL_MIN, _SERIAL_MAX = 61, 2_958_466


def fold(col: str, dtype: str) -> str:
    """``col`` with full-width forms folded, when it is text (a typed column as it is)."""
    if sql.is_numeric(dtype) or dtype.upper() in ("TIMESTAMP WITH TIME ZONE", "TIMESTAMP", "DATE"):
        return col
    return f"translate(CAST({col} AS VARCHAR), {sql.lit(_FROM)}, {sql.lit(_TO)})"


def time_cell(col: str, dtype: str, file_format: str) -> str:
    """TIMESTAMPTZ of a time cell: the shared forms, the hotline forms above, and — in an XLSX
    file, whose number cells the reader stages as their digits — an Excel serial date-time."""
    folded = fold(col, dtype)
    if folded == col:
        return sql.time_value(col, dtype)
    s = sql.text(folded)
    extra = sql.cst(f"try_strptime({s}, [{', '.join(sql.lit(f) for f in EXTRA_TIME_FORMATS)}])")
    parts = [sql.time_value(folded, "VARCHAR"), extra]
    if file_format == "xlsx":
        # Whole seconds: a serial's fraction of a day is a binary float (14:30 is 0.6041666…).
        serial = f"TRY_CAST({s} AS DOUBLE)"
        naive = f"{_EXCEL_EPOCH} + to_seconds(CAST(round({serial} * 86400) AS BIGINT))"
        parts.append(
            f"(CASE WHEN regexp_matches({s}, '{_SERIAL}') AND {serial} >= {_SERIAL_MIN} AND "
            f"{serial} < {_SERIAL_MAX} THEN {sql.cst(naive)} END)"
        )
    return f"COALESCE({', '.join(parts)})"
