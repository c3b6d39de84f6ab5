"""The parsed HJ 212 packet: header fields, CP as sent, and what the codec learned about it."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any, NamedTuple

from ecohub.cst import CST
from ecohub.protocols.hj212.constants import FLAG_A, FLAG_D, FLAG_VERSION_SHIFT

#: Editions this codec reads and writes, oldest first.
EDITIONS = ("2005", "2017", "2025")


# A NamedTuple, not a frozen dataclass: equally immutable, but a frozen dataclass sets each
# of its 15 fields through object.__setattr__ - about 1.2 us of a 13 us parse (issue 9,
# docs/benchmarks.md); a tuple is built in one step.
class Packet(NamedTuple):
    """One HJ 212 packet (immutable).

    Header fields are the text as sent (``None`` when absent), except ``flag``, ``pnum`` and
    ``pno`` which are ints. ``cp`` maps every CP key to its text exactly as sent, in order
    (``{"DataTime": "20260101120000", "a34004-Rtd": "35.2", ...}``); a key sent twice keeps
    its values joined with ``,``. ``raw`` is the frame as received. ``crc_ok`` is True when the
    standard's CRC matches (False only for a lenient ``crc_modbus`` parse). ``edition`` is
    ``"2005"``, ``"2017"`` or ``"2025"``. ``deviations`` names every known deviation a lenient
    parse accepted (in ``DEVIATIONS`` order; empty for a strictly valid packet) and
    ``deviation`` is the same joined with ``+`` (None when empty), as stored in text columns.
    ``d_without_pnum`` is True when Flag's D bit is set but PNUM/PNO are absent: strictly valid
    in an HJ/T 212-2005 packet (its own examples send requests so), the
    ``flag_d_without_pnum`` deviation from 2017 on; either way the packet is read as whole.
    """

    qn: str | None
    st: str | None
    cn: str | None
    pw: str | None
    mn: str | None
    flag: int | None
    pnum: int | None
    pno: int | None
    cp: dict[str, str]
    raw: bytes
    crc_ok: bool = True
    edition: str = "2017"
    deviation: str | None = None
    deviations: tuple[str, ...] = ()
    d_without_pnum: bool = False

    @property
    def flag_info(self) -> tuple[int, bool, bool]:
        """``(version, A, D)`` from Flag: version bits (Flag >> 2), answer wanted, split packet."""
        flag = self.flag or 0
        return flag >> FLAG_VERSION_SHIFT, bool(flag & FLAG_A), bool(flag & FLAG_D)

    @property
    def wants_answer(self) -> bool:
        """True when Flag's A bit is set: the sender waits for an answer (2017 6.3.2 table 4)."""
        return self.flag is not None and bool(self.flag & FLAG_A)

    @property
    def data_time(self) -> datetime | None:
        """CP ``DataTime`` as an aware datetime in UTC+8, or None when absent or malformed."""
        text = self.cp.get("DataTime")
        return None if text is None else _cst_time(text)

    def pollutants(self) -> dict[str, dict[str, str]]:
        """CP fields grouped by the ``code-Field`` key form: ``{"a34004": {"Rtd": "35.2"}}``.

        Keys without ``-`` (``DataTime``, ``RtdInterval`` ...) are left out.
        """
        groups: dict[str, dict[str, str]] = {}
        for key, value in self.cp.items():
            code, dash, name = key.partition("-")
            if dash:
                group = groups.get(code)
                if group is None:
                    group = groups[code] = {}
                group[name] = value
        return groups

    def grouped_cp(self) -> dict[str, Any]:
        """CP with ``code-Field`` keys grouped under their code; other keys kept as text."""
        out: dict[str, Any] = {}
        for key, value in self.cp.items():
            code, dash, name = key.partition("-")
            if dash:
                group = out.get(code)
                if not isinstance(group, dict):
                    group = out[code] = {}
                group[name] = value
            else:
                out[key] = value
        return out

    def to_json(self, *, include_deviation: bool = False) -> dict[str, Any]:
        """The JSON object ``ecohub hj212 decode`` prints for this packet.

        ``deviation`` is included when set, or always with ``include_deviation`` (lenient CLI).
        """
        out: dict[str, Any] = {
            "qn": self.qn,
            "st": self.st,
            "cn": self.cn,
            "pw": self.pw,
            "mn": self.mn,
            "flag": self.flag,
            "pnum": self.pnum,
            "pno": self.pno,
            "crc_ok": self.crc_ok,
            "edition": self.edition,
            "cp": self.grouped_cp(),
        }
        if include_deviation or self.deviation is not None:
            out["deviation"] = self.deviation
        return out


@lru_cache(maxsize=4096)
def _cst_time(text: str) -> datetime | None:
    """``YYYYMMDDhhmmss`` as an aware datetime in UTC+8, None when malformed. Remembered: every
    device of a network sends the same minute's DataTime, and a datetime is immutable."""
    if len(text) != 14 or not (text.isascii() and text.isdigit()):
        return None
    try:
        return datetime(
            int(text[0:4]), int(text[4:6]), int(text[6:8]), int(text[8:10]), int(text[10:12]),
            int(text[12:14]), tzinfo=CST,
        )  # fmt: skip
    except ValueError:
        return None
