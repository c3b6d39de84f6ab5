"""Which HTTP status and words a service error maps to (the API's handlers and failed jobs).

Known errors say what was wrong (their message names the field); anything else is an internal
error whose details stay in the server log, never in the answer.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from ecohub.access.scope import AccessDenied
from ecohub.queries import NotFound, QueryError


@dataclass(frozen=True)
class Failure:
    status: int
    title: str
    detail: str
    field: str | None = None

    def problem(self) -> dict[str, object]:
        """RFC 9457 problem details (``type`` about:blank: the title is the status's)."""
        body: dict[str, object] = {
            "type": "about:blank",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if self.field is not None:
            # The reason without the field's name in front (the detail keeps it): clients print
            # `field: reason` themselves.
            reason = self.detail.removeprefix(f"{self.field}: ")
            body["errors"] = [{"field": self.field, "reason": reason}]
        return body


def _field_of(message: str) -> str | None:
    head, sep, _ = message.partition(":")
    if sep and head and len(head) <= 40 and " " not in head.strip("-"):
        return head.strip().lstrip("-")
    return None


def classify(exc: BaseException) -> Failure:
    """The answer for ``exc`` (never its traceback)."""
    from ecohub.analytics.air_input import AirInputError
    from ecohub.analytics.export import ExportError
    from ecohub.ingest.files import LoadError
    from ecohub.ingest.params import VocabularyError
    from ecohub.ingest.readers import ReadError
    from ecohub.registry.errors import ListError, OptionError
    from ecohub.standards.errors import StandardsError
    from ecohub.store.db import StoreError

    if isinstance(exc, QueryError):
        return Failure(422, "Unprocessable Content", str(exc), exc.field)
    if isinstance(exc, NotFound):
        return Failure(404, "Not Found", str(exc))
    if isinstance(exc, AccessDenied):
        return Failure(403, "Forbidden", "your role may not do this")
    if isinstance(exc, AirInputError) and exc.field:
        return Failure(400, "Bad Request", str(exc), exc.field)
    if isinstance(exc, ListError):
        # A registry list the loader cannot take (no name column, a bad --map): its own words,
        # which name the column and the fix; the field is the request member at fault.
        return Failure(400, "Bad Request", str(exc), exc.field)
    known = (
        AirInputError,
        ExportError,
        LoadError,
        VocabularyError,
        ReadError,
        StandardsError,
        OptionError,  # the registry's options: the message names the option
    )
    if isinstance(exc, ReadError) or isinstance(exc.__cause__, ReadError):
        # The file as a whole (missing, empty, damaged): its message starts with the file's
        # name, which is not a field; the field is the request's `path`.
        return Failure(400, "Bad Request", str(exc), "path")
    if isinstance(exc, known):
        msg = str(exc)
        return Failure(400, "Bad Request", msg, _field_of(msg))
    if isinstance(exc, StoreError):
        return Failure(503, "Service Unavailable", str(exc))
    if isinstance(exc, duckdb.IOException):
        # Most often a lake partition swapped in by compaction or merging between the query's
        # listing of its files and its opening of one (store/lake_swap.py): running the same
        # request again reads the new files. The path stays in the server log.
        return Failure(
            503,
            "Service Unavailable",
            "a data file was replaced or could not be read while the request ran; try again",
        )
    if isinstance(exc, ValueError):
        # Service functions raise ValueError("field: reason") for a bad argument.
        msg = str(exc)
        field = _field_of(msg)
        if field is not None:
            return Failure(400, "Bad Request", msg, field)
    return Failure(500, "Internal Server Error", "the server could not complete the request")
