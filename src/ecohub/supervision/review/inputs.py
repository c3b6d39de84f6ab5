"""What a review request may ask for: the pollutant, the rule, the status and the CST days, each
checked, with :class:`ReviewError` naming the option at fault."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from ecohub.cst import CST
from ecohub.supervision.review.detect import RULE_SQL, margin_hours
from ecohub.supervision.review.rules import PARAMETERS

__all__ = [
    "STATUSES",
    "ReviewError",
    "check_rule",
    "day_bounds",
    "day_window",
    "parameter_code",
    "run_days",
]

STATUSES = ("flagged", "confirmed", "overruled")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


class ReviewError(ValueError):
    """A bad request; ``field`` names the option at fault."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def parameter_code(text: str) -> str:
    """HJ 212 code of one of the six pollutants, given by code or name (``PM2.5``)."""
    if text in PARAMETERS:
        return text
    from ecohub.analytics.air_input import pollutant_code

    try:
        return pollutant_code(text)
    except Exception:  # the standards lookup raises its own error types for unknown names
        raise ReviewError(
            f"unknown pollutant {text!r}; one of {', '.join(PARAMETERS)} or a name such as PM2.5",
            "parameter",
        ) from None


def check_rule(rule: str | None) -> None:
    if rule is not None and rule not in RULE_SQL:
        raise ReviewError(f"unknown rule {rule!r}; one of {', '.join(RULE_SQL)}", "rule")


def day_bounds(start: date | None, end: date | None) -> tuple[datetime | None, datetime | None]:
    """CST days to ``[first instant, last instant]``."""
    if start is not None and end is not None and start > end:
        raise ReviewError(f"{start} is after to: {end}", "from")
    lo = datetime(start.year, start.month, start.day, tzinfo=CST) if start else None
    hi = (
        datetime(end.year, end.month, end.day, tzinfo=CST) + timedelta(days=1, microseconds=-1)
        if end
        else None
    )
    return lo, hi


def run_days() -> tuple[date, date]:
    """The first and last CST day a review run may name: it reads :func:`margin_hours` on each
    side of its window, and that widened window must still be a datetime, in CST and in UTC
    (0001-01-03 to 9999-12-29 with the bundled rules)."""
    margin = timedelta(hours=margin_hours())
    earliest = datetime.min + margin + timedelta(hours=8)  # naive CST; UTC is 8 h earlier
    first = earliest.date() + timedelta(days=0 if earliest.time() == datetime.min.time() else 1)
    last = (datetime.max - margin - timedelta(days=1)).date()  # its end + margin still fits
    return first, last


def day_window(start: str | None, end: str | None) -> tuple[datetime | None, datetime | None]:
    """``YYYY-MM-DD`` CST days (text, as a request gives them) to ``[first, last instant]`` of a
    review run; :class:`ReviewError` naming ``from`` / ``to`` for a bad day, a day outside
    :func:`run_days` or an empty window. Callers check a request with it before queueing it."""
    days: list[date | None] = []
    first, last = run_days()
    for field, text in (("from", start), ("to", end)):
        try:
            # Only YYYY-MM-DD: fromisoformat also reads 20160101 and 2016-W01-1.
            day = date.fromisoformat(text) if text is not None and _DAY.fullmatch(text) else None
            if text is not None and day is None:
                raise ValueError(text)
        except ValueError:
            raise ReviewError(f"expected a day YYYY-MM-DD, got {text!r}", field) from None
        if day is not None and not first <= day <= last:
            raise ReviewError(
                f"{day} is outside the days a review can read ({first} to {last}; it also "
                f"reads {margin_hours()} hours on either side); leave it out for no limit",
                field,
            )
        days.append(day)
    return day_bounds(days[0], days[1])
