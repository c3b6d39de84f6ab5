"""Exception handlers: every error is ``application/problem+json`` (RFC 9457).

Validation errors name the field and the reason (never echoing the input: a NaN or a megabyte
would not survive the trip); service errors map through :func:`ecohub.queries.failures.classify`;
anything unexpected is a 500 problem without a traceback (the traceback goes to the log).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ecohub.access.scope import AccessDenied
from ecohub.api.problems import problem
from ecohub.queries import NotFound, QueryError
from ecohub.queries.failures import classify

log = logging.getLogger(__name__)

#: The problem-details schema, for the OpenAPI document.
PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"field": {"type": "string"}, "reason": {"type": "string"}},
            },
        },
    },
}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for error statuses, all problem+json."""
    words = {
        400: "bad request",
        401: "not authenticated",
        403: "role may not do this",
        404: "not found (or outside your scope)",
        409: "conflict",
        413: "body too large",
        415: "body not sent as JSON",
        422: "invalid field",
        429: "rate limited",
        503: "store unavailable",
    }
    return {
        s: {
            "description": words.get(s, "error"),
            "content": {"application/problem+json": {"schema": PROBLEM_SCHEMA}},
        }
        for s in statuses
    }


def _loc(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("query", "path", "body", "header", "cookie", "form"):
        parts = parts[1:] or parts
    return ".".join(parts) or "request"


def _body_problem(request: Request, exc: RequestValidationError) -> JSONResponse | None:
    """A body that is not JSON (400, RFC 9457 names it ``body``), or not sent as JSON to a
    route that reads JSON (415), instead of a 422 naming a character position."""
    errs = exc.errors()
    bad = next((e for e in errs if e.get("type") == "json_invalid"), None)
    if bad is not None:
        loc = tuple(bad.get("loc", ()))
        at = f" at character {loc[1]}" if len(loc) > 1 and isinstance(loc[1], int) else ""
        ctx = bad.get("ctx") or {}
        why = str(ctx.get("error") or bad.get("msg") or "invalid")
        reason = f"not valid JSON ({why}{at})"
        return problem(400, detail=f"body: {reason}", errors=[{"field": "body", "reason": reason}])
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    whole = errs and all(tuple(e.get("loc", ())) == ("body",) for e in errs)
    # A form sent to a route that reads JSON too (a form route's own errors name its fields,
    # never the whole body).
    if whole and ctype and "json" not in ctype:
        reason = f"sent as {ctype}: send application/json"
        return problem(415, detail=f"body: {reason}", errors=[{"field": "body", "reason": reason}])
    return None


def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
    body = _body_problem(request, exc)
    if body is not None:
        return body
    errors = [
        {"field": _loc(tuple(e.get("loc", ()))), "reason": str(e.get("msg", "invalid"))}
        for e in exc.errors()[:20]
    ]
    first = errors[0] if errors else {"field": "request", "reason": "invalid"}
    return problem(422, detail=f"{first['field']}: {first['reason']}", errors=errors)


def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    detail = exc.detail if isinstance(exc.detail, str) else None
    return problem(exc.status_code, detail=detail, headers=getattr(exc, "headers", None))


def _service(request: Request, exc: Exception) -> JSONResponse:
    failure = classify(exc)
    if failure.status >= 500:
        log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
    body = failure.problem()
    # A 503 is passing (a store being opened, a lake partition being swapped): say when to retry.
    headers = {"Retry-After": "1"} if failure.status == 503 else None
    extra: dict[str, Any] = {"errors": body["errors"]} if "errors" in body else {}
    return problem(failure.status, detail=failure.detail, headers=headers, **extra)


def install_errors(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http)  # type: ignore[arg-type]
    for exc_type in (QueryError, NotFound, AccessDenied, ValueError, LookupError, Exception):
        app.add_exception_handler(exc_type, _service)


def document_problems(app: FastAPI) -> None:
    """Make the OpenAPI document say what every operation can answer: problem+json for 400
    (malformed body), 413 (body too large) and 422 (FastAPI would document its own JSON shape
    there; ours is problem+json), 415 where it takes a body (not sent as JSON), besides each
    router's own error statuses."""
    from fastapi.openapi.utils import get_openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        doc = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        extra = problem_responses(400, 413, 422)
        body_type = problem_responses(415)[415]
        for item in doc.get("paths", {}).values():
            for op in item.values():
                if not isinstance(op, dict) or "responses" not in op:
                    continue
                for status, entry in extra.items():
                    op["responses"][str(status)] = dict(entry)
                if "requestBody" in op:
                    op["responses"]["415"] = dict(body_type)
        app.openapi_schema = doc
        return doc

    app.openapi = openapi  # type: ignore[method-assign]
