"""Raising alerts: new and changed findings and exceedance events into de-duplicated alerts.

The de-duplication key is ``kind|mn|pollutant|rule`` (``rule`` is the anomaly rule, or the
limit's period ``hour`` / ``day`` for an exceedance). For each finding (`anomaly` row) or event
(`exceedance` row) that is new or has changed since the last call (``alert_source`` remembers
the ``updated_at`` of every row already taken):

- a row already linked to an alert that is not closed updates that alert (``last_seen``,
  ``peak``, ``detail``, ``active``, severity raised when higher); linked to a closed alert it
  changes nothing: closing says the case is handled, and the same finding going on is no
  recurrence;
- a new row joins the open or acknowledged alert of its key (``occurrences`` + 1), or, when
  there is none (never raised, or closed), opens a new alert and queues one delivery per
  configured channel that takes the alert's severity and region.

Batch detection and the stream detector call :func:`raise_alerts` after they have stored their
findings and events, so both raise the same alerts. Everything happens in one transaction: a
failure (a write conflict with a concurrent caller) leaves the rows unmarked and the next call
takes them again, so no finding is ever skipped.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

import duckdb

from ecohub.cst import CST
from ecohub.settings import AlertChannel

__all__ = ["SEVERITY_RANK", "channel_takes", "raise_alerts"]

#: Severities in rising order (the rules' ``low | medium | high``).
SEVERITY_RANK = {"low": 0, "medium": 1, "high": 2}
#: An exceedance of a permit limit is a violation of the permit: the highest severity (our
#: choice; a bureau acts on every one).
EXCEEDANCE_SEVERITY = "high"

_CHANGED = f"""
SELECT 'finding' AS kind, a.id, a.updated_at, l.alert_id, a.mn, a.source_code, a.outlet_code,
       src.region_code, a.pollutant, a.rule, a.severity, a.start, a."end",
       a.evidence::VARCHAR AS detail,
       TRY_CAST(a.evidence->>'max' AS DOUBLE) AS peak,
       coalesce(TRY_CAST(a.evidence->>'open' AS BOOLEAN), false) AS active
FROM anomaly a
LEFT JOIN alert_source l ON l.kind = 'finding' AND l.ref_id = a.id
LEFT JOIN source src ON src.source_code = a.source_code
WHERE l.ref_id IS NULL OR l.ref_updated_at IS DISTINCT FROM a.updated_at
UNION ALL
SELECT 'exceedance', e.id, e.updated_at, l.alert_id, e.mn, e.source_code, e.outlet_code,
       src.region_code, e.pollutant, e.period, '{EXCEEDANCE_SEVERITY}', e.start, e."end",
       json_object('peak', e.peak, 'limit', e."limit", 'multiple', e.multiple,
                   'permit_no', e.permit_no, 'period', e.period)::VARCHAR,
       e.multiple, e.open
FROM exceedance e
LEFT JOIN alert_source l ON l.kind = 'exceedance' AND l.ref_id = e.id
LEFT JOIN source src ON src.source_code = e.source_code
WHERE l.ref_id IS NULL OR l.ref_updated_at IS DISTINCT FROM e.updated_at
ORDER BY 12, 1, 2
"""
_FIELDS = ("kind", "ref_id", "ref_updated_at", "alert_id", "mn", "source_code", "outlet_code",
           "region_code", "pollutant", "rule", "severity", "start", "end", "detail", "peak",
           "active")  # fmt: skip

_UPDATE = """
UPDATE alert SET
    first_seen = least(first_seen, ?), last_seen = greatest(last_seen, ?),
    occurrences = occurrences + ?,
    peak = CASE WHEN ? IS NULL THEN peak ELSE greatest(coalesce(peak, ?), ?) END,
    active = ?, detail = ?::JSON, severity = ?, updated_at = ?
WHERE id = ?
"""

_INSERT = """
INSERT INTO alert (dedup_key, kind, mn, source_code, outlet_code, region_code, pollutant, rule,
                   severity, state, first_seen, last_seen, occurrences, peak, active, detail,
                   raised_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, ?, 1, ?, ?, ?::JSON, ?, ?)
RETURNING id
"""


def dedup_key(kind: str, mn: str, pollutant: str, rule: str) -> str:
    """The text that one alert stands for while it is not closed."""
    return f"{kind}|{mn}|{pollutant}|{rule}"


def channel_takes(channel: AlertChannel, severity: str, region_code: str | None) -> bool:
    """Whether ``channel`` is sent an alert of ``severity`` about a source in ``region_code``
    (a channel's region covers its GB/T 2260 sub-divisions; a source without a region reaches
    only channels without one)."""
    from ecohub.access.scope import region_prefix

    if SEVERITY_RANK[severity] < SEVERITY_RANK[channel.min_severity]:
        return False
    if channel.region is None:
        return True
    return region_code is not None and region_code.startswith(region_prefix(channel.region))


@contextlib.contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """One transaction, or the caller's when it already has one."""
    try:
        con.execute("BEGIN")
    except duckdb.TransactionException:  # the caller's transaction: it commits
        yield
        return
    try:
        yield
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def raise_alerts(
    con: duckdb.DuckDBPyConnection,
    channels: Sequence[AlertChannel] | None = None,
    now: datetime | None = None,
) -> dict[str, int]:
    """Take every new or changed finding and event into alerts (see the module doc) and queue
    the deliveries of the alerts opened. ``channels``: default, the settings'
    ``alert_channels``. Returns the counts ``opened``, ``updated`` and ``queued``."""
    if channels is None:
        from ecohub.settings import get_settings

        channels = get_settings().alert_channels
    at = now or datetime.now(CST)
    counts = {"opened": 0, "updated": 0, "queued": 0}
    with transaction(con):
        rows = [dict(zip(_FIELDS, r, strict=True)) for r in con.execute(_CHANGED).fetchall()]
        for row in rows:
            _take(con, row, channels, at, counts)
    return counts


def _take(
    con: duckdb.DuckDBPyConnection,
    row: dict[str, Any],
    channels: Sequence[AlertChannel],
    at: datetime,
    counts: dict[str, int],
) -> None:
    key = dedup_key(row["kind"], row["mn"], row["pollutant"], row["rule"])
    linked = row["alert_id"]
    if linked is not None:
        found = con.execute(
            "SELECT id, state, severity FROM alert WHERE id = ?", [linked]
        ).fetchone()
        target = found if found is not None and found[1] != "closed" else None
        new_occurrence = 0
    else:
        target = con.execute(
            "SELECT id, state, severity FROM alert WHERE dedup_key = ? AND state <> 'closed' "
            "ORDER BY id DESC LIMIT 1",
            [key],
        ).fetchone()
        new_occurrence = 1
    alert_id = linked
    if target is not None:
        alert_id = target[0]
        severity = max(target[2], row["severity"], key=SEVERITY_RANK.__getitem__)
        peak = row["peak"]
        con.execute(_UPDATE, [row["start"], row["end"], new_occurrence, peak, peak, peak,
                              row["active"], row["detail"], severity, at, alert_id])  # fmt: skip
        counts["updated"] += 1
    elif linked is None:
        made = con.execute(
            _INSERT,
            [key, row["kind"], row["mn"], row["source_code"], row["outlet_code"],
             row["region_code"], row["pollutant"], row["rule"], row["severity"], row["start"],
             row["end"], row["peak"], row["active"], row["detail"], at, at],
        ).fetchone()  # fmt: skip
        assert made is not None
        alert_id = made[0]
        counts["opened"] += 1
        for ch in channels:
            if channel_takes(ch, row["severity"], row["region_code"]):
                con.execute(
                    "INSERT INTO alert_delivery (alert_id, channel, event, next_try, created_at) "
                    "VALUES (?, ?, 'opened', ?, ?)",
                    [alert_id, ch.name, at, at],
                )
                counts["queued"] += 1
    con.execute(
        "INSERT INTO alert_source (kind, ref_id, alert_id, ref_updated_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (kind, ref_id) DO UPDATE SET ref_updated_at = excluded.ref_updated_at",
        [row["kind"], row["ref_id"], alert_id, row["ref_updated_at"]],
    )


def detail_json(text: str | None) -> dict[str, Any]:
    """A stored ``detail`` as a dict (``{}`` for none)."""
    return json.loads(text) if text else {}
