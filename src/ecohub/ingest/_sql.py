"""SQL expression builders for staged columns, chosen by the column's DuckDB type.

All parsing of cell text into times and numbers happens in DuckDB, vectorised; a value that does
not parse becomes NULL here and a reject row later, never an exception.
"""

from __future__ import annotations

# Cell texts that mean "no measurement" rather than a bad value: the spellings used by the UCI
# data (NA), pandas (NaN), and Chinese bulletins (—, /, 无数据).
MISSING_TOKENS = ("", "na", "n/a", "nan", "null", "none", "-", "--", "—", "/", "无数据", "缺测")

# Naive time strings DuckDB's own cast does not take (it takes ISO 8601 with '-' and ':').
TIME_FORMATS = (
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d %H",
    "%Y/%m/%d",
    "%Y-%m-%d %H",
    "%Y-%m-%dT%H",
    "%Y%m%d%H%M%S",
    "%Y%m%d%H%M",
    "%Y%m%d%H",
    "%Y%m%d",
    "%Y年%m月%d日 %H时",
    "%Y年%m月%d日%H时",
    "%Y年%m月%d日 %H:%M",
    "%Y年%m月%d日 %H:%M:%S",
    "%Y年%m月%d日",
)
DATE_FORMATS = ("%Y/%m/%d", "%Y%m%d", "%Y年%m月%d日")

# A string ending in a UTC offset (or Z) after a clock time carries its own zone.
_ZONED = r"\d:\d{2}(:\d{2}(\.\d+)?)?\s*(Z|z|[+-]\d{2}(:?\d{2})?)$"

# China Standard Time is a fixed UTC+8. Asia/Shanghai is not: it kept summer time 1986-1991,
# so naive times are shifted by a fixed 8 hours instead of being read in that zone.
CST_OFFSET = "INTERVAL 8 HOUR"

_TIMESTAMP_TYPES = ("TIMESTAMP", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS", "DATE")
_NUMERIC_PREFIXES = (
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
    "FLOAT",
    "DOUBLE",
    "DECIMAL",
    "REAL",
)


def lit(text: str | None) -> str:
    """A SQL string literal (or NULL)."""
    if text is None:
        return "NULL"
    return "'" + text.replace("'", "''") + "'"


def _list(items: tuple[str, ...]) -> str:
    return "[" + ", ".join(lit(i) for i in items) + "]"


def is_numeric(dtype: str) -> bool:
    return dtype.upper().startswith(_NUMERIC_PREFIXES)


def text(col: str) -> str:
    """Trimmed text of a cell, NULL when blank."""
    return f"NULLIF(trim(CAST({col} AS VARCHAR)), '')"


def cst(naive: str) -> str:
    """The instant of a naive TIMESTAMP expression read as China Standard Time."""
    return f"timezone('UTC', CAST({naive} AS TIMESTAMP) - {CST_OFFSET})"


def time_value(col: str, dtype: str) -> str:
    """TIMESTAMPTZ of a time cell; naive values are CST; NULL when unreadable."""
    upper = dtype.upper()
    if upper == "TIMESTAMP WITH TIME ZONE":
        return col
    if upper in _TIMESTAMP_TYPES:
        return cst(col)
    s = text(col)
    zoned = (
        f"COALESCE(TRY_CAST({s} AS TIMESTAMPTZ), "
        f"try_strptime({s}, ['%Y-%m-%dT%H:%M%z', '%Y-%m-%d %H:%M%z']))"
    )
    naive = f"COALESCE(TRY_CAST({s} AS TIMESTAMP), try_strptime({s}, {_list(TIME_FORMATS)}))"
    return f"(CASE WHEN regexp_matches({s}, '{_ZONED}') THEN {zoned} ELSE {cst(naive)} END)"


def date_value(col: str, dtype: str) -> str:
    """Naive TIMESTAMP (midnight) of a date cell, NULL when unreadable."""
    if dtype.upper() in _TIMESTAMP_TYPES:
        return f"CAST(CAST({col} AS DATE) AS TIMESTAMP)"
    s = text(col)
    return (
        f"COALESCE(CAST(TRY_CAST({s} AS DATE) AS TIMESTAMP), "
        f"try_strptime({s}, {_list(DATE_FORMATS)}))"
    )


def int_value(col: str, dtype: str) -> str:
    if is_numeric(dtype):
        return f"TRY_CAST({col} AS INTEGER)"
    return f"TRY_CAST(TRY_CAST({text(col)} AS DOUBLE) AS INTEGER)"


def number(col: str, dtype: str) -> str:
    """DOUBLE of a value cell, NULL when it is not a number."""
    if is_numeric(dtype):
        return f"CAST({col} AS DOUBLE)"
    return f"TRY_CAST({text(col)} AS DOUBLE)"


def missing(col: str, dtype: str) -> str:
    """TRUE when the cell means 'no measurement' (blank, NA, NaN, ...)."""
    if is_numeric(dtype):
        return f"({col} IS NULL OR isnan(CAST({col} AS DOUBLE)))"
    tokens = ", ".join(lit(t) for t in MISSING_TOKENS)
    return f"({col} IS NULL OR lower(trim(CAST({col} AS VARCHAR))) IN ({tokens}))"
