"""Opaque keyset cursors and page-size caps shared by the listing services (the listing
itself, query plus cursor, is :mod:`ecohub.queries.listing`).

A cursor carries the key of the last row served and a fingerprint of the filters and the caller's
scope it was made for; it is only a position, never a permission: the next page runs the same
scoped query from that key, so a cursor cannot widen what a caller sees. A cursor made for other
filters (or another caller) is refused, naming the ``cursor`` field.

A cursor is ``<payload>.<tag>``: the payload is base64url JSON ``{"k": [key…], "f": fingerprint}``,
the tag the first 128 bits of HMAC-SHA256 of the payload under the server's signing key. The
fingerprint alone is an unkeyed hash that anyone can rebuild, so without the tag a client could
write any key into a cursor, and a key that does not read back as its column's type made DuckDB's
``CAST`` fail (a 500). Now a cursor the server did not issue is refused before its key is read,
and the key's values are checked against the listing's types all the same (a second line, should
the signing key ever leak). Every refusal is a :class:`QueryError` naming ``cursor``.

The signing key is the process's: :func:`use_signing_key` installs the one the server derives
from its data folder's secret (``ecohub.api.app``), so cursors stay valid across a restart of
the same server; until then (a service called outside the server) it is a random key of this
process. One process serves one data folder, so one key per process is enough.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

from ecohub.access.principal import Principal
from ecohub.queries import QueryError

DEFAULT_LIMIT = 1000
MAX_LIMIT = 10_000  # rows per JSON page
MAX_EXPORT_LIMIT = 200_000  # rows per CSV / Parquet page
#: Bytes of the HMAC kept in a cursor: 128 bits, as many as forging needs guesses to beat.
TAG_BYTES = 16
NOT_OURS = "not a cursor this server issued"

_signing_key = secrets.token_bytes(32)


def use_signing_key(key: bytes) -> None:
    """Sign and check every cursor of this process with ``key`` from now on (at least 32
    bytes); cursors signed with another key are refused."""
    global _signing_key
    if len(key) < 32:
        raise ValueError("key: a cursor signing key needs at least 32 bytes")
    _signing_key = key


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


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _tag(payload: str, key: bytes) -> str:
    return _b64(hmac.new(key, payload.encode(), hashlib.sha256).digest()[:TAG_BYTES])


def encode_cursor(key: list[Any], fp: str, *, signing_key: bytes | None = None) -> str:
    """A cursor after ``key`` for fingerprint ``fp``, signed with this process's key (or
    ``signing_key``)."""
    payload = _b64(json.dumps({"k": key, "f": fp}, default=str, separators=(",", ":")).encode())
    return f"{payload}.{_tag(payload, signing_key or _signing_key)}"


def decode_cursor(cursor: str | None, fp: str, types: Sequence[str]) -> list[str] | None:
    """The key in ``cursor`` (``None`` for the first page), one text per type in ``types``
    (DuckDB type names of the listing's key columns, :data:`KEY_TYPES`), each one that reads
    back as its type. :class:`QueryError` naming ``cursor`` when the server did not sign it,
    it was made for other filters, or its key has the wrong shape or types."""
    if cursor is None or cursor == "":
        return None
    payload, dot, tag = cursor.partition(".")
    if not dot or not hmac.compare_digest(tag.encode(), _tag(payload, _signing_key).encode()):
        raise QueryError("cursor", NOT_OURS)
    try:
        data = json.loads(_unb64(payload))
        key, got = data["k"], data["f"]
    except (ValueError, TypeError, KeyError, UnicodeError, binascii.Error) as exc:
        raise QueryError("cursor", NOT_OURS) from exc
    if got != fp:
        raise QueryError("cursor", "was issued for other filters; start again without it")
    if not isinstance(key, list) or len(key) != len(types):
        raise QueryError("cursor", NOT_OURS)
    if not all(isinstance(v, str) and reads_as(v, t) for v, t in zip(key, types, strict=True)):
        raise QueryError("cursor", NOT_OURS)
    return key


def _bigint(text: str) -> bool:
    # int() alone would take " 7", "7_0" and "٧" (Arabic-Indic seven); DuckDB takes none.
    return text.isascii() and str(int(text)) == text and -(2**63) <= int(text) < 2**63


def _instant(text: str) -> bool:
    return datetime.fromisoformat(text).isoformat() == text


#: How each key type the listings use is checked: the text must be exactly what the server
#: writes for a value of the type (``isoformat()``, ``str()``), so any text that passes is one
#: DuckDB's ``CAST`` reads. A :class:`~ecohub.queries.listing.Keyset` of another type is refused
#: when it is made.
KEY_TYPES: dict[str, Callable[[str], bool]] = {
    "VARCHAR": lambda text: True,
    "TIMESTAMPTZ": _instant,
    "TIMESTAMP WITH TIME ZONE": _instant,  # the same type, as information_schema names it
    "DATE": lambda text: date.fromisoformat(text).isoformat() == text,
    "BIGINT": _bigint,
    "DOUBLE": lambda text: str(float(text)) == text,
}


def reads_as(text: str, typ: str) -> bool:
    """Whether ``text`` is a value of DuckDB type ``typ`` (a :data:`KEY_TYPES` name) as the
    server writes it."""
    try:
        return KEY_TYPES[typ.upper()](text)
    except ValueError:
        return False
