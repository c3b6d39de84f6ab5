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
  configured channel that takes the alert's severity and region; several new rows of one key in
  one call open one alert (``occurrences`` = their number).

All of it is set-based SQL over the changed rows (one ``UPDATE ... FROM`` for every alert
touched, one ``INSERT ... SELECT`` for the keys without an alert): a province's stream widens
thousands of open findings per judgement (bench/alerts.py).

Batch detection and the stream detector call :func:`raise_alerts` after they have stored their
findings and events, so both raise the same alerts: batch over every changed row, the stream over
the ids its judgement wrote (``only=``, with a full sweep now and then; docs/supervision.md).
Everything happens in one transaction: a failure (a write conflict with a concurrent caller)
leaves the rows unmarked and the next call takes them again, so no finding is ever skipped.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime

import duckdb
import pyarrow as pa

from ecohub.cst import CST
from ecohub.settings import AlertChannel
from ecohub.store.db import own_transaction
from ecohub.supervision.alerts.routing import SEVERITY_RANK, routes

__all__ = ["SEVERITY_RANK", "raise_alerts"]

#: An exceedance of a permit limit is a violation of the permit: the highest severity (our
#: choice; a bureau acts on every one).
EXCEEDANCE_SEVERITY = "high"

_CHANGED = f"""
SELECT 'finding' AS kind, a.id AS ref_id, a.updated_at AS ref_updated_at, l.alert_id, a.mn,
       a.source_code, a.outlet_code, src.region_code, a.pollutant, a.rule, a.severity, a.start,
       a."end",
       a.evidence::VARCHAR AS detail,
       TRY_CAST(a.evidence->>'max' AS DOUBLE) AS peak,
       coalesce(TRY_CAST(a.evidence->>'open' AS BOOLEAN), false) AS active
FROM anomaly a
LEFT JOIN alert_source l ON l.kind = 'finding' AND l.ref_id = a.id
LEFT JOIN source src ON src.source_code = a.source_code
WHERE (l.ref_id IS NULL OR l.ref_updated_at IS DISTINCT FROM a.updated_at){{only_finding}}
UNION ALL
SELECT 'exceedance', e.id, e.updated_at, l.alert_id, e.mn, e.source_code, e.outlet_code,
       src.region_code, e.pollutant, e.period, '{EXCEEDANCE_SEVERITY}', e.start, e."end",
       json_object('peak', e.peak, 'limit', e."limit", 'multiple', e.multiple,
                   'permit_no', e.permit_no, 'period', e.period,
                   'reference_o2', pl.reference_o2, 'unit', pl.unit)::VARCHAR,
       e.multiple, e.open
FROM exceedance e
LEFT JOIN alert_source l ON l.kind = 'exceedance' AND l.ref_id = e.id
LEFT JOIN source src ON src.source_code = e.source_code
-- The limit's row (its key: at most one): its reference O2, and its unit, the unit of the peak
-- and the limit (mg/m3 for flue gas, mg/L for waste water).
LEFT JOIN permit_limit pl ON pl.permit_no = e.permit_no AND pl.outlet_code = e.outlet_code
      AND pl.pollutant = e.pollutant AND pl.period = e.period
WHERE (l.ref_id IS NULL OR l.ref_updated_at IS DISTINCT FROM e.updated_at){{only_exceedance}}
"""
_RANK = "CASE {c} WHEN 'low' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END"

# Every changed row with its key, and where it goes: ``target`` = the alert it updates (its own
# alert when that is not closed; for a new row, the open or acknowledged alert of its key), NULL
# for a new row that opens an alert and for a row of a closed alert (it only updates its link).
_TARGETS = """
CREATE OR REPLACE TEMP TABLE _al_rows AS
WITH c AS ({changed}),
i AS (SELECT *, kind || '|' || mn || '|' || pollutant || '|' || rule AS key,
             {rank} AS rank FROM c),
open_key AS (SELECT dedup_key, max(id) AS id FROM alert WHERE state <> 'closed'
             GROUP BY dedup_key)
SELECT i.*, i.alert_id IS NULL AS is_new,
       CASE WHEN i.alert_id IS NOT NULL THEN (CASE WHEN la.state <> 'closed' THEN la.id END)
            ELSE ok.id END AS target
FROM i LEFT JOIN alert la ON la.id = i.alert_id
LEFT JOIN open_key ok ON ok.dedup_key = i.key AND i.alert_id IS NULL
"""


def _targets(only: Mapping[str, Collection[int]] | None) -> str:
    """`_TARGETS` over every changed row, or over the changed rows among the ids of ``only``
    (a literal list of integers: cheaper to plan than a join with a registered table)."""

    def within(alias: str, kind: str) -> str:
        if only is None:
            return ""
        ids = ", ".join(str(int(i)) for i in only.get(kind, ()))
        return f"\n  AND {alias}.id IN ({ids})" if ids else "\n  AND false"

    changed = _CHANGED.format(
        only_finding=within("a", "finding"), only_exceedance=within("e", "exceedance")
    )
    return _TARGETS.format(changed=changed, rank=_RANK.format(c="severity"))


# One update per alert from all its rows: widen the period, count the new rows, raise peak and
# severity; detail and active from the latest row when it is the latest the alert has seen.
_UPDATE = f"""
UPDATE alert AS a SET
    first_seen = least(a.first_seen, u.start), last_seen = greatest(a.last_seen, u."end"),
    occurrences = a.occurrences + u.n_new,
    peak = CASE WHEN u.peak IS NULL THEN a.peak ELSE greatest(coalesce(a.peak, u.peak), u.peak) END,
    active = CASE WHEN u."end" >= a.last_seen THEN u.active ELSE a.active END,
    detail = CASE WHEN u."end" >= a.last_seen THEN u.detail::JSON ELSE a.detail END,
    severity = CASE WHEN u.rank > {_RANK.format(c="a.severity")} THEN u.severity
                    ELSE a.severity END,
    updated_at = ?
FROM (SELECT target, min(start) AS start, max("end") AS "end", sum(is_new::INTEGER) AS n_new,
             max(peak) AS peak, arg_max(active, "end") AS active, arg_max(detail, "end") AS detail,
             max(rank) AS rank, arg_max(severity, rank) AS severity
      FROM _al_rows WHERE target IS NOT NULL GROUP BY target) u
WHERE a.id = u.target
"""

# One new alert per key of the new rows that found no alert to join; ids in the order the
# findings and events began.
_INSERT = """
INSERT INTO alert (dedup_key, kind, mn, source_code, outlet_code, region_code, pollutant, rule,
                   severity, state, first_seen, last_seen, occurrences, peak, active, detail,
                   raised_at, updated_at)
SELECT key, any_value(kind), any_value(mn), arg_max(source_code, "end"),
       arg_max(outlet_code, "end"), arg_max(region_code, "end"), any_value(pollutant),
       any_value(rule), arg_max(severity, rank), 'open', min(start), max("end"), count(*),
       max(peak), arg_max(active, "end"), arg_max(detail, "end")::JSON, ?, ?
FROM _al_rows WHERE is_new AND target IS NULL GROUP BY key
ORDER BY min(start), key
RETURNING id, dedup_key, severity, region_code
"""

_LINK = """
INSERT INTO alert_source (kind, ref_id, alert_id, ref_updated_at)
SELECT r.kind, r.ref_id, coalesce(r.target, r.alert_id, n.id), r.ref_updated_at
FROM _al_rows r LEFT JOIN _al_new n ON r.is_new AND r.target IS NULL AND n.dedup_key = r.key
ON CONFLICT (kind, ref_id) DO UPDATE SET ref_updated_at = excluded.ref_updated_at
"""


def dedup_key(kind: str, mn: str, pollutant: str, rule: str) -> str:
    """The text that one alert stands for while it is not closed."""
    return f"{kind}|{mn}|{pollutant}|{rule}"


def raise_alerts(
    con: duckdb.DuckDBPyConnection,
    channels: Sequence[AlertChannel] | None = None,
    now: datetime | None = None,
    *,
    only: Mapping[str, Collection[int]] | None = None,
) -> dict[str, int]:
    """Take every new or changed finding and event into alerts (see the module doc) and queue
    the deliveries of the alerts opened. ``channels``: default, the settings'
    ``alert_channels``. ``only``: look at these rows alone, ``{"finding": anomaly ids,
    "exceedance": event ids}`` (the ones a caller has just written; the stream detector) instead
    of scanning every row for changes; each is still taken only when new or changed. Returns
    the counts ``opened``, ``updated`` and ``queued``."""
    if channels is None:
        from ecohub.settings import get_settings

        channels = get_settings().alert_channels
    at = now or datetime.now(CST)
    counts = {"opened": 0, "updated": 0, "queued": 0}
    if only is not None and not any(only.get(k) for k in ("finding", "exceedance")):
        return counts
    with own_transaction(con):
        _raise(con, channels, at, counts, only)
    return counts


def _raise(
    con: duckdb.DuckDBPyConnection,
    channels: Sequence[AlertChannel],
    at: datetime,
    counts: dict[str, int],
    only: Mapping[str, Collection[int]] | None,
) -> None:
    try:
        con.execute(_targets(only))
        updated = con.execute(_UPDATE, [at]).fetchone()
        counts["updated"] = int(updated[0]) if updated else 0
        new = con.execute(_INSERT, [at, at]).fetchall()
        counts["opened"] = len(new)
        # the alerts just opened: their keys had no alert that is not closed before
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _al_new AS SELECT id, dedup_key FROM alert "
            "WHERE state = 'open' AND raised_at = ? AND dedup_key IN "
            "(SELECT key FROM _al_rows WHERE is_new AND target IS NULL)",
            [at],
        )
        con.execute(_LINK)
        queued = routes(con, channels, new)
        if queued:
            q = pa.table({"alert_id": [a for a, _ in queued], "channel": [c for _, c in queued]})
            con.register("_al_queue", q)
            try:
                con.execute(
                    "INSERT INTO alert_delivery (alert_id, channel, event, next_try, "
                    "created_at) SELECT alert_id, channel, 'opened', ?, ? FROM _al_queue",
                    [at, at],
                )
            finally:
                con.unregister("_al_queue")
        counts["queued"] = len(queued)
    finally:
        con.execute("DROP TABLE IF EXISTS _al_rows")
        con.execute("DROP TABLE IF EXISTS _al_new")
