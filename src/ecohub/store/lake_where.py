"""Partition predicates for reads of ``<table>_all`` (the hot rows and the lake's): the months
and the bucket a time range and a device or station imply, so a reader names the lake folders
it needs and the other files are never opened. Hot rows (partition NULL) always pass.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from ecohub.store.lake import bucket_of, month_of, spec

__all__ = ["months_sql", "partition_where"]


# A naive time means what the reading session's time zone makes of it (CST on the store's own
# connection, the system's on a plain cursor): its months are taken wide enough for any zone.
_ANY_ZONE = timedelta(hours=14)


def _earliest(t: datetime) -> datetime:
    return t if t.tzinfo is not None else t.replace(tzinfo=UTC) - _ANY_ZONE


def _latest(t: datetime) -> datetime:
    return t if t.tzinfo is not None else t.replace(tzinfo=UTC) + _ANY_ZONE


def months_sql(alias: str = "") -> str:
    """The predicate on ``<table>_all``'s ``month`` for a range of months, its two parameters
    the first and last ``YYYY-MM`` (:func:`partition_where` gives them); hot rows pass."""
    col = f"{alias}." if alias else ""
    return f"({col}month IS NULL OR {col}month BETWEEN ? AND ?)"


def partition_where(
    table: str,
    alias: str = "",
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    key: str | None = None,
) -> tuple[list[str], list[Any]]:
    """Predicates on ``<table>_all``'s ``month`` and ``bucket`` columns implied by a time range
    (``start`` inclusive, ``end`` exclusive) and one device or station id ``key``, with their
    parameters (a naive time: the months it can be in, in any zone): ANDed beside the time and
    key conditions themselves, they select the same rows, but the lake's files of other months
    and buckets are skipped by their folder names instead of being opened for their footers'
    statistics. Hot rows (partition NULL) always pass.
    """
    spec(table)  # an unknown table is an error here too
    col = f"{alias}." if alias else ""
    clauses: list[str] = []
    params: list[Any] = []
    if start is not None or end is not None:
        lo = month_of(_earliest(start)) if start is not None else "0000-00"
        hi = month_of(_latest(end) - timedelta(microseconds=1)) if end is not None else "9999-99"
        clauses.append(months_sql(alias))
        params += [lo, hi]
    if key is not None:
        clauses.append(f"({col}bucket IS NULL OR {col}bucket = ?)")
        params.append(bucket_of(key))
    return clauses, params
