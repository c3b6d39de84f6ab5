"""Errors of the OGC API - Features service: each names the parameter and the reason."""

from __future__ import annotations


class OgcBadRequest(ValueError):
    """A bad query parameter or filter (HTTP 400, as OGC API - Features Part 1 asks)."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason
