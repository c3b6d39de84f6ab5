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

# Naive times are clamped into this span before the 8-hour shift, which would overflow at
# DuckDB's extremes (year -290308, 'infinity'); a clamped time is far outside the plausible
# range of :mod:`ecohub.ingest.checks` and is rejected there, never stored.
_SAFE_NAIVE = ("TIMESTAMP '1000-01-01 00:00:00'", "TIMESTAMP '9000-01-01 00:00:00'")

# The number syntax of a text cell: optional sign, decimal digits with an optional fraction,
# optional exponent. DuckDB's own cast takes more ('1_000', 'inf', ' 0x10'): those are rejects.
# A trailing L (0.01L) marks a value below the detection limit, written as the limit
# (HJ/T 91-2002; the convention of Chinese monitoring reports).
NUMBER_SYNTAX = r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?"
# Infinity is read as a number so that its reject says "not a finite number".
_NUMBER_CELL = rf"^({NUMBER_SYNTAX}|[+-]?(?i:inf(inity)?))\s*[Ll]?$"

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
    """A scalar number type (``DOUBLE[]`` is a list, read as text and rejected)."""
    return dtype.upper().startswith(_NUMERIC_PREFIXES) and is_scalar(dtype)


def text(col: str) -> str:
    """Trimmed text of a cell, NULL when blank."""
    return f"NULLIF(trim(CAST({col} AS VARCHAR)), '')"


def clamp(naive: str) -> str:
    """A naive TIMESTAMP expression moved into years 1000..9000 (see ``_SAFE_NAIVE``)."""
    lo, hi = _SAFE_NAIVE
    n = f"CAST({naive} AS TIMESTAMP)"
    # least/greatest skip NULLs: the CASE keeps an unreadable time NULL.
    return f"(CASE WHEN {n} IS NOT NULL THEN least(greatest({n}, {lo}), {hi}) END)"


def cst(naive: str) -> str:
    """The instant of a naive TIMESTAMP expression read as China Standard Time.

    Times outside years 1000..9000 are clamped to those edges first (see ``_SAFE_NAIVE``).
    """
    return f"timezone('UTC', {clamp(naive)} - {CST_OFFSET})"


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
    # TRY_CAST: a DATE can lie beyond the TIMESTAMP range (year 5,877,641); clamped so that
    # adding an hour column cannot overflow either.
    if dtype.upper() in _TIMESTAMP_TYPES:
        return clamp(f"TRY_CAST(CAST({col} AS DATE) AS TIMESTAMP)")
    s = text(col)
    return clamp(
        f"COALESCE(TRY_CAST(TRY_CAST({s} AS DATE) AS TIMESTAMP), "
        f"try_strptime({s}, {_list(DATE_FORMATS)}))"
    )


def int_value(col: str, dtype: str) -> str:
    """INTEGER of a cell holding a whole number (``5``, ``5.0``), NULL otherwise."""
    d = plain_number(col, dtype)
    return f"(CASE WHEN {d} = floor({d}) THEN TRY_CAST({d} AS INTEGER) END)"


def hour_value(col: str, dtype: str) -> str:
    """INTEGER hour 0..23 of an hour cell, NULL when it is anything else (24, -5, 1.5)."""
    d = plain_number(col, dtype)
    return f"(CASE WHEN {d} BETWEEN 0 AND 23 AND {d} = floor({d}) THEN CAST({d} AS INTEGER) END)"


def plain_number(col: str, dtype: str) -> str:
    """DOUBLE of a cell in :data:`NUMBER_SYNTAX` (no detection-limit ``L``), else NULL."""
    if is_numeric(dtype):
        return f"CAST({col} AS DOUBLE)"
    s = text(col)
    return f"(CASE WHEN regexp_full_match({s}, '{NUMBER_SYNTAX}') THEN TRY_CAST({s} AS DOUBLE) END)"


def number(col: str, dtype: str) -> str:
    """DOUBLE of a value cell (``0.01L`` gives 0.01), NULL when it is not a number."""
    if is_numeric(dtype):
        return f"CAST({col} AS DOUBLE)"
    digits = f"NULLIF(regexp_extract({text(col)}, '{_NUMBER_CELL}', 1), '')"
    return f"TRY_CAST({digits} AS DOUBLE)"


def below_detection(col: str, dtype: str) -> str:
    """TRUE when a value cell is written as a detection limit with a trailing ``L``.

    Only meaningful where :func:`number` is not NULL (the syntax check is there).
    """
    if is_numeric(dtype):
        return "FALSE"
    return f"COALESCE(upper(right({text(col)}, 1)) = 'L', FALSE)"


def is_scalar(dtype: str) -> bool:
    """Whether a staged column holds one value per cell (not a LIST, STRUCT, MAP, ...)."""
    upper = dtype.upper()
    return not (upper.endswith("]") or upper.startswith(("STRUCT", "MAP", "UNION")))


def missing(col: str, dtype: str) -> str:
    """TRUE when the cell means 'no measurement' (blank, NA, NaN, ...)."""
    if is_numeric(dtype):
        return f"({col} IS NULL OR isnan(CAST({col} AS DOUBLE)))"
    tokens = ", ".join(lit(t) for t in MISSING_TOKENS)
    return f"({col} IS NULL OR lower(trim(CAST({col} AS VARCHAR))) IN ({tokens}))"
