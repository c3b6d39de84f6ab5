"""The query parameters of the items resources (OGC API - Features Part 1, 7.15): which are
known, and ``limit``, ``offset``, ``bbox`` and ``datetime`` read into numbers and SQL
predicates; each bad one is an :class:`OgcBadRequest` naming it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from typing import Any

from ecohub.geo.ogc import cql2
from ecohub.geo.ogc.collections import Collection
from ecohub.geo.ogc.errors import OgcBadRequest

DEFAULT_LIMIT = 10
MAX_LIMIT = 10_000
MAX_OFFSET = 10_000_000
#: Every query parameter the items resource understands (others: 400, Part 1 7.15.1).
ITEMS_PARAMS = frozenset(
    {"limit", "offset", "after", "bbox", "datetime", "filter", "filter-lang", "filter-crs", "f"}
)
ITEM_PARAMS = frozenset({"f"})
FORMATS = ("json", "geojson")
CRS84_URIS = (
    "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
    "https://www.opengis.net/def/crs/OGC/1.3/CRS84",
)


def check_params(params: Mapping[str, str], allowed: frozenset[str]) -> None:
    """400 for an unknown parameter or an unsupported ``f``."""
    for name in params:
        if name not in allowed:
            raise OgcBadRequest(
                name[:64], f"unknown parameter (known: {', '.join(sorted(allowed))})"
            )
    f = params.get("f")
    if f is not None and f not in FORMATS:
        raise OgcBadRequest("f", f"must be one of {', '.join(FORMATS)} (only GeoJSON is served)")


def read_int(params: Mapping[str, str], name: str, default: int, lo: int, hi: int) -> int:
    """The parameter as an integer >= ``lo``; a larger one than ``hi`` is ``hi`` (Part 1,
    7.15.3: a limit over the server's maximum is not an error; the most is served)."""
    raw = params.get(name)
    if raw is None:
        return default
    if not raw.isascii() or not raw.isdigit() or len(raw) > 1000:
        raise OgcBadRequest(name, f"must be an integer >= {lo}")
    value = int(raw)
    if value < lo:
        raise OgcBadRequest(name, f"must be an integer >= {lo}")
    return min(value, hi)


def parse_bbox(raw: str) -> tuple[float, float, float, float]:
    parts = raw.split(",")
    if len(parts) not in (4, 6):
        raise OgcBadRequest(
            "bbox", "needs 4 numbers (minlon,minlat,maxlon,maxlat) or 6 (with heights)"
        )
    try:
        nums = [float(p) for p in parts]
    except ValueError:
        raise OgcBadRequest("bbox", "values must be numbers") from None
    if not all(math.isfinite(v) for v in nums):
        raise OgcBadRequest("bbox", "values must be finite")
    x0, y0, x1, y1 = (
        (nums[0], nums[1], nums[2], nums[3])
        if len(nums) == 4
        else (nums[0], nums[1], nums[3], nums[4])
    )
    cql2.check_box((x0, y0, x1, y1), "bbox")
    return x0, y0, x1, y1


def bbox_sql(c: Collection, box: tuple[float, float, float, float]) -> tuple[str, list[Any]]:
    """Point features inside the box (edges included). A box with ``minlon > maxlon`` crosses
    the antimeridian (Part 1) and is two boxes. Boundaries: :mod:`ecohub.geo.ogc.boxes`."""
    if c.geometry != "point":
        raise ValueError(f"collection {c.id}: boundaries are cut by ecohub.geo.ogc.boxes")
    x0, y0, x1, y1 = box
    parts = [(x0, x1)] if x0 <= x1 else [(x0, 180.0), (-180.0, x1)]
    lon = " OR ".join("lon BETWEEN ? AND ?" for _ in parts)
    return f"({lon}) AND lat BETWEEN ? AND ?", [v for p in parts for v in p] + [y0, y1]


#: RFC 3339 section 5.6: full-date, or date-time with its zone (``T`` and ``Z`` in either case,
#: section 5.6 NOTE); nothing looser (no space for ``T``, no basic format).
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})?")


def _instant(raw: str, end: bool) -> datetime | None:
    if raw in ("", ".."):
        return None
    bad = OgcBadRequest("datetime", "not an RFC 3339 date-time, date or interval")
    try:
        if _DATE.fullmatch(raw):
            d = date.fromisoformat(raw)
            # A date is the whole day (UTC): its start, or the end of it.
            t = time.max if end else time.min
            return datetime.combine(d, t, tzinfo=UTC)
        if not _DATE_TIME.fullmatch(raw):
            raise bad
        value = datetime.fromisoformat(raw.upper())
    except ValueError:
        raise bad from None
    if value.tzinfo is None:
        raise OgcBadRequest("datetime", "a date-time needs a time zone (Z or +hh:mm)")
    return value


def datetime_sql(c: Collection, raw: str) -> tuple[str, list[Any]]:
    if c.temporal is None:
        raise OgcBadRequest("datetime", f"collection {c.id} has no temporal property")
    if len(raw) > 80:
        raise OgcBadRequest("datetime", "too long")
    if "/" in raw:
        a, _, b = raw.partition("/")
        lo, hi = _instant(a, False), _instant(b, True)
        if a in ("", "..") and b in ("", ".."):
            raise OgcBadRequest("datetime", "an interval needs at least one end")
    else:
        if raw in ("", ".."):
            raise OgcBadRequest("datetime", "empty")
        lo, hi = _instant(raw, False), _instant(raw, True)
    if lo is not None and hi is not None and lo > hi:
        raise OgcBadRequest("datetime", "the interval ends before it starts")
    start, stop = c.temporal
    # A feature's validity [start, stop] (NULL = open) intersects the interval [lo, hi].
    sql, params = [], []
    if hi is not None:
        sql.append(f"({start} IS NULL OR {start} <= ?)")
        params.append(hi)
    if lo is not None:
        sql.append(f"({stop} IS NULL OR {stop} >= ?)")
        params.append(lo)
    return " AND ".join(sql), params
