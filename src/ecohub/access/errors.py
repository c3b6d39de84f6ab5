"""The errors of the identity services."""

from __future__ import annotations

import math

#: The one message every failed authentication gives, whatever the reason.
GENERIC_FAILURE = "invalid credentials"


class InvalidInput(ValueError):
    """An argument of a user, key or audit command is wrong; ``field`` names it."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


class AuthFailed(Exception):
    """Authentication failed. ``str()`` is always :data:`GENERIC_FAILURE`.

    ``reason`` (unknown user, wrong password, disabled, locked, expired, revoked, reused, ...)
    is for the audit log only and never goes into a response: telling a caller *why* would let
    it find out which user names exist or which accounts are locked.
    """

    def __init__(self, reason: str, user: str | None = None) -> None:
        self.reason = reason
        self.user = user
        super().__init__(GENERIC_FAILURE)


class Throttled(Exception):
    """Too many failed log-ins from the caller's address (across all accounts): answered 429
    with ``Retry-After``, before any account is looked at, so it tells nothing about one.
    ``retry_after``: seconds until the address may try again."""

    def __init__(self, retry_after: float) -> None:
        self.retry_after = retry_after
        self.seconds = max(1, math.ceil(retry_after))  # Retry-After is whole seconds
        self.reason = f"throttled: too many failed log-ins from this address ({self.seconds} s)"
        super().__init__(self.reason)
