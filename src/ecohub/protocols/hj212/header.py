"""HJ 212 header grammar (2017 clause 6.3.2, table 4): the ``key=value;`` fields before CP, each
field's form, the data times, and the edition the header says; a lenient reading's notes.

:mod:`ecohub.protocols.hj212.codec` reads the frame around it (length, CRC, CP) in the same pass.
"""

from __future__ import annotations

import re
from datetime import date

from ecohub.protocols.hj212 import codes
from ecohub.protocols.hj212.constants import (
    FLAG_D,
    FLAG_VERSION_SHIFT,
    MAX_FLAG,
    MAX_PACKET_NUMBER,
    MAX_YEAR,
    MIN_YEAR,
)
from ecohub.protocols.hj212.errors import MalformedField, MissingField, ProtocolError

__all__ = [
    "Header",
    "Notes",
    "check_header",
    "check_time",
    "deviate",
    "digits",
    "header_fields",
    "is_valid_mn",
]

_HEADER_KEYS = frozenset({"QN", "ST", "CN", "PW", "MN", "Flag", "PNUM", "PNO"})


# 6.3.2 table 4: PW C9, MN C27. The standard gives lengths, not a character set; we allow the
# characters real MNs and passwords use (letters, digits, _ - .), our choice.
_PW_RE = re.compile(r"[0-9A-Za-z_.\-]{0,9}")
_MN_RE = re.compile(r"[0-9A-Za-z_.\-]{1,27}")
# Environmental-quality systems (6.6.1 table 5, ST 21..27): outside HJ 212-2025's scope
# (pollution sources), so Flag version 2 from them is the pre-2025 surface-water dialect.
_QUALITY_ST = frozenset({"21", "22", "23", "24", "25", "26", "27"})


class Notes:
    """What a lenient pass learned: the strict error (first failure) and the deviations."""

    __slots__ = ("deviations", "strict_error")

    def __init__(self) -> None:
        self.strict_error: ProtocolError | None = None
        self.deviations: list[str] = []


def deviate(notes: Notes | None, error: ProtocolError, name: str) -> None:
    """A check failed in a way the deviation ``name`` explains. Strict (``notes`` None): raise
    ``error``. Lenient: remember ``error`` if it is the first failure, note ``name``, go on."""
    if notes is None:
        raise error
    if notes.strict_error is None:
        notes.strict_error = error
    notes.deviations.append(name)


def digits(text: str, low: int, high: int) -> bool:
    return low <= len(text) <= high and text.isascii() and text.isdigit()


# Calendar dates (YYYYMMDD) already found valid: a packet's times share their date with the
# packets before it, so the date is built and checked once per day, not once per packet. Our
# choice: at most 4096 remembered (cleared when full), a few kB.
_VALID_DATES: set[str] = set()
_MAX_REMEMBERED_DATES = 4096


def check_time(text: str, field: str, *, millis: bool = False) -> None:
    """Raise ``MalformedField(field=field)`` unless ``text`` is ``YYYYMMDDhhmmss`` (``zzz``).

    A real calendar time with the year in ``MIN_YEAR..MAX_YEAR`` (constants.py says why).
    """
    size = 17 if millis else 14
    if len(text) != size or not (text.isdigit() and text.isascii()):
        form = "YYYYMMDDhhmmsszzz" if millis else "YYYYMMDDhhmmss"
        raise MalformedField(f"{field} must be {form} ({size} digits): {text[:40]!r}", field=field)
    # Two ASCII digits compare as text the way they compare as numbers.
    if text[8:10] > "23" or text[10:12] > "59" or text[12:14] > "59":
        raise MalformedField(f"{field} is not a time of day: {text!r}", field=field)
    day = text[:8]
    if day in _VALID_DATES:
        return
    year = int(text[0:4])
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise MalformedField(
            f"{field} year {year} is outside {MIN_YEAR}..{MAX_YEAR}: {text!r}", field=field
        )
    try:
        date(year, int(text[4:6]), int(text[6:8]))
    except ValueError:
        raise MalformedField(f"{field} is not a calendar date: {text!r}", field=field) from None
    if len(_VALID_DATES) >= _MAX_REMEMBERED_DATES:
        _VALID_DATES.clear()
    _VALID_DATES.add(day)


def is_valid_mn(mn: str) -> bool:
    """True when ``mn`` is an MN this codec reads (C27, letters, digits, ``_ - .``)."""
    return isinstance(mn, str) and _MN_RE.fullmatch(mn) is not None


def header_fields(head: str) -> dict[str, str]:
    """6.3.2: ``key=value;`` pairs before CP; known keys only, each once."""
    if head and head[-1] != ";":
        raise MalformedField("header fields must be followed by ';' before CP", field="CP")
    fields: dict[str, str] = {}
    for part in head[:-1].split(";") if head else ():
        key, eq, value = part.partition("=")
        if not eq or key not in _HEADER_KEYS:
            raise MalformedField(f"unknown header field {part[:40]!r}", field=key[:40] or None)
        if key in fields:
            raise MalformedField(f"{key} given twice", field=key)
        fields[key] = value
    return fields


def _packet_number(fields: dict[str, str], key: str) -> int | None:
    text = fields.get(key)
    if text is None:
        return None
    if not digits(text, 1, 4) or int(text) > MAX_PACKET_NUMBER:
        raise MalformedField(f"{key} must be 1..4 digits", field=key)
    return int(text)


# qn, st, cn, pw, mn, flag, pnum, pno, edition, d_without_pnum
Header = tuple[str | None, str, str, str, str, int | None, int | None, int | None, str, bool]


def check_header(fields: dict[str, str], notes: Notes | None) -> Header:
    """The header fields' grammar (6.3.2 table 4) and the edition they say."""
    qn = fields.get("QN")
    if qn is not None:
        check_time(qn, "QN", millis=True)
    st = fields.get("ST")
    if st is None:
        raise MissingField("ST is required", field="ST")
    if not (len(st) == 2 and st.isdigit() and st.isascii()):
        if not digits(st, 3, 3):
            raise MalformedField("ST must be 2 digits", field="ST")
        deviate(notes, MalformedField("ST must be 2 digits", field="ST"), "st_3digit")
    cn = fields.get("CN")
    if cn is None:
        raise MissingField("CN is required", field="CN")
    if not (len(cn) == 4 and cn.isdigit() and cn.isascii()):
        raise MalformedField("CN must be 4 digits", field="CN")
    pw = fields.get("PW")
    if pw is None:
        raise MissingField("PW is required", field="PW")
    if not _PW_RE.fullmatch(pw):
        raise MalformedField("PW must be at most 9 letters or digits", field="PW")
    mn = fields.get("MN")
    if mn is None:
        raise MissingField("MN is required", field="MN")
    if not _MN_RE.fullmatch(mn):
        raise MalformedField("MN must be 1..27 letters or digits", field="MN")
    flag_text = fields.get("Flag")
    flag: int | None = None
    if flag_text is not None:
        if not digits(flag_text, 1, 3) or int(flag_text) > MAX_FLAG:
            raise MalformedField("Flag must be an integer 0..255", field="Flag")
        flag = int(flag_text)
    pnum = _packet_number(fields, "PNUM")
    pno = _packet_number(fields, "PNO")
    version = flag >> FLAG_VERSION_SHIFT if flag is not None else 0
    d_without_pnum = False
    if flag is not None and flag & FLAG_D and (pnum is None or pno is None):
        if pnum is not None or pno is not None:
            missing = "PNO" if pno is None else "PNUM"
            raise MissingField(f"Flag D bit set: {missing} is required", field=missing)
        # HJ/T 212-2005 sends every upper-computer request with Flag=3 and no PNUM/PNO (see
        # docs/standards.md): a whole packet in 2005, a deviation from 2017 on.
        d_without_pnum = True
        if version != 0:
            deviate(
                notes,
                MissingField("Flag D bit set: PNUM and PNO are required", field="PNUM"),
                "flag_d_without_pnum",
            )
    if pnum is not None and pno is not None and not 1 <= pno <= pnum:
        raise MalformedField("PNO must be between 1 and PNUM", field="PNO")
    edition = _edition(version, flag, qn, st, cn, notes)
    return qn, st, cn, pw, mn, flag, pnum, pno, edition, d_without_pnum


def _edition(
    version: int, flag: int | None, qn: str | None, st: str, cn: str, notes: Notes | None
) -> str:
    """Edition from Flag's version bits, QN presence, ST and CN (see docs/standards.md)."""
    if flag is None or version == 0:
        return "2005"
    if version > 2:
        raise MalformedField(f"Flag version {version} is no known edition", field="Flag")
    if qn is None:
        deviate(notes, MissingField("QN is required from HJ 212-2017 on", field="QN"), "no_qn")
    if version == 1:
        return "2017"
    # Surface-water station software sent Flag=8 before 2025: a quality-monitoring ST with a
    # CN that 2017 already had is that dialect, not HJ 212-2025.
    if st in _QUALITY_ST and codes.command(cn, "2017") is not None:
        return "2017"
    return "2025"
