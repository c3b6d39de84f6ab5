"""SQL comparing two copies of one emission key: whether their values differ, and each copy's
values as text in the device's field names (for the evidence of a conflicting resend)."""

from __future__ import annotations

#: The value columns compared, as the device names them (HJ 212-2017 6.6 field names).
VALUE_COLUMNS = {"rtd": "Rtd", "avg": "Avg", "min": "Min", "max": "Max", "cou": "Cou",
                 "zs_rtd": "ZsRtd", "zs_avg": "ZsAvg", "flag": "Flag"}  # fmt: skip


def values_text(alias: str) -> str:
    """SQL: a row's values as ``Avg=60.0,Flag=N`` (the fields it has)."""
    parts = ", ".join(f"'{name}=' || {alias}.{col}" for col, name in VALUE_COLUMNS.items())
    return f"concat_ws(',', {parts})"


def differ_sql(a: str, b: str) -> str:
    """SQL: rows ``a`` and ``b`` (one key) hold different values (NULL equal to NULL)."""
    return " OR ".join(f"{a}.{col} IS DISTINCT FROM {b}.{col}" for col in VALUE_COLUMNS)
