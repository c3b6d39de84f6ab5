"""HJ 212 number syntax: the one grammar for numeric CP values (``-Rtd``, ``-Avg``, ...).

HJ 212-2017 (and HJ/T 212-2005, HJ 212-2025 unchanged) gives numeric CP values the type
``Nx.y`` (e.g. ``N14.2`` for ``-Rtd``/``-Avg``/``-Min``/``-Max``): ASCII decimal digits with
at most one decimal point. The text has no exponent form, no digit grouping, no padding and no
non-ASCII digits, so none of those are accepted. What we add, each our reading or our choice:

- an optional sign: ``-`` because physical values go below zero (temperature ``a01001``,
  pressure differences); ``+`` is accepted for symmetry. A sign is not allowed before ``L``.
- ``L`` right after the digits means "below the detection limit" (the convention of Chinese
  monitoring reports and of many devices, e.g. ``0.01L``): the value returned is the limit and
  ``below_detection`` is True. Not in HJ 212's text; accepted because the value is real data.
- digits on both sides of a point (``1.5``; not ``1.`` or ``.5``): the text writes no other
  form, and a bare point is more often a truncated value than a deliberate one.
- at most 15 significant digits (``DBL_DIG``): every decimal with 15 significant digits or
  fewer survives the trip through a 64-bit float and back unchanged, so a stored value is the
  value sent. ``N14.2`` would allow 16; a 16-digit reading is far beyond any instrument's
  resolution, and storing it would silently change it, so it is rejected with that reason.
- a result outside the normal double range (overflow to infinity, or a non-zero value that
  would become zero or lose digits as a subnormal) is rejected, never stored as inf or 0.

Returns plain data; raises :class:`~ecohub.protocols.hj212.errors.MalformedNumber` (a
``ProtocolError``) naming the field and the reason.
"""

from __future__ import annotations

import re
import sys
from typing import NamedTuple

from ecohub.protocols.hj212.errors import MalformedNumber

__all__ = ["MAX_SIGNIFICANT_DIGITS", "Number", "parse_number"]

#: Our choice (DBL_DIG of IEEE 754 binary64): more significant digits than this would not
#: read back from a stored float unchanged.
MAX_SIGNIFICANT_DIGITS = 15
#: Our choice: how much of a bad value an error message quotes.
_QUOTE = 40

# Nx.y (2017 6.3.3 data types): [sign] digits [. digits] [L]. ASCII only: [0-9], not \d.
_NUMBER_RE = re.compile(r"([+-]?)([0-9]+)(?:\.([0-9]+))?(L?)")
_SMALLEST_NORMAL = sys.float_info.min


class Number(NamedTuple):
    """A parsed HJ 212 number: ``value`` and whether it was written ``<limit>L``."""

    value: float
    below_detection: bool


def parse_number(text: str, field: str | None = None) -> Number:
    """Read ``text`` as an HJ 212 number; ``field`` (e.g. ``"a34004-Rtd"``) names it in errors.

    ``"35.2"`` -> ``Number(35.2, False)``; ``"0.01L"`` -> ``Number(0.01, True)``. Anything
    outside the syntax above raises :class:`MalformedNumber` with ``field`` set.
    """
    name = field or "value"
    if not isinstance(text, str):
        raise MalformedNumber(f"{name}: expected text, got {type(text).__name__}", field=field)
    match = _NUMBER_RE.fullmatch(text)
    if match is None:
        raise MalformedNumber(f"{name}: not a number in HJ 212 syntax: {_quote(text)}", field=field)
    sign, whole, frac, low = match.groups()
    if low and sign:
        raise MalformedNumber(
            f"{name}: a detection limit ({_quote(text)}) cannot carry a sign", field=field
        )
    frac = frac or ""
    significant = (whole + frac).lstrip("0").rstrip("0")
    if len(significant) > MAX_SIGNIFICANT_DIGITS:
        raise MalformedNumber(
            f"{name}: {len(significant)} significant digits; at most {MAX_SIGNIFICANT_DIGITS} "
            f"can be stored exactly: {_quote(text)}",
            field=field,
        )
    value = float(f"{sign}{whole}.{frac}" if frac else f"{sign}{whole}")
    if value in (float("inf"), float("-inf")):
        raise MalformedNumber(f"{name}: too large to store: {_quote(text)}", field=field)
    if significant and abs(value) < _SMALLEST_NORMAL:
        raise MalformedNumber(f"{name}: too small to store: {_quote(text)}", field=field)
    if not significant:
        value = 0.0  # "-0" and "-0.00" are zero, not negative zero
    return Number(value, bool(low))


def _quote(text: str) -> str:
    return repr(text[:_QUOTE] + ("..." if len(text) > _QUOTE else ""))
