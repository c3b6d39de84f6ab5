"""Opaque keyset cursors and page-size caps shared by the listing services (the listing
itself, query plus cursor, is :mod:`ecohub.queries.listing`).

A cursor carries the key of the last row served and a fingerprint of the filters and the caller's
scope it was made for; it is only a position, never a permission: the next page runs the same
scoped query from that key, so a cursor cannot widen what a caller sees. A cursor made for other
filters (or another caller) is refused, naming the ``cursor`` field.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from ecohub.access.principal import Principal
from ecohub.queries import QueryError

DEFAULT_LIMIT = 1000
MAX_LIMIT = 10_000  # rows per JSON page
MAX_EXPORT_LIMIT = 200_000  # rows per CSV / Parquet page


def page_size(limit: int | None, *, export: bool = False) -> int:
    """``limit`` checked against the cap (``limit: ...`` on a bad value)."""
    cap = MAX_EXPORT_LIMIT if export else MAX_LIMIT
    if limit is None:
        return cap if export else DEFAULT_LIMIT
    if limit < 1 or limit > cap:
        raise QueryError("limit", f"must be between 1 and {cap}, got {limit}")
    return limit


def fingerprint(principal: Principal, filters: dict[str, Any]) -> str:
    """What a cursor is bound to: the caller's scope and the filters."""
    text = json.dumps(
        [principal.name, principal.role, principal.region, list(principal.sources), filters],
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def encode_cursor(key: list[Any], fp: str) -> str:
    raw = json.dumps({"k": key, "f": fp}, default=str, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None, fp: str, width: int) -> list[Any] | None:
    """The key in ``cursor`` (``None`` for the first page); :class:`QueryError` when it is not
    one of ours, was made for other filters, or has the wrong shape."""
    if cursor is None or cursor == "":
        return None
    try:
        pad = "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(cursor + pad))
        key, got = data["k"], data["f"]
    except (ValueError, TypeError, KeyError, UnicodeError) as exc:
        raise QueryError("cursor", "not a cursor this server issued") from exc
    if got != fp:
        raise QueryError("cursor", "was issued for other filters; start again without it")
    if not isinstance(key, list) or len(key) != width or not all(isinstance(k, str) for k in key):
        raise QueryError("cursor", "not a cursor this server issued")
    return key
