"""Alerts as an inspector works them: list, show, acknowledge, close (audited).

Reads are scoped like the findings: ``access.source_sql`` on the alert's source and
``access.region_sql`` on that source's region (the registry's current one) are in the ``WHERE``
clause; an alert outside the caller's scope is :class:`~ecohub.queries.NotFound`, exactly as an
unknown id. States: ``open`` -> ``acknowledged`` -> ``closed``, and ``open`` -> ``closed``;
any other step is an :class:`AlertConflict` (HTTP 409) naming the state the alert is in.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import duckdb

from ecohub.access import Principal, region_sql, require_role, source_sql
from ecohub.cst import CST
from ecohub.queries import QueryError, scoped_row
from ecohub.queries.listing import Keyset, Window
from ecohub.store.db import retried_write
from ecohub.supervision.alerts.raising import SEVERITY_RANK

__all__ = [
    "ALERT_KEY",
    "COLUMNS",
    "KINDS",
    "STATES",
    "AlertConflict",
    "acknowledge",
    "alert_key",
    "close",
    "get_alert",
    "list_alerts",
]

STATES = ("open", "acknowledged", "closed")
KINDS = ("finding", "exceedance")
MAX_COMMENT = 2000

#: The columns of one alert as :func:`list_alerts` returns it.
COLUMNS = (
    "id", "kind", "state", "severity", "mn", "source_code", "source_name", "source_address",
    "outlet", "region_code", "pollutant", "rule", "first_seen", "last_seen", "occurrences", "peak",
    "active", "detail", "raised_at", "updated_at", "acked_by", "acked_at", "ack_comment",
    "closed_by", "closed_at", "close_comment", "title_zh", "title_en", "unit",
)  # fmt: skip
# The source's name and address come with the one join the scope needs anyway (the registry's
# current record), not from a look-up per alert.
_SELECT = """
SELECT a.id, a.kind, a.state, a.severity, a.mn, a.source_code, s.name, s.address, a.outlet_code,
       s.region_code, a.pollutant, a.rule, a.first_seen, a.last_seen, a.occurrences, a.peak,
       a.active, a.detail::VARCHAR, a.raised_at, a.updated_at, a.acked_by, a.acked_at,
       a.ack_comment, a.closed_by, a.closed_at, a.close_comment
FROM alert a LEFT JOIN source s ON s.source_code = a.source_code
"""
_SELECT_SEQ = _SELECT.replace("SELECT a.id,", "SELECT -a.id AS seq, a.id,", 1)


class AlertConflict(ValueError):
    """The alert is not in a state that allows this step (HTTP 409); names the field."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def _scope(p: Principal) -> tuple[list[str], list[Any]]:
    src, src_args = source_sql(p, "a.source_code")
    reg, reg_args = region_sql(p, "s.region_code")
    return [src, reg], [*src_args, *reg_args]


def _item(row: tuple[Any, ...]) -> dict[str, Any]:
    from ecohub.supervision.alerts.message import rule_names, titles

    item: dict[str, Any] = dict(zip(COLUMNS[:-3], row, strict=True))
    item["title_zh"], item["title_en"] = titles(item)
    item["rule_zh"], item["rule_en"] = rule_names(item)
    for key in ("first_seen", "last_seen", "raised_at", "updated_at", "acked_at", "closed_at"):
        if item[key] is not None:
            item[key] = item[key].astimezone(CST).isoformat()
    item["detail"] = json.loads(item["detail"]) if item["detail"] else {}
    item["unit"] = _unit(item)
    return item


def _unit(item: dict[str, Any]) -> str | None:
    """The unit of the alert's concentrations: the permit limit's for an exceedance (kept in
    its detail when raised), else the pollutant's HJ 212 unit (mg/m³ flue gas, mg/L water);
    the permit loader requires the two to agree, so the fallback only covers alerts raised
    before the unit was kept, or whose permit row is gone."""
    from ecohub.protocols.hj212.codes import pollutant
    from ecohub.supervision.permits import UNITS

    unit = item["detail"].get("unit") if item["kind"] == "exceedance" else None
    if isinstance(unit, str) and unit:
        # In HJ 212's spelling (mg/m³), whatever spelling an older load kept (mg/m3).
        return UNITS.get(unit.replace(" ", "").lower(), unit)
    known = pollutant(item["pollutant"]) if item["pollutant"] != "*" else None
    return known.unit if known and known.unit else None


def list_alerts(
    con: duckdb.DuckDBPyConnection,
    principal: Principal,
    *,
    state: str | None = None,
    severity: str | None = None,
    kind: str | None = None,
    mn: str | None = None,
    source: str | None = None,
    frm: datetime | None = None,
    to: datetime | None = None,
    page: Window | None = None,
) -> list[dict[str, Any]]:
    """Alerts ``principal`` may see, newest first; ``severity`` is a minimum; ``frm``/``to``
    select alerts whose [first_seen, last_seen] overlaps [frm, to); ``page``: one keyset page
    (:data:`ALERT_KEY`, read in SQL) instead of every alert."""
    for field, value, allowed in (("state", state, STATES), ("kind", kind, KINDS),
                                  ("severity", severity, tuple(SEVERITY_RANK))):  # fmt: skip
        if value is not None and value not in allowed:
            raise QueryError(field, f"expected one of {', '.join(allowed)}, got {value!r}")
    if frm is not None and to is not None and frm >= to:
        raise QueryError("from", f"{frm.isoformat()} is not before to: {to.isoformat()}")
    where, args = _scope(principal)
    conds: list[tuple[str, Any]] = [
        ("a.state = ?", state), ("a.kind = ?", kind), ("a.mn = ?", mn),
        ("a.source_code = ?", source), ("a.last_seen >= ?", frm), ("a.first_seen < ?", to),
    ]  # fmt: skip
    for cond, value in conds:
        if value is not None:
            where.append(cond)
            args.append(value)
    if severity is not None:
        at_least = [s for s, rank in SEVERITY_RANK.items() if rank >= SEVERITY_RANK[severity]]
        where.append(f"a.severity IN ({', '.join('?' for _ in at_least)})")
        args += at_least
    if page is None:
        sql = f"{_SELECT} WHERE {' AND '.join(where)} ORDER BY a.id DESC"
        return [_item(r) for r in con.execute(sql, args).fetchall()]
    # Newest first as an ascending key: -id.
    sql, args = page.wrap(f"{_SELECT_SEQ} WHERE {' AND '.join(where)}", args)
    return [_item(r[1:]) for r in con.execute(sql, args).fetchall()]


#: The listing's order as a keyset: newest (highest id) first.
ALERT_KEY = Keyset(("seq",), ("BIGINT",))


def alert_key(item: dict[str, Any]) -> dict[str, Any]:
    """An alert's :data:`ALERT_KEY` values."""
    return {"seq": -int(item["id"])}


def get_alert(
    con: duckdb.DuckDBPyConnection, principal: Principal, alert_id: int
) -> dict[str, Any]:
    """One alert with its deliveries; :class:`NotFound` when unknown or outside the scope."""
    where, args = _scope(principal)
    row = scoped_row(con, f"{_SELECT} WHERE a.id = ? AND {' AND '.join(where)}",
                     [alert_id, *args], "alert", str(alert_id))  # fmt: skip
    item = _item(tuple(row.values()))
    item["deliveries"] = [
        {"channel": ch, "event": ev, "attempts": n,
         "next_try": nt.astimezone(CST).isoformat() if nt and not done else None,
         "last_error": err, "delivered_at": done.astimezone(CST).isoformat() if done else None}
        for ch, ev, n, nt, err, done in con.execute(
            "SELECT channel, event, attempts, next_try, last_error, delivered_at "
            "FROM alert_delivery WHERE alert_id = ? ORDER BY id",
            [alert_id],
        ).fetchall()
    ]  # fmt: skip
    return item


def acknowledge(
    con: duckdb.DuckDBPyConnection, principal: Principal, alert_id: int, comment: str | None = None
) -> dict[str, Any]:
    """``open`` -> ``acknowledged`` by ``principal`` (an inspector or admin), with an optional
    comment; audited. Returns the alert."""
    return _step(con, principal, alert_id, "ack", comment)


def close(
    con: duckdb.DuckDBPyConnection, principal: Principal, alert_id: int, comment: str | None
) -> dict[str, Any]:
    """``open`` or ``acknowledged`` -> ``closed`` with a comment saying how it was handled
    (required); audited. Returns the alert."""
    return _step(con, principal, alert_id, "close", comment)


_STEPS = {
    # step: (states it starts from, new state, the columns it fills)
    "ack": (("open",), "acknowledged", ("acked_by", "acked_at", "ack_comment")),
    "close": (("open", "acknowledged"), "closed", ("closed_by", "closed_at", "close_comment")),
}
RETRIES = 8  # a write conflict with the detector updating the same alert: try again (1.4 s)


def _step(
    con: duckdb.DuckDBPyConnection,
    principal: Principal,
    alert_id: int,
    step: str,
    comment: str | None,
) -> dict[str, Any]:
    require_role(principal, "inspector")
    comment = comment.strip() if comment is not None else None
    if step == "close" and not comment:
        raise QueryError("comment", "closing an alert needs a comment saying how it was handled")
    if comment is not None and len(comment) > MAX_COMMENT:
        raise QueryError("comment", f"at most {MAX_COMMENT} characters, got {len(comment)}")
    get_alert(con, principal, alert_id)  # NotFound when unknown or out of scope
    starts, new_state, cols = _STEPS[step]

    def work() -> None:
        found = con.execute(
            "SELECT state, acked_by, closed_by FROM alert WHERE id = ?", [alert_id]
        ).fetchone()
        assert found is not None
        if found[0] not in starts:
            who = found[2] if found[0] == "closed" else found[1]
            raise AlertConflict(
                "state", f"alert {alert_id} is already {found[0]} (by {who}); "
                f"{step} needs {' or '.join(starts)}",
            )  # fmt: skip
        sets = ", ".join(f"{c} = ?" for c in cols)
        con.execute(
            f"UPDATE alert SET state = ?, {sets}, updated_at = ? WHERE id = ?",
            [new_state, principal.name, datetime.now(CST), comment, datetime.now(CST), alert_id],
        )
        # The findings the alert covers show its state (`supervise anomalies`).
        con.execute(
            "UPDATE anomaly SET status = ? WHERE id IN (SELECT ref_id FROM alert_source "
            "WHERE kind = 'finding' AND alert_id = ?)",
            [new_state, alert_id],
        )

    retried_write(con, work, tries=RETRIES, pause_s=0.05)
    from ecohub.access.audit import record

    record(con, principal, f"alert.{step}", f"alerts/{step}",
           {"alert": alert_id, "state": new_state, "comment": comment}, rows=1)  # fmt: skip
    return get_alert(con, principal, alert_id)
