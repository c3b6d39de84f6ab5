"""GB 32100-2015 法人和其他组织统一社会信用代码编码规则 (unified social credit code, USCC).

Eighteen characters from 0-9 and the upper-case letters without I, O, Z, S, V:

====== ============================================ ==========
pos    part                                         clause
====== ============================================ ==========
1      registration authority (登记管理部门代码)    4.2
2      organisation type (机构类别代码)             4.2
3-8    admin division of the registering office      4.3 (GB/T 2260)
9-17   organisation code (主体标识码, GB 11714)      4.4
18     check character (GB/T 17710, mod 31)          4.5, Annex
====== ============================================ ==========

Same shape as the other code modules (python-stdnum style): :func:`compact` cleans,
:func:`validate` returns the clean code or raises :class:`InvalidCode` naming the
field, :func:`is_valid` answers for the code exactly as written and never raises.
"""

from __future__ import annotations

import re
from functools import cache

from ecohub.standards.editions import load_table
from ecohub.standards.errors import InvalidCode

__all__ = [
    "ALPHABET",
    "FULLWIDTH",
    "admin_division",
    "authority_name",
    "check_char",
    "compact",
    "explain",
    "is_valid",
    "normalize",
    "organisation_code",
    "organisation_type",
    "organisation_type_name",
    "registration_authority",
    "validate",
]

# 4.1: the code's character set; the index of a character is its value in the check.
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
LENGTH = 18
# Annex (GB/T 17710 mod 31): weight of position i (1-based) is 3**(i-1) mod 31.
_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
# Full-width ASCII (U+FF01-FF5E) and the ideographic space, as Chinese input methods
# type them, folded to ASCII. Not NFKC: NFKC followed by upper() is not idempotent.
FULLWIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
# Separators people type inside codes (after folding).
_SEPARATORS = re.compile(r"[\s\-‐‑‒–—―]+")


def normalize(text: str) -> str:
    """Trim, full-width -> half-width , drop spaces and hyphens, upper-case.

    Does not check anything; ``normalize(normalize(x)) == normalize(x)``.
    """
    if not isinstance(text, str):
        raise InvalidCode("code", f"expected text, got {type(text).__name__}")
    return _SEPARATORS.sub("", text.translate(FULLWIDTH)).upper()


def compact(text: str) -> str:
    """The code without separators (python-stdnum's ``compact``); same as :func:`normalize`."""
    return normalize(text)


def check_char(first17: str) -> str:
    """The check character (position 18) of the first 17 characters (4.5)."""
    body = normalize(first17)
    if len(body) != LENGTH - 1:
        raise InvalidCode("code", f"need 17 characters to compute a check, got {len(body)}")
    bad = next((i for i, c in enumerate(body) if c not in ALPHABET), None)
    if bad is not None:
        raise InvalidCode(
            "code", f"character {body[bad]!r} at position {bad + 1} is not in GB 32100's set"
        )
    total = sum(ALPHABET.index(c) * w for c, w in zip(body, _WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


@cache
def _types() -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for row in load_table("gb32100-2015_authorities.csv"):
        out.setdefault(row["authority"], {"": row["authority_name"]})[row["type"]] = row[
            "type_name"
        ]
    return out


def validate(code: str) -> str:
    """Return the normalised code, or raise :class:`InvalidCode` saying which rule failed."""
    value = normalize(code)
    if len(value) != LENGTH:
        raise InvalidCode("code", f"a USCC has 18 characters, got {len(value)} (GB 32100-2015 4.1)")
    for i, c in enumerate(value):
        if c not in ALPHABET:
            raise InvalidCode(
                "code",
                f"character {c!r} at position {i + 1} is not a digit or an allowed upper-case "
                "letter (I, O, Z, S, V are never used; GB 32100-2015 4.1)",
            )
    types = _types().get(value[0])
    if types is None:
        raise InvalidCode(
            "registration_authority",
            f"unknown registration authority code {value[0]!r} (position 1, 4.2)",
        )
    if value[1] not in types:
        raise InvalidCode(
            "organisation_type",
            f"organisation type {value[1]!r} is not defined for authority {value[0]} ({types['']}) "
            "(position 2, 4.2)",
        )
    if not value[2:8].isdigit():
        raise InvalidCode(
            "admin_division", f"positions 3-8 must be a GB/T 2260 code, got {value[2:8]!r} (4.3)"
        )
    expected = check_char(value[:17])
    if value[17] != expected:
        raise InvalidCode(
            "check_char", f"check character is {value[17]!r}, expected {expected!r} (4.5)"
        )
    return value


def is_valid(code: object) -> bool:
    """True when ``code`` is, exactly as written, a valid USCC; never raises.

    Strict: 18 characters of GB 32100's set (digits and upper-case letters without I, O,
    Z, S, V; 4.1) passing every check of :func:`validate`. Nothing is folded first, so a
    lower-case, full-width or spaced code is not valid here: user input goes through
    :func:`validate` (or :func:`normalize`), which cleans it and returns the stored form.
    """
    if not isinstance(code, str) or len(code) != LENGTH:
        return False
    if any(c not in ALPHABET for c in code):
        return False
    try:
        return validate(code) == code
    except InvalidCode:
        return False


def explain(code: object) -> str:
    """Why ``code`` is not a valid USCC; ``""`` when it is (so ``if explain(c):`` reads well)."""
    if not isinstance(code, str):
        return f"expected text, got {type(code).__name__}"
    try:
        validate(code)
    except InvalidCode as err:
        return str(err)
    return ""


def registration_authority(code: str) -> str:
    """Position 1 of a valid code, e.g. ``"9"`` (工商 / market regulation)."""
    return validate(code)[0]


def authority_name(code: str) -> str:
    """Name of the registration authority, e.g. ``"工商"``."""
    return _types()[registration_authority(code)][""]


def organisation_type(code: str) -> str:
    """Position 2 of a valid code, e.g. ``"1"`` (企业 under authority 9)."""
    return validate(code)[1]


def organisation_type_name(code: str) -> str:
    """Name of the organisation type under its authority, e.g. ``"企业"``."""
    value = validate(code)
    return _types()[value[0]][value[1]]


def admin_division(code: str) -> str:
    """Positions 3-8: the GB/T 2260 code of the registering office (not the unit's address)."""
    return validate(code)[2:8]


def organisation_code(code: str) -> str:
    """Positions 9-17: the GB 11714 organisation code (主体标识码), its own check digit last."""
    return validate(code)[8:17]
