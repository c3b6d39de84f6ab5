"""The one credential a request carries, read from its headers.

- A credential comes in ``Authorization: Bearer <credential>`` or in ``X-API-Key: <key>``, not
  in both: RFC 6750 section 2 says a client MUST NOT use more than one method to send a token.
  A request with both is refused with 400 ``invalid_request`` naming the two headers
  (:class:`TwoCredentials`), and audited as a refused credential, whatever either holds: an
  invalid key beside a valid token is never silently ignored, and a caller never learns which
  of two identities it was answered as.
- Optional whitespace (space, tab) around a header value is not part of it (RFC 9110 section
  5.5): a key pasted with a trailing blank works as it does with a leading one.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse

from ecohub.api.problems import problem

HEADERS = ("Authorization", "X-API-Key")
_OWS = " \t"  # RFC 9110 section 5.6.3: OWS = *( SP / HTAB )
_REASON = "send one credential per request, in Authorization or in X-API-Key, not both"


class TwoCredentials(Exception):
    """Both ``Authorization: Bearer`` and ``X-API-Key`` were sent: answered 400."""


def one_credential(bearer: str | None, api_key: str | None) -> str | None:
    """The credential of ``Authorization: Bearer`` or of ``X-API-Key`` without the whitespace
    around it; ``None`` when neither carries one. :class:`TwoCredentials` when both do."""
    token = bearer.strip(_OWS) if bearer else ""
    key = api_key.strip(_OWS) if api_key else ""
    if token and key:
        raise TwoCredentials()
    return token or key or None


def two_credentials(request: Request, exc: TwoCredentials) -> JSONResponse:
    """400 ``invalid_request`` (RFC 6750 section 3.1) naming both headers."""
    return problem(
        400,
        detail=f"{', '.join(HEADERS)}: {_REASON}",
        headers={"WWW-Authenticate": 'Bearer error="invalid_request"'},
        error="invalid_request",
        errors=[{"field": name, "reason": _REASON} for name in HEADERS],
    )


__all__ = ["HEADERS", "TwoCredentials", "one_credential", "two_credentials"]
