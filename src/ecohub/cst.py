"""China Standard Time (UTC+8): the clock of HJ 212 packets and of the national networks' data."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

CST = timezone(timedelta(hours=8), "CST")


def today() -> date:
    """Today's date on the China calendar (what grant periods and daily data count in)."""
    return datetime.now(CST).date()
