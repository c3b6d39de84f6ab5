"""A whole air computation in time chunks, so memory stays bounded however long the record.

The hourly pivot (one row per station-hour from six rows of values) and its moving means are
the run's largest intermediate: 44 M rows for a national year (5,000 stations × 8,760 h),
more than a 6 GB budget holds beside the operators that fill it. Every station and city
result of a day depends only on that day and the 23 hours before it (the 24-h moving means),
so the record is cut into runs of whole calendar months, each built by
:func:`ecohub.analytics.air_tables.build` with ``start``/``end`` (which reads the day before
``start`` for the windows and reports nothing before it): the rows of a chunk are exactly
the whole run's rows of those days. Only the period statistics (months, years) need every
day; they are computed afterwards from the stored daily rows, as the incremental run does.

A record small enough (at most ``chunk_values`` values) is one chunk: ``build`` over
everything, as before chunking existed.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from ecohub.analytics import air
from ecohub.analytics.air_input import TIME_SET_ASIDE, InputReport, plausible_time
from ecohub.analytics.air_tables import AirTables, build

__all__ = ["CHUNK_VALUES", "Span", "chunk_builds", "chunks", "data_span", "merge_reports"]

# Values per chunk: ~30 M values make ~5 M station-hours (a month of a national year). Fewer,
# larger chunks cost less CPU at 26 M values (500 stations' year in 12 / 6 / 1 chunks: 58 / 44 /
# 30 CPU s), but not at the national year (6 chunks of 2 months: 386.7 CPU s, 12 of one month:
# 386.1), where the two-month chunks kept 1.1 of the 2 cores busy (345.8 s) against 1.8
# (216.6 s) (bench/aqi.py, docs/benchmarks.md).
CHUNK_VALUES = 30_000_000
_EPOCH = date(1970, 1, 1)


@dataclass(frozen=True)
class Span:
    """The hourly observations' extent: first and last CST day (None when there are none),
    the rows with a plausible time, and the rows set aside for an impossible one."""

    first: date | None
    last: date | None
    rows: int
    set_aside: int


def data_span(backend: Any) -> Span:
    """One scan of ``observation``'s times (hourly period only)."""
    obs = backend.table("observation")
    obs = obs.filter(obs.period == "1h")
    ok = plausible_time(obs.time)
    # Extremes of the raw column, turned into hours once (not per row: that was most of
    # the scan's time).
    agg = obs.aggregate(
        lo=obs.time.min(where=ok),
        hi=obs.time.max(where=ok),
        n=obs.count(where=ok),
        bad=obs.count(where=~ok),
    )
    agg = agg.select("n", "bad", lo=air.hour_index(agg.lo), hi=air.hour_index(agg.hi))
    r = agg.to_pyarrow().to_pylist()[0]
    if r["lo"] is None:
        return Span(None, None, 0, int(r["bad"] or 0))
    day = lambda h: _EPOCH + timedelta(days=int(h) // 24)  # noqa: E731
    return Span(day(r["lo"]), day(r["hi"]), int(r["n"] or 0), int(r["bad"] or 0))


def chunks(span: Span, chunk_values: int = CHUNK_VALUES) -> list[tuple[date, date] | None]:
    """Runs of whole calendar months covering ``span``, about ``chunk_values`` values each;
    ``[None]`` (one chunk, everything) when the record is that small or empty."""
    if span.first is None or span.last is None or span.rows <= chunk_values:
        return [None]
    months = []
    y, m = span.first.year, span.first.month
    while (y, m) <= (span.last.year, span.last.month):
        months.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    per = max(1, math.floor(len(months) * chunk_values / span.rows))
    out: list[tuple[date, date] | None] = []
    for i in range(0, len(months), per):
        (y0, m0), (y1, m1) = months[i], months[min(i + per, len(months)) - 1]
        end = date(y1 + 1, 1, 1) if m1 == 12 else date(y1, m1 + 1, 1)
        out.append((date(y0, m0, 1), end - timedelta(days=1)))
    return out


def chunk_builds(
    backend: Any,
    *,
    edition: int | str = "auto",
    reviewed: bool = True,
    chunk_values: int = CHUNK_VALUES,
) -> Iterator[AirTables]:
    """:func:`build` of each chunk in time order (each chunk's tables are built when the
    iterator reaches it: write them before taking the next). The first chunk's report also
    carries the rows set aside for an impossible time (no chunk reads them)."""
    span = data_span(backend)
    parts = chunks(span, chunk_values)
    if parts == [None]:
        yield build(backend, edition=edition, reviewed=reviewed)
        return
    for i, part in enumerate(parts):
        assert part is not None
        # The day before a chunk is the previous chunk's last day, checked there (and the
        # first chunk starts with the data): each chunk checks only its own months.
        tables = build(
            backend,
            edition=edition,
            reviewed=reviewed,
            start=part[0],
            end=part[1],
            check_day_before=False,
        )
        # Impossible times are counted once, by the span's scan (a chunk can hold a future
        # time of its last month too).
        report = tables.report
        report.rows -= report.set_aside.pop(TIME_SET_ASIDE, 0)
        if i == 0 and span.set_aside:
            report.set_aside[TIME_SET_ASIDE] = span.set_aside
            report.rows += span.set_aside
        yield tables
        # The caller has written this chunk: its cached tables go before the next is built
        # (not left to garbage collection, which may come chunks later).
        tables.release()


def merge_reports(reports: list[InputReport]) -> InputReport:
    """One report of several chunks' (their rows are disjoint)."""
    out = InputReport()
    for r in reports:
        out.rows += r.rows
        out.used += r.used
        for mine, theirs in (
            (out.invalid, r.invalid),
            (out.ignored_parameters, r.ignored_parameters),
            (out.set_aside, r.set_aside),
        ):
            for k, v in theirs.items():
                mine[k] = mine.get(k, 0) + v
    return out
