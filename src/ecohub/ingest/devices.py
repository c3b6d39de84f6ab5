"""Device (MN) status and operator queries over `monitor_point` and `packet_log`.

Plain data in and out: the CLI and the HTTP API both call these.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import duckdb

from ecohub.protocols.hj212.constants import MAX_MN_LENGTH
from ecohub.store.db import retried_write


def device_status(
    con: duckdb.DuckDBPyConnection,
    now: datetime,
    offline_after_s: float,
    *,
    only: str | None = None,
) -> list[dict[str, Any]]:
    """Every known device with its last-seen time and whether it is online.

    A device is offline when silent for longer than its own ``interval_s`` (times 2, one
    missed report is tolerated) or, without one, ``offline_after_s``. ``only`` filters on
    ``online``/``offline``/``unregistered``.
    """
    rows = con.execute(
        """
        SELECT mn, name, source_code, outlet_code, st, registered, policy, edition,
               last_seen, last_cn, last_peer, interval_s,
               coalesce(interval_s * 2, ?) AS allowed_s
        FROM monitor_point ORDER BY mn
        """,
        [offline_after_s],
    ).fetchall()
    names = (
        "mn", "name", "source_code", "outlet_code", "st", "registered", "policy", "edition",
        "last_seen", "last_cn", "last_peer", "interval_s", "allowed_s",
    )  # fmt: skip
    out = []
    for row in rows:
        rec = dict(zip(names, row, strict=True))
        last = rec["last_seen"]
        silent = None if last is None else (now - last).total_seconds()
        rec["silent_s"] = silent
        rec["online"] = silent is not None and silent <= rec.pop("allowed_s")
        if only == "online" and not rec["online"]:
            continue
        if only == "offline" and rec["online"]:
            continue
        if only == "unregistered" and rec["registered"]:
            continue
        out.append(rec)
    return out


def deviations(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Devices whose rejected packets would pass under a known deviation, with counts."""
    rows = con.execute(
        """
        SELECT p.mn, p.would_pass, count(*) AS packets, min(p.received_at) AS first_at,
               max(p.received_at) AS last_at, any_value(m.policy) AS policy
        FROM packet_log p LEFT JOIN monitor_point m USING (mn)
        WHERE p.would_pass IS NOT NULL
        GROUP BY p.mn, p.would_pass ORDER BY packets DESC, p.mn
        """
    ).fetchall()
    keys = ("mn", "deviation", "packets", "first_at", "last_at", "policy")
    return [dict(zip(keys, r, strict=True)) for r in rows]


# MN syntax. HJ 212-2017 6.3.2 table 4 gives MN as C27 counting "MN=", so 24 characters, and
# says they are the EPC-96 code written as 24 characters 0-9 A-F; HJ/T 212-2005 gives a 14-digit
# monitoring-point number (7 digits of the maker's organisation code + 7 of its own). Real MNs
# stray from both (letters, '_', '-', '.'), and the codec accepts 1..MAX_MN_LENGTH of
# [0-9A-Za-z_.-] (header._MN_RE). An MN is valid here exactly when the codec would accept it
# in a packet, so every device that can send can be registered, and nothing else can be.
_MN_RE = re.compile(rf"[0-9A-Za-z_.\-]{{1,{MAX_MN_LENGTH}}}")


def validate_mn(mn: object) -> str:
    """``mn`` if it is an MN a packet could carry; otherwise ValueError naming ``mn``."""
    if not isinstance(mn, str):
        raise ValueError(f"mn: must be text, not {type(mn).__name__}")
    if not mn:
        raise ValueError("mn: must not be empty")
    if len(mn) > MAX_MN_LENGTH:
        raise ValueError(
            f"mn: {len(mn)} characters; an HJ 212 MN has at most {MAX_MN_LENGTH} "
            "(24 in HJ 212-2017, 14 in HJ/T 212-2005)"
        )
    if not _MN_RE.fullmatch(mn):
        bad = next(c for c in mn if not _MN_RE.fullmatch(c))
        raise ValueError(
            f"mn: character {bad!r} is not allowed; an MN is letters, digits, '_', '-' or '.'"
        )
    return mn


def set_policy(con: duckdb.DuckDBPyConnection, mn: str, policy: str) -> None:
    """Set the parsing policy (``strict`` or ``lenient``) of a device already known.

    Known: registered, or seen by the server (it has a row). Never creates or registers a
    device: ValueError naming ``mn`` for an MN that is not valid or not known.
    """
    validate_mn(mn)
    if policy not in ("strict", "lenient"):
        raise ValueError(f"policy: must be 'strict' or 'lenient', not {policy!r}")

    # No UPDATE ... RETURNING: DuckDB fails it with a write-write conflict when an open reader
    # still sees an older version of the row (the writer updates monitor_point all the time).
    def work() -> bool:
        if not con.execute("SELECT 1 FROM monitor_point WHERE mn = ?", [mn]).fetchall():
            return False
        con.execute("UPDATE monitor_point SET policy = ? WHERE mn = ?", [policy, mn])
        return True

    if not retried_write(con, work):
        raise ValueError(
            f"mn: no device {mn!r} has been registered or seen; register it first "
            "(ecohub hj212 register)"
        )


def register_device(
    con: duckdb.DuckDBPyConnection,
    mn: str,
    *,
    name: str | None = None,
    source_code: str | None = None,
    outlet_code: str | None = None,
    st: str | None = None,
    pw: str | None = None,
    interval_s: int | None = None,
) -> None:
    """Register (or update) a monitoring point; an MN seen before keeps its history.

    ValueError naming ``mn`` when the MN is not one a packet could carry (:func:`validate_mn`).
    """
    validate_mn(mn)
    con.execute(
        """
        INSERT INTO monitor_point AS m (mn, name, source_code, outlet_code, st, pw, interval_s,
                                       registered)
        VALUES (?, ?, ?, ?, ?, ?, ?, TRUE)
        ON CONFLICT (mn) DO UPDATE SET name = coalesce(excluded.name, m.name),
            source_code = coalesce(excluded.source_code, m.source_code),
            outlet_code = coalesce(excluded.outlet_code, m.outlet_code),
            st = coalesce(excluded.st, m.st), pw = coalesce(excluded.pw, m.pw),
            interval_s = coalesce(excluded.interval_s, m.interval_s), registered = TRUE
        """,
        [mn, name, source_code, outlet_code, st, pw, interval_s],
    )
    # Rows that arrived before registration stop being marked unregistered.
    con.execute("UPDATE emission SET registered = TRUE WHERE mn = ? AND NOT registered", [mn])
