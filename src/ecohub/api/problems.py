"""Error bodies as RFC 9457 problem details (``application/problem+json``).

Every error the API answers has the members ``type``, ``title``, ``status`` and ``detail``;
``detail`` names the field and the reason where there is one. ``type`` stays ``about:blank``
(RFC 9457 section 4.2.1: the title is then the HTTP status phrase) unless a caller has a more
specific problem type to name.
"""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi.responses import JSONResponse

MEDIA_TYPE = "application/problem+json"


def problem(
    status: int,
    title: str | None = None,
    detail: str | None = None,
    *,
    type: str = "about:blank",
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    """A problem-details response; ``title`` defaults to the status phrase; ``extra`` adds
    members (RFC 9457 section 3.2 extensions)."""
    body: dict[str, Any] = {
        "type": type,
        "title": title if title is not None else HTTPStatus(status).phrase,
        "status": status,
    }
    if detail is not None:
        body["detail"] = detail
    body.update(extra)
    return JSONResponse(
        body, status_code=status, media_type=MEDIA_TYPE, headers=dict(headers or {})
    )
