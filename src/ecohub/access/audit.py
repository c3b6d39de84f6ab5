"""The audit log: append-only, hash-chained, verifiable.

Each entry's ``hash`` is SHA-256 over a canonical serialisation (:func:`canonical`) of its
content, its ``seq`` and the previous entry's hash (``prev_hash``; 64 zeros for the first).
So altering an entry breaks its own hash, removing one breaks the next entry's link and the
gap-free ``seq``, and moving one breaks its hash (``seq`` is hashed).

A chain alone cannot show that its *last* entries were cut off. So every append also writes
the head (``seq`` and ``hash`` of the newest entry) to ``audit.head`` beside the store file;
:func:`ecohub.access.audit_read.verify` checks the table still reaches that head. This
catches a truncation made through the database (a SQL ``DELETE``) by someone who does not
also rewrite the file; it does not protect against someone with write access to the whole data
folder, who can rewrite both.
Against that, copy the head elsewhere (a syslog host, a ticket) — see docs/operations.md.

Appends to one store are serialised by one lock per store file, so ``seq`` and the chain never
fork; the store has one writing process at a time (DuckDB's file lock), so that lock is enough.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from ecohub.access._db import first
from ecohub.access.principal import Principal

GENESIS = "0" * 64
HEAD_FILE = "audit.head"
_COLUMNS = (
    "seq, logged_at, user_name, via, action, route, filters, rows, result, prev_hash, hash, client"
)


@dataclass(frozen=True)
class BadEntry:
    """The first entry :func:`ecohub.access.audit_read.verify` found wrong, and why."""

    seq: int
    reason: str

    def __str__(self) -> str:
        return f"audit entry {self.seq}: {self.reason}"


def canonical_filters(filters: Mapping[str, Any] | None) -> str:
    """The filters as canonical JSON text (sorted keys, no spaces); stored and hashed verbatim."""
    return json.dumps(
        dict(filters or {}), sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def canonical(
    seq: int,
    at: datetime,
    user: str,
    via: str,
    action: str,
    route: str,
    filters: str,
    rows: int | None,
    result: str,
    prev_hash: str,
    client: str | None = None,
) -> bytes:
    """The bytes an entry's hash covers: a JSON array of every column but ``hash``.

    ``client`` (the address a request came from) is appended only when there is one, so
    entries written before the column existed (migration 027) keep their hashes."""
    fields = [seq, _iso(at), user, via, action, route, filters, rows, result, prev_hash]
    if client is not None:
        fields.append(client)
    return json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode()


def entry_hash(*fields: Any) -> str:
    return hashlib.sha256(canonical(*fields)).hexdigest()


def head_path(con: duckdb.DuckDBPyConnection) -> Path | None:
    """``audit.head`` beside the store file; ``None`` for an in-memory store."""
    row = first(
        con.execute(
            "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
        ).fetchall()
    )
    if not row or not row[0]:
        return None
    return Path(row[0]).resolve().parent / HEAD_FILE


def _write_head(path: Path, seq: int, digest: str) -> None:
    tmp = path.with_name(f".{HEAD_FILE}.{os.getpid()}.{threading.get_ident()}")
    tmp.write_text(f"{seq} {digest}\n", encoding="ascii")
    os.replace(tmp, path)


def read_head(path: Path | None) -> tuple[int, str] | None:
    if path is None:
        return None
    try:
        seq, digest = path.read_text(encoding="ascii").split()
        return int(seq), digest
    except FileNotFoundError:
        return None
    except (OSError, ValueError, UnicodeDecodeError):
        return (-1, "unreadable")


@dataclass(frozen=True)
class Entry:
    """One entry before it has a place in the chain."""

    at: datetime
    user: str
    via: str
    action: str
    route: str
    filters: str  # canonical JSON text
    rows: int | None
    result: str
    client: str | None = None  # the address the request came from; None for local calls


def entry(
    principal: Principal,
    action: str,
    route: str,
    filters: Mapping[str, Any] | None = None,
    rows: int | None = None,
    result: str = "ok",
    *,
    user: str | None = None,
    via: str | None = None,
    client: str | None = None,
) -> Entry:
    """An entry stamped now; ``user`` and ``via`` override the principal's."""
    return Entry(
        datetime.now(UTC),
        user if user is not None else principal.name,
        via if via is not None else principal.via,
        action,
        route,
        canonical_filters(filters),
        rows,
        result,
        client,
    )


class _Head:
    """The newest entry of one store's chain, cached so an append need not search for it."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.seq = 0
        self.hash = GENESIS
        self.known = False


_HEADS: dict[str, _Head] = {}
_HEADS_LOCK = threading.Lock()


def _head_of(key: str | None) -> _Head:
    if key is None:  # an in-memory store: one lock, no cache
        key = ":memory:"
    with _HEADS_LOCK:
        return _HEADS.setdefault(key, _Head())


def _load_head(con: duckdb.DuckDBPyConnection, head: _Head) -> None:
    top = first(
        con.execute(
            "SELECT seq, hash FROM audit_log WHERE seq = (SELECT max(seq) FROM audit_log)"
        ).fetchall()
    )
    head.seq, head.hash = (int(top[0]), top[1]) if top else (0, GENESIS)


def append(
    con: duckdb.DuckDBPyConnection, entries: list[Entry], head_file: Path | None = None
) -> int:
    """Chain and insert ``entries`` in one transaction; return the last ``seq``.

    The caller passes the store's ``head_file`` (see :func:`head_path`) or ``None`` for none.
    """
    if not entries:
        return 0
    head = _head_of(str(head_file) if head_file is not None else None)
    with head.lock:
        try:
            return _append_locked(con, head, entries, head_file)
        except duckdb.ConstraintException:
            # Another writer took our next seq (the cache was behind): read the head, retry once.
            head.known = False
            return _append_locked(con, head, entries, head_file)


def _arrow(rows: list[list[Any]]) -> pa.Table:
    columns = list(zip(*rows, strict=True))
    types = [
        pa.int64(), pa.timestamp("us", tz="UTC"), pa.string(), pa.string(), pa.string(),
        pa.string(), pa.string(), pa.int64(), pa.string(), pa.string(), pa.string(), pa.string(),
    ]  # fmt: skip
    names = [c.strip() for c in _COLUMNS.split(",")]
    return pa.table([pa.array(c, type=t) for c, t in zip(columns, types, strict=True)], names=names)


def _append_locked(
    con: duckdb.DuckDBPyConnection, head: _Head, entries: list[Entry], head_file: Path | None
) -> int:
    if head.known and head_file is not None and head.seq > 0:
        # The cached head must still be in the table (one primary-key read); if not, the table
        # changed under us (say, a new store at the same path): read the head again.
        top = first(con.execute("SELECT hash FROM audit_log WHERE seq = ?", [head.seq]).fetchall())
        head.known = top is not None and top[0] == head.hash
    if not head.known or head_file is None or head.seq == 0:
        _load_head(con, head)
        head.known = True
    seq, prev = head.seq, head.hash
    rows = []
    for e in entries:
        seq += 1
        fields = (seq, e.at, e.user, e.via, e.action, e.route, e.filters, e.rows, e.result)
        digest = entry_hash(*fields, prev, e.client)
        rows.append([*fields, prev, digest, e.client])
        prev = digest
    con.execute("BEGIN")
    try:
        if len(rows) == 1:
            con.execute(
                f"INSERT INTO audit_log ({_COLUMNS}) VALUES ({', '.join('?' * 12)})", rows[0]
            )
        else:  # one Arrow table per batch: executemany costs ~1 ms per row
            batch = _arrow(rows)  # noqa: F841 - read by the INSERT below (DuckDB replacement scan)
            con.execute(f"INSERT INTO audit_log ({_COLUMNS}) SELECT * FROM batch")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        head.known = False
        raise
    head.seq, head.hash = seq, prev
    if head_file is not None:
        _write_head(head_file, seq, prev)
    return seq


def record(
    con: duckdb.DuckDBPyConnection,
    principal: Principal,
    action: str,
    route: str,
    filters: Mapping[str, Any] | None = None,
    rows: int | None = None,
    result: str = "ok",
    *,
    user: str | None = None,
    via: str | None = None,
    client: str | None = None,
) -> int:
    """Append one entry now (committed when this returns) and return its ``seq``.

    ``user`` and ``via`` override the principal's (a failed log-in records the name that was
    tried and how; ``client`` the address it came from). Requests in the API go through
    :class:`ecohub.access.audit_writer.AuditWriter` instead, which commits many entries at once.
    """
    e = entry(principal, action, route, filters, rows, result, user=user, via=via, client=client)
    return append(con, [e], head_path(con))
