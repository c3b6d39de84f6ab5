"""What a station or observation load reports, and the error that stops one.

:class:`LoadReport` and :class:`Reject` are plain data, no I/O; the loader modules fill them in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

__all__ = ["MAX_SHOWN_CHARS", "LoadError", "LoadReport", "Reject", "shorten"]

# Longest cell text shown in a message, the reject file or the terminal: a 1-million-character
# cell must not print megabytes. Longer text is cut and says how long it was.
MAX_SHOWN_CHARS = 200


def shorten(text: str, limit: int = MAX_SHOWN_CHARS) -> str:
    """``text`` itself, or its first ``limit`` characters + ``… (N characters)``."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text)} characters)"


class LoadError(Exception):
    """The file cannot be loaded at all; the message names the file, column or option and why."""


@dataclass(frozen=True)
class Reject:
    """One rejected row or value: ``row`` as in :mod:`ecohub.ingest.readers`."""

    row: int
    column: str
    value: str | None
    reason: str


@dataclass
class LoadReport:
    """What a load did. ``new + updated`` rows were written; nothing else changed the store."""

    kind: str  # stations | observations
    path: str
    sha256: str
    # How the lineage and load_log name the file, when not by ``path``: the user's own path of
    # a copy the CLI made into a server's import folder (a label: never opened).
    label: str | None = None
    format: str = ""
    layout: str = ""  # wide | long | stations
    already_loaded: bool = False
    loaded_at: datetime | None = None  # of the earlier load, when already_loaded
    rows_read: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped_null: int = 0  # missing measurements, not stored
    rejected: int = 0
    reject_path: Path | None = None
    columns: dict[str, str] = field(default_factory=dict)  # header -> how it was read
    ignored_columns: list[str] = field(default_factory=list)
    first_rejects: list[Reject] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def stored(self) -> int:
        return self.new + self.updated
