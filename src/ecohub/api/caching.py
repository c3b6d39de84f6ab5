"""HTTP caching of open data: validators, conditional requests and ``Cache-Control``.

Open data (``/open/v1``) is the same for everyone and changes only when a producer writes it,
so its answers are cacheable by shared caches (RFC 9111 section 5.2.2.9 ``public``) for
:data:`MAX_AGE_S` seconds, and carry a strong ``ETag`` (RFC 9110 section 8.8.3) and, where a
change has a time, ``Last-Modified`` (section 8.8.2). A request whose ``If-None-Match``
(section 13.1.2) or, without one, ``If-Modified-Since`` (section 13.1.3) matches is answered
``304 Not Modified`` (section 15.4.5) with the same validators and ``Cache-Control`` and no
body.

Two kinds of validator:

- the data routes (stations, AQI, assessments, bulk files) take theirs from the data's version
  (:mod:`ecohub.catalog.versions`: the producers' runs, the publications, the air results'
  version) and the request, before reading anything, so an unchanged data set costs a few
  catalogue aggregates, not the read (a 200,000-row hourly page: see docs/api.md);
- the small answers (the open catalogue and its DCAT, the licence, the review method, a
  resource's JSON pages) hash their body: it is cheap and always exact.

Answers to requests that carry credentials are never stored by anyone (``private,
no-store``, :mod:`ecohub.api.http_basics`), whatever the route.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

from fastapi import Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from ecohub.catalog.versions import Version

#: How long a shared cache or a client may reuse an open answer without asking again
#: (seconds). Our choice: the newest data changes hourly at most (an hourly AQI), and a
#: client that revalidates after five minutes gets a 304 for the price of a few catalogue
#: aggregates when nothing changed.
MAX_AGE_S = 300
CACHE_CONTROL = f"public, max-age={MAX_AGE_S}"
#: RFC 9110 section 8.8.3: entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE.
_ETAG = re.compile(r'\s*(W/)?"([\x21\x23-\x7e\x80-\xff]*)"\s*(?:,|$)')
#: Started once per process: a new server (new code, perhaps new answers) never validates an
#: ``ETag`` the old one issued from a data version alone.
_PROCESS = datetime.now(UTC).isoformat()


@dataclass(frozen=True)
class Validators:
    """A strong entity tag (quoted) and the time of the last change, if known."""

    etag: str
    last_modified: datetime | None = None

    def headers(self) -> dict[str, str]:
        out = {"ETag": self.etag, "Cache-Control": CACHE_CONTROL}
        if self.last_modified is not None:
            out["Last-Modified"] = http_date(self.last_modified)
        return out


def http_date(at: datetime) -> str:
    """An IMF-fixdate (RFC 9110 section 5.6.7), whole seconds in GMT."""
    return format_datetime(at.astimezone(UTC).replace(microsecond=0), usegmt=True)


def strong_tag(*parts: bytes | str) -> str:
    """A strong entity tag made of ``parts`` (SHA-256, 128 bits, quoted)."""
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode() if isinstance(part, str) else part)
        h.update(b"\x1f")
    return f'"{h.hexdigest()[:32]}"'


def of_version(request: Request, version: Version | None, *extra: str) -> Validators | None:
    """Validators of an answer to ``request`` from its data's ``version`` (``None``: unknown,
    no validators) and anything else it depends on (``extra``: the licence settings, ...)."""
    if version is None:
        return None
    query = "&".join(f"{k}={v}" for k, v in sorted(request.query_params.multi_items()))
    tag = strong_tag(_PROCESS, version.tag, request.url.path, query, *extra)
    return Validators(tag, version.modified)


def _tags(field: str) -> list[str] | None:
    """The opaque tags of an ``If-None-Match`` list (weak or strong alike: section 13.1.2 uses
    the weak comparison); ``None`` when the field is not such a list (it is then ignored)."""
    out, pos = [], 0
    while pos < len(field):
        found = _ETAG.match(field, pos)
        if found is None:
            return None
        out.append(found.group(2))
        pos = found.end()
    return out


def not_modified(request: Request, v: Validators) -> bool:
    """Whether ``request`` (GET or HEAD; HEAD arrives as GET) may be answered 304 (RFC 9110
    section 13.2.2: ``If-None-Match`` first; only without it ``If-Modified-Since``, and only
    when it is one valid HTTP-date)."""
    if request.method not in ("GET", "HEAD"):
        return False
    inm = request.headers.get("if-none-match")
    if inm is not None:
        if inm.strip() == "*":
            return True  # the representation exists (section 13.1.2)
        tags = _tags(inm)
        return tags is not None and v.etag.strip('"') in tags
    ims = request.headers.getlist("if-modified-since")
    if len(ims) != 1 or v.last_modified is None:
        return False
    try:
        since = parsedate_to_datetime(ims[0])
    except (TypeError, ValueError, IndexError):
        return False  # not an HTTP-date: ignored (section 13.1.3)
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)  # "-0000": a time in UTC
    return v.last_modified.replace(microsecond=0) <= since


def not_modified_response(v: Validators, vary: str | None = None) -> Response:
    """``304 Not Modified`` with the validators and ``Cache-Control`` (and ``Vary``) the 200
    would carry (section 15.4.5), and no body."""
    headers = v.headers()
    if vary:
        headers["Vary"] = vary
    return Response(status_code=304, headers=headers)


def body_response(request: Request, body: Response) -> Response:
    """``body`` (a whole answer) with a strong ``ETag`` of its bytes and ``Cache-Control``, or
    a 304 when the request already holds it."""
    v = Validators(strong_tag(bytes(body.body)))
    if not_modified(request, v):
        return not_modified_response(v, body.headers.get("vary"))
    body.headers.update(v.headers())
    return body


def json_response(
    request: Request, content: Any, headers: dict[str, str] | None = None
) -> Response:
    """``content`` as FastAPI would answer it in JSON, with a strong ``ETag`` of those bytes
    (:func:`body_response`)."""
    return body_response(request, JSONResponse(jsonable_encoder(content), headers=headers))
