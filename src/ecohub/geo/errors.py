"""The geo package's errors: each names what is wrong (a feature, a field, a region) and why."""

from __future__ import annotations


class GeoError(Exception):
    """Bad geometry input or an unknown region. ``where`` names the feature, field or region."""

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"{where}: {reason}")
        self.where = where
        self.reason = reason


class UnknownRegion(GeoError):
    """No region with that code, key-region id or user-region name (HTTP 404 upstream)."""

    def __init__(self, ref: str) -> None:
        super().__init__(
            "region", f"no region {ref!r} (a GB/T 2260 code, key region or loaded region)"
        )
