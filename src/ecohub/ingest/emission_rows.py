"""HJ 212 data uploads as `emission` rows: one per pollutant, numbers checked, text kept.

Every field of a pollutant is stored: the numeric ones in their own column, and all of them as
text in `fields`. A field that cannot be stored rejects the whole packet with a reason, so a
packet is never acknowledged with part of its data dropped.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from ecohub.ingest.writer import fields_json
from ecohub.protocols import hj212
from ecohub.protocols.hj212.codes import map_2005_code

# Numeric fields that get their own column; every field also stays as text in `fields`.
_NUMERIC = {"Rtd": 0, "Avg": 1, "Min": 2, "Max": 3, "Cou": 4, "ZsRtd": 5, "ZsAvg": 6}
# The suffix of a value below its detection limit (`0.01L`: below 0.01), the convention of
# Chinese monitoring reports (HJ 630 / HJ 168 write "检出限 + L") that devices copy.
_BELOW = "L"

Groups = dict[str, dict[str, str]]


class Rejected(Exception):
    """A parsed packet that the platform refuses (policy, content)."""

    def __init__(self, error: str, reason: str) -> None:
        super().__init__(reason)
        self.error = error
        self.reason = reason


def _number(text: str, field: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise Rejected("MalformedField", f"{field}: not a number: {text[:40]!r}") from None
    if not math.isfinite(value):
        raise Rejected("MalformedField", f"{field}: not a finite number: {text[:40]!r}")
    return value


def _limit(text: str, field: str) -> float:
    """The detection limit of a below-detection value ``<limit>L``."""
    value = _number(text[:-1], field)
    if value < 0:
        raise Rejected("MalformedField", f"{field}: a detection limit cannot be negative: {text!r}")
    return value


def stored_groups(pkt: hj212.Packet) -> Groups:
    """CP fields grouped by the pollutant code they are stored under.

    2017/2025 codes are stored as sent. HJ/T 212-2005 codes are mapped to their 2017 code, and a
    2005 ``z`` code (``02z``: the converted, 折算, value of ``02``) becomes the ``Zs`` fields of
    its pollutant (``02z-Rtd`` -> ``a21026`` ``ZsRtd``, ``02z-Avg`` -> ``ZsAvg``, any other
    field F -> ``ZsF``). Two CP items that land on the same field with different text reject
    the packet: one of them could not be stored.
    """
    groups = pkt.pollutants()
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


def rows_of(groups: Groups) -> list[tuple[Any, ...]]:
    """The per-pollutant part of the `emission` rows of these groups.

    Each tuple is ``(pollutant, rtd, avg, min, max, cou, zs_rtd, zs_avg, flag, fields,
    below_detection, below_detection_fields)``. A numeric field written ``<limit>L`` stores the
    limit and marks the row below detection, naming the field. Raises :class:`Rejected` for a
    value that is not a finite number.
    """
    values = []
    # This runs once per stored value at full ingest rate: plain loops, no per-field lookups.
    for code, fields in groups.items():
        nums: list[float | None] = [None] * len(_NUMERIC)
        below: list[str] | None = None
        for name, text in fields.items():
            col = _NUMERIC.get(name)
            if col is not None and text:
                if text[-1] == _BELOW:
                    nums[col] = _limit(text, f"CP.{code}-{name}")
                    below = [name] if below is None else [*below, name]
                else:
                    nums[col] = _number(text, f"CP.{code}-{name}")
        values.append(
            (code, *nums, fields.get("Flag"), fields_json(fields), below is not None,
             None if below is None else ",".join(below))
        )  # fmt: skip
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
