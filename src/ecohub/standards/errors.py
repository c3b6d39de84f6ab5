"""The one small error family of ``ecohub.standards``.

Every standards module (air, water, codes) raises only these, so callers catch
``StandardsError`` (or plain ``ValueError``, its base) and read ``.field`` to know
which input was wrong. Modelled on python-stdnum's exceptions: few, named, and each
carrying a human message.
"""

from __future__ import annotations

__all__ = ["InvalidCode", "InvalidValue", "StandardsError", "UnknownParameter"]


class StandardsError(ValueError):
    """Base of all standards errors; ``field`` names the offending input."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


class InvalidValue(StandardsError):
    """A value is not a number, is NaN/infinite, negative, or out of the standard's range."""


class UnknownParameter(StandardsError):
    """A pollutant, period, class, edition, kind or table name the standard does not define."""


class InvalidCode(StandardsError):
    """A code (credit code, source code, division code, …) fails its format or check digit."""
