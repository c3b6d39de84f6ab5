"""China Standard Time (UTC+8): the clock of HJ 212 packets and of the national networks' data."""

from __future__ import annotations

from datetime import timedelta, timezone

CST = timezone(timedelta(hours=8), "CST")
