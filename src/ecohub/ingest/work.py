"""What the HJ 212 exchange hands its store writer: one received frame on its way to the store
(:class:`Work`), made by the listener and the subpacket assembler, written by
:mod:`ecohub.ingest.writer` through :mod:`ecohub.ingest.writer_tables`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

__all__ = ["Work"]


@dataclass(slots=True)
class Work:
    """One received frame on its way to the store.

    ``kind`` is ``data`` (rows for `emission`), ``message`` (kept verbatim in `hj212_message`),
    ``seen`` (heartbeat: only the device's last-seen time), ``part`` (one part of a split
    upload, kept in `hj212_subpacket_part` until the rest arrives) or ``rejected``
    (`packet_log`). A ``data`` item with ``done_key`` is a reassembled split upload: its parts
    ``(mn, cn, data_time, pnum)`` are deleted in the same transaction.
    """

    kind: str
    received_at: datetime
    peer: str
    raw: bytes
    mn: str | None = None
    st: str | None = None
    cn: str | None = None
    qn: str | None = None
    edition: str | None = None
    deviation: str | None = None
    registered: bool = True
    data_time: datetime | None = None
    # Per pollutant of a data upload: (pollutant, rtd, avg, min, max, cou, zs_rtd, zs_avg, flag,
    # fields, below_detection), the `emission` columns between
    # data_time and qn.
    values: list[tuple[Any, ...]] = field(default_factory=list)
    incomplete: bool = False
    part: tuple[int, int, str] | None = None  # (pnum, pno, cp JSON) of a ``part``
    done_key: tuple[Any, ...] | None = None
    answer: bytes | None = None
    owner: Any = None  # the connection to answer on, if any
    error: str | None = None
    reason: str | None = None
    would_pass: str | None = None
    status: str = "rejected"
    raw_size: int | None = None
