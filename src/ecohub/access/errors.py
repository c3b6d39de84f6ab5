"""The errors of the identity services."""

from __future__ import annotations

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
