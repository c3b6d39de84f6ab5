"""Reading the audit log: checking its hash chain against the head file (:func:`verify`),
listing entries (:func:`show`), and the check as plain data (:func:`verify_report`)."""

from __future__ import annotations

import contextlib
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from ecohub.access._db import first
from ecohub.access.audit import (
    _COLUMNS,
    GENESIS,
    HEAD_FILE,
    BadEntry,
    entry_hash,
    head_path,
    read_head,
)


def verify(con: duckdb.DuckDBPyConnection, head_file: Path | None = None) -> BadEntry | None:
    """``None`` if the chain is whole, else the first entry that is altered, missing or moved.

    ``head_file`` defaults to ``audit.head`` beside the store file.
    """
    expected_seq, prev = 1, GENESIS
    cur = con.cursor()
    try:
        cur.execute(f"SELECT {_COLUMNS} FROM audit_log ORDER BY seq")
        while batch := cur.fetchmany(10_000):
            for row in batch:
                (
                    seq,
                    at,
                    user,
                    via,
                    action,
                    route,
                    filters,
                    rows,
                    result,
                    prev_hash,
                    digest,
                    client,
                ) = row
                if seq != expected_seq:
                    return BadEntry(
                        expected_seq,
                        "removed"
                        if seq == expected_seq + 1
                        else f"removed (entries {expected_seq}-{seq - 1} are missing)",
                    )
                fields = (seq, at, user, via, action, route, filters, rows, result, prev_hash)
                if entry_hash(*fields, client) != digest:
                    return BadEntry(
                        seq, "content does not match its hash (altered, or moved from elsewhere)"
                    )
                if prev_hash != prev:
                    return BadEntry(seq, "does not link to the entry before it (chain broken)")
                expected_seq, prev = seq + 1, digest
    finally:
        cur.close()
    last_seq = expected_seq - 1
    path = head_file if head_file is not None else head_path(con)
    anchor = read_head(path)
    if anchor is None and path is not None and last_seq >= 1:
        # Every append writes the head: a log with entries and no head file lost its end's
        # witness, the way entries cut from the end would be hidden.
        return BadEntry(
            last_seq + 1,
            f"the head file {HEAD_FILE} is missing: entries may have been removed from the end",
        )
    if anchor is not None:
        seq, digest = anchor
        if seq < 0:
            return BadEntry(last_seq + 1, f"the head file {HEAD_FILE} is unreadable")
        if seq > last_seq:
            return BadEntry(
                last_seq + 1,
                f"removed from the end (the log ends at {last_seq}, its head file says {seq})",
            )
        if seq >= 1:
            top = first(con.execute("SELECT hash FROM audit_log WHERE seq = ?", [seq]).fetchall())
            if top is None or top[0] != digest:
                return BadEntry(seq, f"differs from the head recorded in {HEAD_FILE}")
    return None


def show(
    con: duckdb.DuckDBPyConnection,
    user: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Entries in ``seq`` order, optionally one user's, from ``since`` (inclusive) to ``until``
    (exclusive); ``limit`` keeps the newest."""
    where: list[str] = ["TRUE"]
    params: list[Any] = []
    if user is not None:
        where.append("user_name = ?")
        params.append(user)
    if since is not None:
        where.append("logged_at >= ?")
        params.append(since)
    if until is not None:
        where.append("logged_at < ?")
        params.append(until)
    sql = f"SELECT {_COLUMNS} FROM audit_log WHERE {' AND '.join(where)} ORDER BY seq"
    if limit is not None:
        sql = f"SELECT * FROM ({sql} DESC LIMIT {int(limit)}) ORDER BY seq"
    out = []
    for row in con.execute(sql, params).fetchall():
        seq, at, name, via, action, route, filters, rows, result, _prev, digest, client = row
        with contextlib.suppress(ValueError):
            filters = json.loads(filters)
        out.append(
            {
                "seq": seq,
                "at": at.isoformat(),
                "user": name,
                "via": via,
                "client": client,
                "action": action,
                "route": route,
                "filters": filters,
                "rows": rows,
                "result": result,
                "hash": digest,
            }
        )
    return out


def verify_report(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """:func:`verify` as plain data: ``intact``, ``entries`` (the count) and ``bad`` (the first
    wrong entry's ``seq``, ``reason`` and ``message``, or ``None``)."""
    bad = verify(con)
    count = con.execute("SELECT count(*) FROM audit_log").fetchall()[0][0]
    return {
        "intact": bad is None,
        "entries": count,
        "bad": None if bad is None else {"seq": bad.seq, "reason": bad.reason, "message": str(bad)},
    }
