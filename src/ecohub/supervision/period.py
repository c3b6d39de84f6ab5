"""The times a supervision request names: ISO 8601 text to zone-aware datetimes.

A day (``2026-03-02``) or a time (``2026-03-02T08:00[:SS][+08:00]``); CST when no offset is
given; a bare day as the end of a period means the end of that day (so 9999-12-31 as an end is
refused, naming the field: its end is past what a datetime holds). The CLI and the API read
``--from``/``--to`` and ``from``/``to`` the same way through :func:`bound`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ecohub.cst import CST
from ecohub.queries import QueryError


def bound(field: str, text: str | None, *, end: bool = False) -> datetime | None:
    """``text`` as a zone-aware datetime (``None`` for ``None``); :class:`QueryError` naming
    ``field`` when it is neither a day nor a time."""
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise QueryError(
            field, f"expected a day (2026-03-02) or a time (2026-03-02T08:00), got {text!r}"
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=CST)
    if end and len(text) == 10:
        try:
            value += timedelta(days=1)
        except OverflowError:  # 9999-12-31: its end is past the last time Python can hold
            raise QueryError(
                field, f"{text} is past the last day accepted ({LAST_DAY}); leave it out for no end"
            ) from None
    try:
        value.astimezone(UTC)  # DuckDB keeps UTC: an offset must not carry it past year 9999
    except OverflowError:
        raise QueryError(field, f"{text} is outside the years 0001-9999 in UTC") from None
    return value


#: The last day a period may end on (its end, the next midnight, is still a datetime).
LAST_DAY = "9999-12-30"
