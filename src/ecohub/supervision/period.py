"""The times a supervision request names: ISO 8601 text to zone-aware datetimes.

A day (``2026-03-02``) or a time (``2026-03-02T08:00[:SS][+08:00]``); CST when no offset is
given; a bare day as the end of a period means the end of that day. The CLI and the API read
``--from``/``--to`` and ``from``/``to`` the same way through :func:`bound`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

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
        value += timedelta(days=1)
    return value
