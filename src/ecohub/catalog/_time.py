"""Times in answers: ISO 8601 in China Standard Time, whatever the cursor's session time zone
(a DuckDB cursor does not inherit the store connection's ``SET TimeZone``)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from ecohub.cst import CST


def iso(value: Any) -> Any:
    """A datetime as CST ISO text, a date as ISO text, anything else unchanged."""
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=CST)).astimezone(CST).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def json_default(value: Any) -> str:
    """``json.dumps(default=...)``: times as CST ISO text, anything else as ``str``."""
    out = iso(value)
    return out if isinstance(out, str) else str(value)


def cst_day(at: datetime | date | None) -> date:
    """The China calendar day of ``at`` (a naive time is CST); today when ``None``."""
    if at is None:
        return datetime.now(CST).date()
    if isinstance(at, datetime):
        return (at if at.tzinfo else at.replace(tzinfo=CST)).astimezone(CST).date()
    return at
