"""HJ 212 devices, emissions, rejected packets and deviations, scoped.

A device's region is its source's region (``monitor_point.source_code`` → ``source``); an
enterprise user sees only devices of its own source codes. A device with no known source is
visible only to nationwide callers (nobody can say whose it is).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import duckdb
import pyarrow as pa

from ecohub.access.principal import Principal
from ecohub.access.scope import region_sql, source_sql
from ecohub.queries import NotFound, QueryError, packets
from ecohub.queries.listing import Keyset, window
from ecohub.queries.paging import decode_cursor, encode_cursor, fingerprint, page_size
from ecohub.queries.stations import when
from ecohub.store.lake_where import partition_where

# HJ 212 6.3.2 table 4: MN is C27; the character set is the codec's (letters, digits, _ - .).
MN_RE = re.compile(r"[0-9A-Za-z_.\-]{1,27}")
STATUSES = ("online", "offline", "unregistered")
POLICIES = ("strict", "lenient")

_DEVICES = "monitor_point m LEFT JOIN source src ON src.source_code = m.source_code"


def check_mn(mn: str) -> str:
    if not MN_RE.fullmatch(mn):
        raise QueryError("mn", "must be 1-27 letters, digits, '_', '-' or '.' (HJ 212 MN, C27)")
    return mn


def _scope(principal: Principal) -> tuple[str, list[Any]]:
    reg, rp = region_sql(principal, "src.region_code")
    own, op = source_sql(principal, "m.source_code")
    if principal.nationwide:
        return own, op
    return f"{reg} AND {own}", [*rp, *op]


def devices(
    con: duckdb.DuckDBPyConnection,
    principal: Principal,
    now: datetime,
    offline_after_s: float,
    *,
    status: str | None = None,
    mn: str | None = None,
) -> list[dict[str, Any]]:
    """Devices in scope with last-seen time and online state (silent for at most twice their
    own interval, or ``offline_after_s`` without one)."""
    if status is not None and status not in STATUSES:
        raise QueryError("status", f"must be one of {', '.join(STATUSES)}, got {status!r}")
    scope, params = _scope(principal)
    if mn is not None:
        scope += " AND m.mn = ?"
        params.append(mn)
    rows = con.execute(
        f"""
        SELECT * FROM (
          SELECT m.mn, m.name, m.source_code, m.outlet_code, m.st, m.registered, m.policy,
                 m.edition, m.last_seen, m.last_cn, m.last_peer, m.interval_s,
                 epoch(?::TIMESTAMPTZ - m.last_seen) AS silent_s,
                 coalesce(epoch(?::TIMESTAMPTZ - m.last_seen) <= coalesce(m.interval_s * 2, ?),
                          FALSE) AS online
          FROM {_DEVICES} WHERE {scope})
        WHERE CASE ? WHEN 'online' THEN online WHEN 'offline' THEN NOT online
                     WHEN 'unregistered' THEN NOT registered ELSE TRUE END
        ORDER BY mn
        """,
        [now, now, offline_after_s, *params, status or ""],
    ).fetch_arrow_table()
    return rows.to_pylist()


def visible(con: duckdb.DuckDBPyConnection, principal: Principal, mn: str) -> bool:
    scope, params = _scope(principal)
    got = con.execute(f"SELECT 1 FROM {_DEVICES} WHERE m.mn = ? AND {scope}", [mn, *params])
    return got.fetchone() is not None


def set_policy(
    con: duckdb.DuckDBPyConnection, principal: Principal, mn: str, policy: str
) -> dict[str, str]:
    """Set the parsing policy of a known device in the caller's scope (else :class:`NotFound`,
    whether unknown or out of scope). A policy never creates or registers a device: an MN is
    known only once registered (issue 9)."""
    check_mn(mn)
    if policy not in POLICIES:
        raise QueryError("policy", f"must be 'strict' or 'lenient', got {policy!r}")
    if not visible(con, principal, mn):
        raise NotFound("device", mn)
    from ecohub.ingest.devices import set_policy as store_policy

    try:
        store_policy(con, mn, policy)
    except ValueError as exc:  # not in monitor_point after all (raced with a delete)
        raise NotFound("device", mn) from exc
    return {"mn": mn, "policy": policy}


def emissions(
    con: duckdb.DuckDBPyConnection,
    principal: Principal,
    *,
    mn: str | None = None,
    pollutant: str | None = None,
    start: str | None = None,
    end: str | None = None,
    limit: int | None = None,
    cursor: str | None = None,
    export: bool = False,
) -> tuple[pa.Table, str | None]:
    """Stored emission values of devices in scope, by (mn, cn, data_time, pollutant); one page.
    Without a device or a start time: newest first (:func:`_newest_first`)."""
    if mn is not None:
        check_mn(mn)
    t0, t1 = when(start, "from"), when(end, "to")
    if t0 is not None and t1 is not None and t0 > t1:
        raise QueryError("from", f"{start} is after to: {end}")
    if mn is None and t0 is None:
        return _newest_first(con, principal, pollutant, start, t1, end, limit, cursor, export)
    n = page_size(limit, export=export)
    scope, params = _scope(principal)
    where = [scope]
    for cond, val in (
        ("e.mn = ?", mn),
        ("e.pollutant = ?", pollutant),
        ("e.data_time >= ?", t0),
        ("e.data_time < ?", t1),
    ):
        if val is not None:
            where.append(cond)
            params.append(val)
    parts, pp = partition_where("emission", "e", start=t0, end=t1, key=mn)
    where += parts
    params += pp
    fp = fingerprint(principal, {"mn": mn, "pollutant": pollutant, "from": start, "to": end})
    after = decode_cursor(cursor, fp, ("VARCHAR", "VARCHAR", "TIMESTAMPTZ", "VARCHAR"))
    if after is not None:
        where.append("(e.mn, e.cn, e.data_time, e.pollutant) > (?, ?, ?::TIMESTAMPTZ, ?)")
        params += after
    sql = (
        "SELECT e.mn, e.cn, e.data_time, e.pollutant, e.rtd, e.avg, e.min, e.max, e.cou,"
        f" e.zs_rtd, e.zs_avg, e.flag, {_VALUE_NOTES}, e.edition, e.deviation, e.registered,"
        " e.received_at"
        f" FROM emission_all e JOIN {_DEVICES} ON m.mn = e.mn WHERE {' AND '.join(where)}"
        " ORDER BY e.mn, e.cn, e.data_time, e.pollutant LIMIT ?"
    )
    table = con.execute(sql, [*params, n + 1]).fetch_arrow_table()
    nxt = None
    if table.num_rows > n:
        r = table.slice(n - 1, 1).to_pylist()[0]
        nxt = encode_cursor([r["mn"], r["cn"], r["data_time"].isoformat(), r["pollutant"]], fp)
        table = table.slice(0, n)
    return table, nxt


#: How to read a row's numbers: ``below_detection`` (a value written ``…L``, HJ 212-2017
#: 6.3.4: the number is the detection limit, an upper bound, not a measurement), ``incomplete``
#: (a split upload stored without all its parts) and ``fields`` (every field of the pollutant,
#: text exactly as the device sent it).
_VALUE_NOTES = "e.below_detection, e.incomplete, CAST(e.fields AS VARCHAR) AS fields"

NEWEST = Keyset(("data_time", "mn", "cn", "pollutant"),
                ("TIMESTAMPTZ", "VARCHAR", "VARCHAR", "VARCHAR"))  # fmt: skip


def _newest_first(
    con: duckdb.DuckDBPyConnection, principal: Principal, pollutant: str | None,
    start: str | None, t1: datetime | None, end: str | None, limit: int | None,
    cursor: str | None, export: bool,
) -> tuple[pa.Table, str | None]:  # fmt: skip
    """The unfiltered listing, by (data_time descending, mn, cn, pollutant): read window by
    window from the newest (:func:`_windows`; each window's bounds are constants, so the lake's
    Parquet statistics skip the files and row groups outside it) until the page is full,
    instead of sorting the whole lake for one page."""
    from ecohub.settings import get_settings
    from ecohub.store.lake import month_bounds, month_of, months

    filters = {"mn": None, "pollutant": pollutant, "from": start, "to": end, "order": "newest"}
    win = window(principal, filters, NEWEST, limit, cursor, export=export)
    scope, params = _scope(principal)
    where = [scope]
    for cond, val in (("e.pollutant = ?", pollutant), ("e.data_time < ?", t1)):
        if val is not None:
            where.append(cond)
            params.append(val)
    if win.after is not None:
        where.append("e.data_time <= ?::TIMESTAMPTZ AND (e.data_time < ?::TIMESTAMPTZ OR "
                     "(e.mn, e.cn, e.pollutant) > (?, ?, ?))")  # fmt: skip
        params += [win.after[0], *win.after]
    held = months(con, get_settings(), "emission")
    until = datetime.fromisoformat(win.after[0]) if win.after is not None else None
    if until is not None and held is not None:
        held = [m for m in held if m <= month_of(until)]
    spans = _windows([month_bounds(m) for m in held], until) if held is not None else [(None, None)]
    got: list[pa.Table] = []
    want = win.size + 1
    for lo, hi in spans:
        span, span_args = [], []
        if lo is not None:
            parts, pp = partition_where("emission", "e", start=lo, end=hi)
            span, span_args = ["e.data_time >= ?", "e.data_time < ?", *parts], [lo, hi, *pp]
        sql = (
            "SELECT e.mn, e.cn, e.data_time, e.pollutant, e.rtd, e.avg, e.min, e.max, e.cou,"
            f" e.zs_rtd, e.zs_avg, e.flag, {_VALUE_NOTES}, e.edition, e.deviation, e.registered,"
            " e.received_at"
            f" FROM emission_all e JOIN {_DEVICES} ON m.mn = e.mn"
            f" WHERE {' AND '.join(where + span)}"
            " ORDER BY e.data_time DESC, e.mn, e.cn, e.pollutant LIMIT ?"
        )
        part = con.execute(sql, [*params, *span_args, want])
        table = part.fetch_arrow_table()
        got.append(table)
        want -= table.num_rows
        if want <= 0:
            break
    if not got:
        empty = con.execute(
            "SELECT mn, cn, data_time, pollutant, rtd, avg, min, max, cou, zs_rtd, zs_avg, flag,"
            " edition, deviation, registered, received_at FROM emission LIMIT 0"
        )
        return empty.fetch_arrow_table(), None
    return win.cut_table(pa.concat_tables(got))


def _windows(
    months: list[tuple[datetime, datetime]], until: datetime | None
) -> Iterator[tuple[Any, Any]]:
    """Time windows from the newest back (before ``until``, a cursor's time, when given),
    within each month (newest first): the last day, then 2, 4, 8 ... days before it, so a page
    usually reads the files of a few days only (compaction writes a file per day)."""
    for start, end in months:
        hi, width = end, timedelta(days=1)
        if until is not None:
            hi = min(end, until + timedelta(microseconds=1))
        while hi > start:
            lo = max(start, hi - width)
            yield lo, hi
            hi, width = lo, width * 2


def rejected(
    con: duckdb.DuckDBPyConnection,
    principal: Principal,
    *,
    mn: str | None = None,
    limit: int | None = None,
    cursor: str | None = None,
) -> dict[str, Any]:
    """Rejected packets (newest first) of devices in scope, raw bytes as hex and as text."""
    if mn is not None:
        check_mn(mn)
    n = page_size(limit)
    scope, params = _scope(principal)
    where = [scope]
    if mn is not None:
        where.append("p.mn = ?")
        params.append(mn)
    fp = fingerprint(principal, {"mn": mn})
    after = decode_cursor(cursor, fp, ("BIGINT",))
    if after is not None:
        where.append("p.id < ?")
        params.append(int(after[0]))
    rows = (
        con.execute(
            "SELECT p.id, p.received_at, p.peer, p.mn, p.status, p.error, p.reason, p.would_pass,"
            f" {packets.hex_sql('p.raw')} AS raw_hex,"
            # try(): bytes that are not UTF-8 (a scanner, a TLS hello) are not text, not an error.
            " try(decode(p.raw)) IS NOT NULL AS is_text"
            f" FROM packet_log p LEFT JOIN {_DEVICES} ON m.mn = p.mn WHERE {' AND '.join(where)}"
            " ORDER BY p.id DESC LIMIT ?",
            [*params, n + 1],
        )
        .fetch_arrow_table()
        .to_pylist()
    )
    nxt = encode_cursor([str(rows[n - 1]["id"])], fp) if len(rows) > n else None
    return {"items": rows[:n], "next_cursor": nxt}


def deviations(con: duckdb.DuckDBPyConnection, principal: Principal) -> list[dict[str, Any]]:
    """Devices in scope whose rejected packets would pass under a known deviation."""
    scope, params = _scope(principal)
    return (
        con.execute(
            f"""
        SELECT p.mn, p.would_pass AS deviation, count(*) AS packets,
               min(p.received_at) AS first_at, max(p.received_at) AS last_at,
               any_value(m.policy) AS policy
        FROM packet_log p LEFT JOIN {_DEVICES} ON m.mn = p.mn
        WHERE p.would_pass IS NOT NULL AND {scope}
        GROUP BY p.mn, p.would_pass ORDER BY packets DESC, p.mn
        """,
            params,
        )
        .fetch_arrow_table()
        .to_pylist()
    )


def device(
    con: duckdb.DuckDBPyConnection,
    principal: Principal,
    mn: str,
    now: datetime,
    offline_after_s: float,
) -> dict[str, Any]:
    """One device in scope; :class:`NotFound` when unknown or outside the scope."""
    check_mn(mn)
    found = devices(con, principal, now, offline_after_s, mn=mn)
    if not found:
        raise NotFound("device", mn)
    return found[0]


def register(
    con: duckdb.DuckDBPyConnection,
    principal: Principal,
    mn: str,
    *,
    name: str | None = None,
    source_code: str | None = None,
    outlet_code: str | None = None,
    st: str | None = None,
    pw: str | None = None,
    interval_s: int | None = None,
) -> dict[str, Any]:
    """Register (or update) a monitoring point; an MN seen before keeps its history.

    Only a nationwide caller may register (a new MN has no region yet). Returns the MN.
    """
    from ecohub.access.scope import AccessDenied
    from ecohub.ingest.devices import register_device

    check_mn(mn)
    if not principal.nationwide:
        raise AccessDenied("only a nationwide operator may register devices")
    if st is not None and not (len(st) == 2 and st.isdigit()):
        raise QueryError("st", "must be the 2-digit HJ 212 system code")
    if pw is not None and not re.fullmatch(r"[0-9A-Za-z_.\-]{0,9}", pw):
        raise QueryError("pw", "must be at most 9 letters, digits, '_', '-' or '.' (HJ 212 PW, C9)")
    if interval_s is not None and not 1 <= interval_s <= 86_400:
        raise QueryError("interval_s", "must be between 1 and 86400 seconds")
    register_device(
        con,
        mn,
        name=name,
        source_code=source_code,
        outlet_code=outlet_code,
        st=st,
        pw=pw,
        interval_s=interval_s,
    )
    return {"mn": mn, "registered": True}
