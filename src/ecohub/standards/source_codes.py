"""HJ 608-2017 排污单位编码规则: fixed-pollution-source codes and outlet codes.

Fixed pollution source (固定污染源代码, 22 characters, HJ 608-2017 Annex A)::

    91130200699229617X 001 P
    |-- USCC (1-18) -| |seq| marker (22): P = fixed pollution source

Units without a USCC (固定污染源（水、大气）编码规则（试行）, 2016, the rules HJ 608-2017
grew from) take an 18-character main code of their own in positions 1-18:

* ``H9`` + 6-digit GB/T 2260 code of the issuing office + ``0000`` + 5-digit sequence
  + one lower-case letter (a-z without i, o) - no USCC and no organisation code;
* ``H9`` + 6-digit GB/T 2260 code + 9-character organisation code + the letter.

:func:`build_provisional_code` builds the first form; the letter is ecohub's check
letter (see :func:`provisional_check_letter`). Neither form can equal a USCC: no
registration authority is ``H`` and a USCC has no lower-case letter.

Outlets (排放口代码, HJ 608-2017 Figure 6): ``D`` + medium (``A`` air/废气, ``W`` water/废水)
+ a 3-digit sequence within the source, e.g. ``DA001``, ``DW001``. HJ 608-2017 defines no
other outlet media (noise and solid waste appear only among treatment facilities of
the 2016 rules).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ecohub.standards import uscc
from ecohub.standards.errors import InvalidCode, InvalidValue

__all__ = [
    "OutletCode",
    "SourceCode",
    "build_outlet_code",
    "build_provisional_code",
    "build_source_code",
    "compact",
    "is_valid_outlet_code",
    "is_valid_source_code",
    "parse_outlet_code",
    "parse_source_code",
    "provisional_check_letter",
    "validate_outlet_code",
    "validate_source_code",
]

SOURCE_MARKER = "P"  # HJ 608-2017 Annex A: position 22 标识码 of a fixed pollution source
MAX_SEQ = 999  # positions 19-21 / outlet positions 3-5: three digits
# 2016 rules: the letter of a provisional main code is one of a-z without i and o.
PROVISIONAL_LETTERS = "abcdefghjklmnpqrstuvwxyz"
MAX_PROVISIONAL_SEQ = 99_999  # 2016 rules: 5-digit sequence within the issuing office
# Weights of ecohub's provisional check letter: units modulo 24, so changing any one
# character (values 0-30) by less than 24 always changes the sum mod 24.
_CHECK_WEIGHTS = (1, 5, 7, 11, 13, 17, 19, 23)

_MEDIA = {"air": "A", "gas": "A", "a": "A", "废气": "A", "water": "W", "w": "W", "废水": "W"}
_MEDIUM_NAMES = {"A": "air", "W": "water"}
_SEPARATORS = re.compile(r"[\s\-‐‑‒–—―]+")
_PROVISIONAL = re.compile(r"H9([0-9]{6})(0000[0-9]{5}|[0-9A-Z]{8}[0-9X])([a-z])")
_OUTLET = re.compile(r"D([AW])([0-9]{3})")


@dataclass(frozen=True)
class SourceCode:
    """Parts of a fixed-pollution-source code; ``provisional`` for the ``H9`` forms."""

    uscc: str
    seq: int
    letter: str

    @property
    def provisional(self) -> bool:
        return self.uscc.startswith("H9")

    def __str__(self) -> str:
        return f"{self.uscc}{self.seq:03d}{self.letter}"


@dataclass(frozen=True)
class OutletCode:
    """Parts of an outlet code: ``medium`` is ``"air"`` or ``"water"``."""

    medium: str
    seq: int

    def __str__(self) -> str:
        return f"D{'A' if self.medium == 'air' else 'W'}{self.seq:03d}"


def compact(text: str) -> str:
    """Trim, full-width -> half-width, drop spaces/hyphens, upper-case.

    The provisional ``H9`` form keeps its one lower-case letter (position 18) lower-case,
    since upper-casing it would make it look like a USCC check character.
    """
    if not isinstance(text, str):
        raise InvalidCode("code", f"expected text, got {type(text).__name__}")
    value = _SEPARATORS.sub("", text.translate(uscc.FULLWIDTH))
    if value[:2].upper() == "H9" and len(value) >= 18:
        return value[:17].upper() + value[17].lower() + value[18:].upper()
    return value.upper()


def _seq(seq: object, field: str, maximum: int) -> int:
    if isinstance(seq, bool) or not isinstance(seq, int):
        raise InvalidValue(field, f"expected an integer, got {seq!r}")
    if not 1 <= seq <= maximum:
        raise InvalidValue(field, f"must be 1..{maximum}, got {seq}")
    return seq


def provisional_check_letter(first17: str) -> str:
    """ecohub's letter for a provisional main code (``H9`` + 15 digits/letters).

    The 2016 rules give the letter's alphabet but no algorithm; ours is the weighted
    sum of the GB 32100 character values modulo 24, mapped onto a-z without i, o.
    """
    body = compact(first17)
    if len(body) != 17 or not body.startswith("H9") or any(c not in uscc.ALPHABET for c in body):
        raise InvalidCode("code", f"expected H9 + 15 code characters, got {first17!r}")
    total = sum(
        uscc.ALPHABET.index(c) * _CHECK_WEIGHTS[i % len(_CHECK_WEIGHTS)] for i, c in enumerate(body)
    )
    return PROVISIONAL_LETTERS[total % 24]


def _region(region_code: object) -> str:
    if not isinstance(region_code, str) or not re.fullmatch(r"[0-9]{6}", compact(region_code)):
        raise InvalidCode(
            "region_code", f"expected a six-digit GB/T 2260 code, got {region_code!r}"
        )
    value = compact(region_code)
    if value[:2] == "00":
        raise InvalidCode("region_code", f"{value} is not a GB/T 2260 code (province 00)")
    return value


def build_provisional_code(region_code: str, seq: int, source_seq: int = 1) -> str:
    """22-character source code for a unit with neither USCC nor organisation code.

    ``H9`` + region (6) + ``0000`` + ``seq`` (5 digits) + check letter + ``source_seq``
    (3 digits) + ``P``; ``seq`` numbers such units within the issuing office.
    """
    main = f"H9{_region(region_code)}0000{_seq(seq, 'seq', MAX_PROVISIONAL_SEQ):05d}"
    main += provisional_check_letter(main)
    return build_source_code(main, source_seq)


def _main_code(main: str) -> str:
    if main.startswith("H9"):
        if not _PROVISIONAL.fullmatch(main):
            raise InvalidCode(
                "uscc",
                f"provisional code {main!r} must be H9 + 6 digits + (0000 + 5 digits | "
                "9-character organisation code) + a lower-case letter (2016 coding rules)",
            )
        if main[17] not in PROVISIONAL_LETTERS:
            raise InvalidCode("uscc", f"letter {main[17]!r} is not one of a-z without i, o")
        return main
    return uscc.validate(main)


def build_source_code(uscc_code: str, seq: int) -> str:
    """USCC (or provisional main code) + 3-digit ``seq`` + ``P`` (HJ 608-2017 Annex A)."""
    main = _main_code(compact(uscc_code))
    return f"{main}{_seq(seq, 'seq', MAX_SEQ):03d}{SOURCE_MARKER}"


def validate_source_code(code: str) -> str:
    """Return the compacted 22-character code, or raise :class:`InvalidCode` naming the part."""
    value = compact(code)
    if len(value) != 22:
        raise InvalidCode(
            "code", f"a fixed-pollution-source code has 22 characters, got {len(value)}"
        )
    _main_code(value[:18])
    if not re.fullmatch("[0-9]{3}", value[18:21]) or value[18:21] == "000":
        raise InvalidCode(
            "seq", f"positions 19-21 must be a sequence 001-999, got {value[18:21]!r}"
        )
    if value[21] != SOURCE_MARKER:
        raise InvalidCode("letter", f"position 22 must be {SOURCE_MARKER!r}, got {value[21]!r}")
    return value


def parse_source_code(code: str) -> SourceCode:
    """Split a valid code into main code (USCC or ``H9`` form), sequence and marker letter."""
    value = validate_source_code(code)
    return SourceCode(uscc=value[:18], seq=int(value[18:21]), letter=value[21])


def is_valid_source_code(code: object) -> bool:
    """True when :func:`validate_source_code` accepts ``code``; never raises."""
    try:
        return isinstance(code, str) and bool(validate_source_code(code))
    except InvalidCode:
        return False


def build_outlet_code(medium: str, seq: int) -> str:
    """``("air", 1)`` -> ``"DA001"``; ``("water", 12)`` -> ``"DW012"``.

    ``medium`` also accepts ``gas``, ``废气`` and ``废水``.
    """
    letter = _MEDIA.get(medium.strip().lower()) if isinstance(medium, str) else None
    if letter is None:
        raise InvalidValue(
            "medium", f"expected air or water (HJ 608-2017 Figure 6), got {medium!r}"
        )
    return f"D{letter}{_seq(seq, 'seq', MAX_SEQ):03d}"


def validate_outlet_code(code: str) -> str:
    """Return the compacted outlet code (``DA001``), or raise :class:`InvalidCode`."""
    value = compact(code)
    match = _OUTLET.fullmatch(value)
    if match is None:
        raise InvalidCode(
            "code", f"an outlet code is D + A|W + 3 digits (HJ 608-2017 Figure 6), got {value!r}"
        )
    if match.group(2) == "000":
        raise InvalidCode("seq", "outlet sequence starts at 001")
    return value


def parse_outlet_code(code: str) -> OutletCode:
    """``"DW003"`` -> ``OutletCode(medium="water", seq=3)``."""
    value = validate_outlet_code(code)
    return OutletCode(medium=_MEDIUM_NAMES[value[1]], seq=int(value[2:]))


def is_valid_outlet_code(code: object) -> bool:
    """True when :func:`validate_outlet_code` accepts ``code``; never raises."""
    try:
        return isinstance(code, str) and bool(validate_outlet_code(code))
    except InvalidCode:
        return False
