"""Reassembly of split HJ 212 data uploads (PNUM/PNO, Flag's D bit), sans I/O.

HJ 212-2017 6.3.2 lets a sender split a long upload into PNUM packets numbered PNO = 1..PNUM.
Parts are collected by (MN, CN, DataTime, PNUM), in any order (a part may arrive before a part
with a lower PNO, the last one first), and each part is stored before it is answered (the
server writes it to `hj212_subpacket_part`); when every PNO has arrived the whole becomes one
set of `emission` rows. A reassembly still open ``timeout`` after its first part is given up:
what arrived is stored, marked incomplete.

Memory is bounded: at most ``max_open_per_peer`` open reassemblies per peer host,
``max_open`` in all, and ``max_parts`` parts held across them; a part beyond a limit is refused
(not answered, so the device sends it again later).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import duckdb
import orjson

from ecohub.ingest.emission_rows import Groups, Rejected, rows_of
from ecohub.ingest.work import Work
from ecohub.protocols import hj212

#: (MN, CN, DataTime, PNUM): the parts of one split upload.
Key = tuple[str, str, datetime, int]


@dataclass
class Reassembly:
    """One split upload being collected: its parts' fields merged, and who sent it."""

    key: Key
    peer_host: str
    started: datetime
    meta: dict[str, Any]  # header fields of the first part (qn, st, edition, ...)
    pnos: set[int] = field(default_factory=set)
    groups: Groups = field(default_factory=dict)
    # (code, field) -> PNO that gave it, to name both parts when two disagree.
    origin: dict[tuple[str, str], int] = field(default_factory=dict)


@dataclass(frozen=True)
class Added:
    """What adding a part did: ``state`` is ``duplicate`` (that PNO was held already: store
    nothing, answer again), ``held`` (stored as a part, more to come) or ``complete`` (every
    part is in: ``reassembly`` holds the whole)."""

    state: str
    reassembly: Reassembly


class Reassembler:
    """Open reassemblies of one server, with the limits of the module docstring."""

    def __init__(
        self, *, timeout_s: float, max_open_per_peer: int, max_open: int, max_parts: int
    ) -> None:
        self.timeout = timedelta(seconds=timeout_s)
        self.max_open_per_peer = max_open_per_peer
        self.max_open = max_open
        self.max_parts = max_parts
        self._open: dict[Key, Reassembly] = {}
        self._per_peer: dict[str, int] = {}
        self._parts = 0

    @property
    def open_count(self) -> int:
        return len(self._open)

    @property
    def parts_held(self) -> int:
        return self._parts

    def add(
        self,
        key: Key,
        pno: int,
        groups: Groups,
        *,
        peer_host: str,
        at: datetime,
        meta: dict[str, Any],
        enforce_limits: bool = True,
    ) -> Added:
        """Add part ``pno`` of the upload ``key``; :class:`Rejected` when a limit is reached
        or the part contradicts a part already held (same field, other text)."""
        pnum = key[3]
        if not 1 <= pno <= pnum:
            raise Rejected("MalformedField", f"PNO: {pno} is not between 1 and PNUM {pnum}")
        ra = self._open.get(key)
        if ra is not None and pno in ra.pnos:
            return Added("duplicate", ra)
        if enforce_limits:
            self._check_limits(ra, peer_host)
        if ra is not None:
            _check_agrees(ra, pno, groups)
        if ra is None:
            ra = self._open[key] = Reassembly(key, peer_host, at, meta)
            self._per_peer[peer_host] = self._per_peer.get(peer_host, 0) + 1
        for code, fields in groups.items():
            have = ra.groups.get(code)
            if have is None:
                have = ra.groups[code] = {}
            for name, text in fields.items():
                if name not in have:
                    have[name] = text
                    ra.origin[(code, name)] = pno
        ra.pnos.add(pno)
        ra.started = min(ra.started, at)
        self._parts += 1
        if len(ra.pnos) == pnum:
            self._close(ra)
            return Added("complete", ra)
        return Added("held", ra)

    def _check_limits(self, ra: Reassembly | None, peer_host: str) -> None:
        if self._parts >= self.max_parts:
            raise Rejected(
                "SubpacketLimit",
                f"PNO: {self._parts} parts of split uploads are held already "
                f"(hj212_subpacket_max_parts); send again later",
            )
        if ra is not None:
            return
        if len(self._open) >= self.max_open:
            raise Rejected(
                "SubpacketLimit",
                f"PNUM: {len(self._open)} split uploads are open already "
                f"(hj212_subpacket_max_open); send again later",
            )
        if self._per_peer.get(peer_host, 0) >= self.max_open_per_peer:
            raise Rejected(
                "SubpacketLimit",
                f"PNUM: this peer has {self.max_open_per_peer} split uploads open already "
                f"(hj212_subpacket_max_open_per_peer); send again later",
            )

    def _close(self, ra: Reassembly) -> None:
        del self._open[ra.key]
        self._parts -= len(ra.pnos)
        left = self._per_peer[ra.peer_host] - 1
        if left:
            self._per_peer[ra.peer_host] = left
        else:
            del self._per_peer[ra.peer_host]

    def expire(self, now: datetime) -> list[Reassembly]:
        """Close and return the reassemblies whose first part is older than the timeout."""
        cutoff = now - self.timeout
        old = [ra for ra in self._open.values() if ra.started <= cutoff]
        for ra in old:
            self._close(ra)
        return old


def _check_agrees(ra: Reassembly, pno: int, groups: Groups) -> None:
    for code, fields in groups.items():
        have = ra.groups.get(code)
        if have is None:
            continue
        for name, text in fields.items():
            prev = have.get(name)
            if prev is not None and prev != text:
                raise Rejected(
                    "MalformedCP",
                    f"CP.{code}-{name}: part {pno} gives {text[:20]!r}, part "
                    f"{ra.origin[(code, name)]} gave {prev[:20]!r}",
                )


class SplitUploads:
    """The server's side of reassembly: turns parts into the writer's work items."""

    def __init__(self, reassembler: Reassembler) -> None:
        self.reassembler = reassembler

    def take(self, pkt: hj212.Packet, work: Work, data_time: datetime, groups: Groups) -> None:
        """Fill ``work`` for part ``pkt.pno`` of a split upload: a part to keep, the whole
        once complete, or nothing new (a part resent) - each answered as its Flag asks."""
        assert pkt.mn is not None and pkt.cn is not None and pkt.pnum and pkt.pno
        key: Key = (pkt.mn, pkt.cn, data_time, pkt.pnum)
        meta = {
            "qn": work.qn, "st": work.st, "edition": work.edition,
            "deviation": work.deviation, "registered": work.registered, "peer": work.peer,
        }  # fmt: skip
        added = self.reassembler.add(
            key, pkt.pno, groups, peer_host=peer_host(work.peer), at=work.received_at, meta=meta
        )
        work.data_time = data_time
        if added.state == "duplicate":
            work.kind = "seen"
        elif added.state == "held":
            work.kind = "part"
            work.part = (pkt.pnum, pkt.pno, orjson.dumps(groups).decode())
        else:
            work.kind = "data"
            work.values = rows_of(added.reassembly.groups)
            work.done_key = key

    def expired(self, now: datetime) -> list[Work]:
        """Work items storing every reassembly past its timeout, marked incomplete."""
        return [_whole(ra, incomplete=True) for ra in self.reassembler.expire(now)]

    def load(self, con: duckdb.DuckDBPyConnection) -> list[Work]:
        """Re-open the reassemblies whose parts were stored before a restart; returns work for
        any that turn out complete (a part committed just before the whole could be)."""
        cur = con.cursor()
        try:
            rows = cur.execute(
                "SELECT mn, cn, data_time, pnum, pno, cp, qn, st, edition, deviation, "
                "registered, peer, received_at FROM hj212_subpacket_part ORDER BY received_at"
            ).fetchall()
        finally:
            cur.close()
        done = []
        for mn, cn, dt, pnum, pno, cp, qn, st, edition, deviation, reg, peer, at in rows:
            meta = {"qn": qn, "st": st, "edition": edition, "deviation": deviation,
                    "registered": reg, "peer": peer}  # fmt: skip
            added = self.reassembler.add(
                (mn, cn, dt, pnum), pno, orjson.loads(cp), peer_host=peer_host(peer or ""),
                at=at, meta=meta, enforce_limits=False,
            )  # fmt: skip
            if added.state == "complete":
                done.append(_whole(added.reassembly, incomplete=False))
        return done


def _whole(ra: Reassembly, *, incomplete: bool) -> Work:
    mn, cn, data_time, _ = ra.key
    m = ra.meta
    return Work(
        kind="data", received_at=ra.started, peer=m["peer"], raw=b"", mn=mn, st=m["st"], cn=cn,
        qn=m["qn"], edition=m["edition"], deviation=m["deviation"], registered=m["registered"],
        data_time=data_time, values=rows_of(ra.groups), incomplete=incomplete, done_key=ra.key,
    )  # fmt: skip


def peer_host(peer: str) -> str:
    """The host part of ``host:port``: limits apply per host, so reconnecting resets nothing."""
    host, sep, _ = peer.rpartition(":")
    return host if sep else peer
