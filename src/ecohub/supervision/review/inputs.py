"""What a review request may ask for: the pollutant, the rule, the status and the CST days, each
checked, with :class:`ReviewError` naming the option at fault."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from ecohub.cst import CST
from ecohub.supervision.review.detect import RULE_SQL
from ecohub.supervision.review.rules import PARAMETERS

__all__ = ["STATUSES", "ReviewError", "check_rule", "day_bounds", "day_window", "parameter_code"]

STATUSES = ("flagged", "confirmed", "overruled")


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
        raise ReviewError(f"from {start} is after to {end}", "from")
    lo = datetime(start.year, start.month, start.day, tzinfo=CST) if start else None
    hi = (
        datetime(end.year, end.month, end.day, tzinfo=CST) + timedelta(days=1, microseconds=-1)
        if end
        else None
    )
    return lo, hi


def day_window(start: str | None, end: str | None) -> tuple[datetime | None, datetime | None]:
    """``YYYY-MM-DD`` CST days (text, as a request gives them) to ``[first, last instant]``;
    :class:`ReviewError` naming ``from`` / ``to`` for a bad day or an empty window."""
    days: list[date | None] = []
    for field, text in (("from", start), ("to", end)):
        try:
            days.append(date.fromisoformat(text) if text is not None else None)
        except ValueError:
            raise ReviewError(f"expected a day YYYY-MM-DD, got {text!r}", field) from None
    return day_bounds(days[0], days[1])
