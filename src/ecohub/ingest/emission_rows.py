"""HJ 212 data uploads as `emission` rows: one per pollutant, numbers checked, text kept."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from ecohub.ingest.writer import fields_json
from ecohub.protocols import hj212
from ecohub.protocols.hj212.codes import map_2005_code

# Numeric fields that get their own column; every field also stays as text in `fields`.
_NUMERIC = {"Rtd": 0, "Avg": 1, "Min": 2, "Max": 3, "Cou": 4, "ZsRtd": 5, "ZsAvg": 6}


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


def emission_values(pkt: hj212.Packet) -> tuple[datetime, list[tuple[Any, ...]]]:
    """DataTime and the per-pollutant part of the `emission` rows of one data upload.

    Raises :class:`Rejected` when the upload has no DataTime, no pollutant, or a value that is
    not a finite number. Each tuple is ``(pollutant, rtd, avg, min, max, cou, zs_rtd, zs_avg,
    flag, fields)``; the writer adds what the packet says once (MN, CN, QN ...).
    """
    data_time = pkt.data_time
    if data_time is None:
        raise Rejected("MissingField", "CP.DataTime: required in a data upload")
    groups = pkt.pollutants()
    if not groups:
        raise Rejected("MalformedCP", "CP: a data upload without any pollutant field")
    old_codes = pkt.edition == "2005"
    values = []
    # This runs once per stored value at full ingest rate: plain loops, no per-field lookups.
    for code, fields in groups.items():
        nums: list[float | None] = [None] * len(_NUMERIC)
        for name, text in fields.items():
            col = _NUMERIC.get(name)
            if col is not None and text:
                nums[col] = _number(text, f"CP.{code}-{name}")
        pollutant = map_2005_code(code) if old_codes else code
        values.append((pollutant, *nums, fields.get("Flag"), fields_json(fields)))
    return data_time, values
