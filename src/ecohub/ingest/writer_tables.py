"""The tables the group-commit writer fills: Arrow schemas, batch builders and SQL statements.

Split out of :mod:`ecohub.ingest.writer`, which owns the thread and the transaction.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from itertools import chain
from operator import attrgetter
from typing import Any

import numpy as np
import pyarrow as pa

from ecohub.ingest.work import Work

_TS = pa.timestamp("us", tz="Asia/Shanghai")
EMISSION_SCHEMA = pa.schema(
    [
        ("mn", pa.string()), ("cn", pa.string()), ("data_time", _TS), ("pollutant", pa.string()),
        ("rtd", pa.float64()), ("avg", pa.float64()), ("min", pa.float64()),
        ("max", pa.float64()), ("cou", pa.float64()), ("zs_rtd", pa.float64()),
        ("zs_avg", pa.float64()), ("flag", pa.string()), ("fields", pa.string()),
        ("below_detection", pa.bool_()),
        ("qn", pa.string()), ("st", pa.string()), ("edition", pa.string()),
        ("deviation", pa.string()), ("registered", pa.bool_()), ("received_at", _TS),
        ("incomplete", pa.bool_()),
    ]
)  # fmt: skip
# Per-value columns of `emission` (pollutant .. below_detection); the per-packet ones follow.
_PER_VALUE = 11
MESSAGE_SCHEMA = pa.schema(
    [("received_at", _TS), ("peer", pa.string()), ("mn", pa.string()), ("st", pa.string()),
     ("cn", pa.string()), ("qn", pa.string()), ("edition", pa.string()),
     ("deviation", pa.string()), ("raw", pa.string())]
)  # fmt: skip
REJECTED_SCHEMA = pa.schema(
    [("received_at", _TS), ("peer", pa.string()), ("mn", pa.string()), ("raw", pa.binary()),
     ("status", pa.string()), ("error", pa.string()), ("reason", pa.string()),
     ("would_pass", pa.string()), ("raw_size", pa.int64())]
)  # fmt: skip
PART_SCHEMA = pa.schema(
    [("mn", pa.string()), ("cn", pa.string()), ("data_time", _TS), ("pnum", pa.int32()),
     ("pno", pa.int32()), ("cp", pa.string()), ("qn", pa.string()), ("st", pa.string()),
     ("edition", pa.string()), ("deviation", pa.string()), ("registered", pa.bool_()),
     ("peer", pa.string()), ("received_at", _TS)]
)  # fmt: skip
DONE_SCHEMA = pa.schema(
    [("mn", pa.string()), ("cn", pa.string()), ("data_time", _TS), ("pnum", pa.int32())]
)
SEEN_SCHEMA = pa.schema(
    [("mn", pa.string()), ("last_seen", _TS), ("last_cn", pa.string()), ("last_peer", pa.string()),
     ("edition", pa.string()), ("registered", pa.bool_()), ("st", pa.string())]
)  # fmt: skip


# Per-value and per-packet fields as Arrow structs: pyarrow converts a list of tuples to a
# struct array in C++, one call for all fields, where transposing the tuples into columns in
# Python (``zip(*rows)``) cost more than the conversion itself (docs/benchmarks.md).
_VALUE_TYPE = pa.struct([EMISSION_SCHEMA.field(i + 3) for i in range(_PER_VALUE)])
_PACKET_FIELDS = (
    "mn", "cn", "data_time", "qn", "st", "edition", "deviation", "registered", "received_at",
    "incomplete",
)  # fmt: skip
_PACKET_TYPE = pa.struct([EMISSION_SCHEMA.field(name) for name in _PACKET_FIELDS])
_packet_of = attrgetter(*_PACKET_FIELDS)


def emission_table(works: list[Work]) -> pa.Table:
    """The `emission` rows of these data packets, built column by column.

    What a packet says once (MN, times, edition ...) is converted once per packet and repeated
    per pollutant by index, not converted again for each row: this runs at full ingest rate.
    """
    counts = [len(w.values) for w in works]
    repeat = pa.array(np.repeat(np.arange(len(works), dtype=np.int32), counts))
    values = pa.array(
        list(chain.from_iterable([w.values for w in works])), type=_VALUE_TYPE
    ).flatten()
    packet = pa.array([_packet_of(w) for w in works], type=_PACKET_TYPE).take(repeat).flatten()
    # The schema's order: mn, cn, data_time, the per-value columns, then qn .. incomplete.
    return pa.Table.from_arrays([*packet[:3], *values, *packet[3:]], schema=EMISSION_SCHEMA)


def merge_repeats(batch: list[Work]) -> list[Work]:
    """Data packets of a batch with each (MN, CN, DataTime, pollutant) once, the last one sent.

    Only for the rare batch that holds one packet twice (a device resending before its answer).
    """
    last: dict[tuple[Any, ...], tuple[Work, tuple[Any, ...]]] = {}
    for w in batch:
        if w.kind == "data":
            for v in w.values:
                last[(w.mn, w.cn, w.data_time, v[0])] = (w, v)
    merged: dict[int, Work] = {}  # by the packet each kept value came from
    for w, v in last.values():
        part = merged.get(id(w))
        if part is None:
            part = merged[id(w)] = copy.copy(w)
            part.values = []
        part.values.append(v)
    return list(merged.values())


def arrow_table(schema: pa.Schema, rows: Iterable[tuple[Any, ...]]) -> pa.Table:
    """Rows as one Arrow table, so each table is written by one set-based statement."""
    columns = list(zip(*rows, strict=True))
    return pa.Table.from_arrays(
        [pa.array(col, type=schema.field(i).type) for i, col in enumerate(columns)], schema=schema
    )


# BY NAME: the Arrow columns match the table's by name, whatever order migrations added them in.
EMISSION_INSERT = (
    "{verb} INTO emission BY NAME SELECT * REPLACE (fields::JSON AS fields) FROM {src}"
)
MESSAGE_INSERT = (
    "INSERT INTO hj212_message (received_at, peer, mn, st, cn, qn, edition, deviation, raw) "
    "SELECT * FROM {src}"
)
REJECTED_INSERT = (
    "INSERT INTO packet_log (received_at, peer, mn, raw, status, error, reason, would_pass, "
    "raw_size) SELECT * FROM {src}"
)
# A part resent before its answer is stored once (its key is the part's).
PART_INSERT = (
    "INSERT OR IGNORE INTO hj212_subpacket_part BY NAME "
    "SELECT * REPLACE (cp::JSON AS cp) FROM {src}"
)
PART_DELETE = (
    "DELETE FROM hj212_subpacket_part p USING {src} d WHERE p.mn = d.mn AND p.cn = d.cn "
    "AND p.data_time = d.data_time AND p.pnum = d.pnum"
)
SEEN_UPSERT = (
    "INSERT INTO monitor_point AS m (mn, last_seen, last_cn, last_peer, edition, registered, st) "
    "SELECT * FROM {src} ON CONFLICT (mn) DO UPDATE SET "
    "last_seen = greatest(m.last_seen, excluded.last_seen), last_cn = excluded.last_cn, "
    "last_peer = excluded.last_peer, edition = excluded.edition, st = coalesce(m.st, excluded.st)"
)
