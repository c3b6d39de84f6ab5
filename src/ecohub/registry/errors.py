"""The registry's errors: a bad option, a list it cannot take as a whole, and what to tell the
user about the list.

A list with no name column, or a ``--map`` naming a field or column that does not exist, is the
file's (or the request's) fault, not the server's: :class:`ListError` carries the request member
at fault, so the API's problem details (``ecohub.queries.failures.classify``) and the CLI print
the loader's own message, whether the load ran in-process or as a job on a server.
"""

from __future__ import annotations

import pandas as pd

__all__ = ["ListError", "OptionError", "header_hint"]

# How many of a list's first rows we look at for a header row below the first (title rows
# above the headers are one or two in the exports we have seen; our own bound).
_HEADER_ROWS = 3


class OptionError(ValueError):
    """An option value the registry cannot work with; the message names the option."""


class ListError(ValueError):
    """A list the loader cannot take as a whole; nothing of it is loaded.

    ``field`` is the request member at fault: ``path`` (the file: a required column is
    missing), ``mapping`` (a ``--map`` entry names an unknown field or a column the file lacks)
    or ``rejects`` (the reject file cannot be written)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def header_hint(df: pd.DataFrame, headers: dict[str, tuple[str, ...]]) -> str:
    """Why the headers were not found, when the file shows it: a later row that holds known
    headers (a title row, often merged cells, above them) or empty header cells; else ``""``."""
    known = {alias for aliases in headers.values() for alias in aliases}
    for i in range(min(_HEADER_ROWS, len(df))):
        cells = [str(v).strip() for v in df.iloc[i].tolist()]
        found = [c for c in cells if c.lower() in known]
        if len(found) >= 2:
            return (
                f" (row {i + 2} holds headers: {', '.join(found[:4])}; the headers must be the "
                "first row - delete the title rows or merged cells above them)"
            )
    empty = [str(c) for c in df.columns if str(c).startswith("Unnamed:")]
    if empty:
        return f" (the first row has {len(empty)} empty header cells: merged cells?)"
    return ""
