"""Calendar fields of stored times in China Standard Time, the same on every engine.

Stored times are TIMESTAMPTZ (HJ 212 and the national networks report CST, UTC+8, a fixed
offset without daylight saving). Bucketing by day or month must use the CST calendar, but
the engines disagree on the session time zone (Ibis sets DuckDB's to UTC, our Spark session
uses Asia/Shanghai), so we never extract fields from a timestamp: the CST date is derived
from the epoch, which every engine computes the same way.
"""

from __future__ import annotations

from typing import Any

import ibis

__all__ = ["CST_OFFSET_S", "cst_date"]

CST_OFFSET_S = 8 * 3600
_DAY_S = 86400


def cst_date(time: Any) -> Any:
    """The calendar date in CST (UTC+8) of a timestamp column, as an Ibis date expression."""
    days = ((time.epoch_seconds() + CST_OFFSET_S) / _DAY_S).floor()
    return ibis.date(1970, 1, 1) + days.as_interval("D")
