"""HJ 212 data uploads as `emission` rows: one per pollutant, numbers checked, text kept.

Every field of a pollutant is stored: the numeric ones in their own column, and all of them as
text in `fields`. A field that cannot be stored rejects the whole packet with a reason, so a
packet is never acknowledged with part of its data dropped.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from ecohub.ingest.writer import fields_json
from ecohub.protocols import hj212
from ecohub.protocols.hj212.codes import map_2005_code
from ecohub.protocols.hj212.errors import MalformedNumber
from ecohub.protocols.hj212.numbers import parse_number

# Numeric fields that get their own column; every field also stays as text in `fields`.
_NUMERIC = {"Rtd": 0, "Avg": 1, "Min": 2, "Max": 3, "Cou": 4, "ZsRtd": 5, "ZsAvg": 6}
_NO_NUMBERS: tuple[float | None, ...] = (None,) * len(_NUMERIC)
# Fast path, for speed only: texts that are plain decimals of at most 15 characters, checked for
# a whole packet in one regex pass over the texts joined by newlines. Every such text is in
# parse_number's syntax, has at most 15 significant digits and cannot overflow or underflow, so
# float() gives exactly parse_number's value (tests/ingest/test_emission_rows.py checks this
# against parse_number). Anything else (a sign '+', 'L', long or malformed text) goes through
# parse_number, the one grammar (ecohub.protocols.hj212.numbers).
_PLAIN = re.compile(r"(?:(?=[^\n]{1,15}\n)-?[0-9]+(?:\.[0-9]+)?\n)*")

Groups = dict[str, dict[str, str]]


class Rejected(Exception):
    """A parsed packet that the platform refuses (policy, content)."""

    def __init__(self, error: str, reason: str) -> None:
        super().__init__(reason)
        self.error = error
        self.reason = reason


def plain_numbers(texts: list[str]) -> bool:
    """True when every text takes the fast path (``float(t) or 0.0`` == parse_number's value)."""
    joined = "\n".join(texts) + "\n"
    # A newline inside a text would make two items of one: then the count is off.
    return joined.count("\n") == len(texts) and _PLAIN.fullmatch(joined) is not None


def stored_groups(pkt: hj212.Packet) -> Groups:
    """CP fields grouped by the pollutant code they are stored under.

    2017/2025 codes are stored as sent. HJ/T 212-2005 codes are mapped to their 2017 code, and a
    2005 ``z`` code (``02z``: the converted, 折算, value of ``02``) becomes the ``Zs`` fields of
    its pollutant (``02z-Rtd`` -> ``a21026`` ``ZsRtd``, ``02z-Avg`` -> ``ZsAvg``, any other
    field F -> ``ZsF``). Two CP items that land on the same field with different text reject
    the packet, and so does a CP key other than DataTime that is not ``code-Field``: either
    could not be stored.
    """
    groups = pkt.pollutants()
    if len(pkt.cp) != 1 + sum(map(len, groups.values())):
        _refuse_unstored_keys(pkt)
    if pkt.edition != "2005":
        return groups
    out: Groups = {}
    for code, fields in groups.items():
        target = map_2005_code(code)
        prefix = ""
        if code.endswith("z") and target != code and map_2005_code(code[:-1]) == target:
            prefix = "Zs"  # a converted value of a 2005 code
        have = out.get(target)
        if have is None:
            have = out[target] = {}
        for name, text in fields.items():
            stored = prefix + name
            prev = have.get(stored)
            if prev is not None and prev != text:
                raise Rejected(
                    "MalformedCP",
                    f"CP.{code}-{name}: {target} {stored} is given twice with different values "
                    f"({prev[:20]!r} and {text[:20]!r}); one could not be stored",
                )
            have[stored] = text
    return out


def _refuse_unstored_keys(pkt: hj212.Packet) -> None:
    """A data upload keeps DataTime and ``code-Field`` items; any other CP key would be lost."""
    for key in pkt.cp:
        if key != "DataTime" and "-" not in key:
            raise Rejected(
                "MalformedCP",
                f"CP.{key[:40]}: not a code-Field item; a data upload stores only DataTime and "
                "code-Field items, so it could not be stored",
            )


def rows_of(groups: Groups) -> list[tuple[Any, ...]]:
    """The per-pollutant part of the `emission` rows of these groups.

    Each tuple is ``(pollutant, rtd, avg, min, max, cou, zs_rtd, zs_avg, flag, fields,
    below_detection)``. Numbers follow HJ 212's syntax
    (:func:`~ecohub.protocols.hj212.numbers.parse_number`); a numeric field written
    ``<limit>L`` stores the limit and marks the row below detection (``fields`` keeps the
    text, so which field it was stays readable). Raises
    :class:`Rejected` (``MalformedNumber``, naming the field) for anything else.
    """
    # This runs once per stored value at full ingest rate: convert with float() and check the
    # packet's texts afterwards in one regex pass (plain_numbers); only a packet with a text
    # off the fast path (a limit 'L', a '+', a bad value) is read again with parse_number.
    values: list[tuple[Any, ...]] = []
    add = values.append
    texts: list[str] = []
    keep = texts.append
    numeric = _NUMERIC
    try:
        for code, fields in groups.items():
            nums: list[float | None] = list(_NO_NUMBERS)
            for name, text in fields.items():
                col = numeric.get(name)
                if col is not None and text:
                    keep(text)
                    nums[col] = float(text) or 0.0  # "-0" is zero, as in parse_number
            add((code, *nums, fields.get("Flag"), fields_json(fields), False))
    except ValueError:
        return _rows_checked(groups)
    return values if plain_numbers(texts) else _rows_checked(groups)


def _rows_checked(groups: Groups) -> list[tuple[Any, ...]]:
    """:func:`rows_of` with every number read by parse_number."""
    values = []
    for code, fields in groups.items():
        nums: list[float | None] = [None] * len(_NUMERIC)
        below = False
        for name, text in fields.items():
            col = _NUMERIC.get(name)
            if col is None or not text:
                continue
            try:
                number = parse_number(text, f"CP.{code}-{name}")
            except MalformedNumber as exc:
                raise Rejected("MalformedNumber", exc.detail) from None
            nums[col] = number.value
            below = below or number.below_detection
        values.append((code, *nums, fields.get("Flag"), fields_json(fields), below))
    return values


def emission_values(pkt: hj212.Packet) -> tuple[datetime, list[tuple[Any, ...]]]:
    """DataTime and the per-pollutant part of the `emission` rows of one data upload.

    Raises :class:`Rejected` when the upload has no DataTime, no pollutant, a value that is not
    a finite number, or a field that cannot be stored (see :func:`stored_groups`). The writer
    adds what the packet says once (MN, CN, QN ...).
    """
    data_time = data_time_of(pkt)
    groups = stored_groups(pkt)
    if not groups:
        raise Rejected("MalformedCP", "CP: a data upload without any pollutant field")
    return data_time, rows_of(groups)


def data_time_of(pkt: hj212.Packet) -> datetime:
    """The upload's DataTime; :class:`Rejected` when it is absent or malformed."""
    data_time = pkt.data_time
    if data_time is None:
        if "DataTime" in pkt.cp:
            raise Rejected(
                "MalformedField", f"CP.DataTime: not a valid YYYYMMDDhhmmss time: "
                f"{pkt.cp['DataTime'][:40]!r}"
            )  # fmt: skip
        raise Rejected("MissingField", "CP.DataTime: required in a data upload")
    return data_time
