"""A source's operational status: derived from what its records say, set by a steward, and
what happens to records a system's full list no longer holds.

Rule (docs/design.md, "Status, full lists and survivorship"): **the newest statement wins.**
Statements about a source, each with a time:

* a record that states a status (``record_facts``: 注销 closed, 吊销 revoked, 停产 suspended,
  正常 active, ...), at the record's own date or, without one, when its content was loaded;
* a steward's ``close`` / ``reopen`` (:func:`set_status`), at the time it was made;
* "no system lists it any more" (``inactive``), when every record of the source has been
  withdrawn by a full list, at the last withdrawal.

At equal times a steward outranks a record, and a record outranks a withdrawal. Being dropped
from lists never softens a stated closure: ``inactive`` does not replace ``closed`` or
``revoked``. A source nobody has said anything about is ``active``. A closed source keeps its
code (codes are never reused) and its records; a later record or a steward can reopen it.
Every change is a ``source_event`` (``status`` from a link run; ``close`` / ``reopen`` from a
steward; ``withdraw`` when a full list drops records), with the status it set and the reason.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import duckdb
import pandas as pd

from ecohub.registry.errors import OptionError
from ecohub.registry.survivorship import AS_OF_SQL
from ecohub.standards import source_codes

__all__ = [
    "SOURCE_STATUSES",
    "STEWARD_STATUSES",
    "derived",
    "mark_presence",
    "refresh",
    "set_status",
]

#: What a steward may set (``active`` reopens).
STEWARD_STATUSES = ("active", "suspended", "closed", "revoked")
#: Every operational status of a source; ``merged`` (a retired code) is bookkeeping, not one.
SOURCE_STATUSES = (*STEWARD_STATUSES, "inactive")
_ENDED = ("closed", "revoked", "inactive")  # these set valid_to
MAX_REASON_CHARS = 500

# Statements per source: (status, time, weight, why); weight breaks ties (steward > record >
# withdrawal). A record's own date counts from its day's start in the store's zone.
_STATEMENTS = f"""
WITH rec AS (
    SELECT source_code, system || ':' || record_id AS rec, status, status_raw, withdrawn_at,
           {AS_OF_SQL} AS as_of
    FROM source_record WHERE source_code IS NOT NULL
)
SELECT source_code, status, as_of AS t, 2 AS weight, rec || ' says ' || status_raw AS why
FROM rec WHERE status IS NOT NULL
UNION ALL
SELECT source_code, 'inactive', max(withdrawn_at), 1, 'no system lists it any more'
FROM rec GROUP BY source_code HAVING count(withdrawn_at) = count(*)
UNION ALL
SELECT source_code, status, "at", 3, reason FROM source_event
WHERE kind IN ('close', 'reopen') AND status IS NOT NULL
"""


def derived(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The winning statement per source that has any: ``source_code, status, t, why``."""
    st = con.execute(_STATEMENTS).df()
    if st.empty:
        return pd.DataFrame(columns=["source_code", "status", "t", "why"])
    st = st.sort_values(["source_code", "t", "weight"], ascending=[True, False, False])
    cols = ["source_code", "status", "t", "why"]
    said = st[st.status != "inactive"].drop_duplicates("source_code")[cols]
    gone = st[st.status == "inactive"].drop_duplicates("source_code")[cols]
    both = gone.merge(said, on="source_code", how="left", suffixes=("", "_said"))
    # "inactive" wins over nothing, or over an older statement that is not a closure.
    softer = both.status_said.isna() | (
        ~both.status_said.isin(["closed", "revoked"]) & (both.t >= both.t_said)
    )
    gone = gone[softer.to_numpy()]
    said = said[~said.source_code.isin(gone.source_code)]
    return pd.concat([said, gone], ignore_index=True)


def refresh(
    con: duckdb.DuckDBPyConnection, *, now: datetime, actor: str, run_id: str | None
) -> int:
    """Bring every live (not merged) source's status and ``valid_to`` in line with the rule
    above, with a ``status`` event per change; the number of changes. In the caller's
    transaction."""
    win = derived(con)
    live = con.execute(
        "SELECT source_code, status FROM source WHERE coalesce(status, 'active') <> 'merged'"
    ).df()
    want = live.merge(win, on="source_code", how="left", suffixes=("_now", ""))
    want["status"] = want["status"].fillna("active")
    want["why"] = want["why"].fillna("no statement: active")
    changed = want[want.status != want.status_now.fillna("active")].copy()
    if changed.empty:
        return 0
    ended = changed.status.isin(_ENDED)
    changed["valid_to"] = changed.t.where(ended, None).astype(object)
    changed.loc[ended & changed.valid_to.isna(), "valid_to"] = now
    con.register("_status", changed[["source_code", "status", "valid_to", "why"]])
    try:
        con.execute(
            "UPDATE source s SET status = c.status, valid_to = c.valid_to, updated_at = ? "
            "FROM _status c WHERE s.source_code = c.source_code",
            [now],
        )
        con.execute(
            'INSERT INTO source_event ("at", kind, source_code, status, reason, actor, run_id) '
            "SELECT ?, 'status', source_code, status, why, ?, ? FROM _status",
            [now, actor, run_id],
        )
    finally:
        con.unregister("_status")
    return len(changed)


def set_status(
    con: duckdb.DuckDBPyConnection, code: str, status: str, *, reason: str, by: str
) -> dict[str, Any]:
    """A steward closes (``closed``, ``revoked``, ``suspended``) or reopens (``active``) the
    source ``code`` (any case) with a reason; it holds until a newer statement. KeyError for
    an unknown code; :class:`OptionError` naming the option for a bad value."""
    if status not in STEWARD_STATUSES:
        raise OptionError(f"--status: expected {', '.join(STEWARD_STATUSES)}, got {status!r}")
    why = (reason or "").strip()
    if not why or len(why) > MAX_REASON_CHARS:
        raise OptionError(f"--reason: must be 1-{MAX_REASON_CHARS} characters (why, for history)")
    live = source_codes.compact(code)
    rows = con.execute(
        "SELECT status, merged_into FROM source WHERE source_code = ?", [live]
    ).fetchall()
    if not rows:
        raise KeyError(code)
    before, merged_into = rows[0]
    if before == "merged":
        raise OptionError(f"CODE {live}: merged into {merged_into}; change that source instead")
    now = datetime.now().astimezone()
    from ecohub.catalog.produce import note

    con.execute("BEGIN")
    try:
        con.execute(
            'INSERT INTO source_event ("at", kind, source_code, status, reason, actor) '
            "VALUES (?, ?, ?, ?, ?, ?)",
            [now, "reopen" if status == "active" else "close", live, status, why, by],
        )
        con.execute(
            "UPDATE source SET status = ?, valid_to = ?, updated_at = ? WHERE source_code = ?",
            [status, now if status in _ENDED else None, now, live],
        )
        # Lineage: a steward's word on one source (later link runs respect it).
        note(con, "source", "registry-status", [("resource", "source")],
             {"source_code": live, "status": status}, actor=by)  # fmt: skip
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return {"source_code": live, "status": status, "before": before or "active",
            "reason": why, "by": by, "at": now.isoformat()}  # fmt: skip


def mark_presence(
    con: duckdb.DuckDBPyConnection,
    system: str,
    listed: pd.Series,
    *,
    full_list: bool,
    file: str,
    actor: str,
) -> int:
    """Records of ``system`` in ``listed`` (record ids) are listed again (no longer withdrawn);
    with ``full_list``, the system's records *not* in it are withdrawn (kept, with their codes,
    and marked), with a ``withdraw`` event per source. The number withdrawn. In the caller's
    transaction."""
    now = datetime.now().astimezone()
    con.register("_listed", pd.DataFrame({"record_id": pd.unique(listed.astype(str))}))
    try:
        con.execute(
            "UPDATE source_record SET withdrawn_at = NULL WHERE system = ? AND withdrawn_at "
            "IS NOT NULL AND record_id IN (SELECT record_id FROM _listed)",
            [system],
        )
        if not full_list:
            return 0
        missing = (
            "system = ? AND withdrawn_at IS NULL "
            "AND record_id NOT IN (SELECT record_id FROM _listed)"
        )
        gone = con.execute(
            f"SELECT record_id, source_code FROM source_record WHERE {missing}", [system]
        ).fetchall()
        con.execute(f"UPDATE source_record SET withdrawn_at = ? WHERE {missing}", [now, system])
    finally:
        con.unregister("_listed")
    by_code: dict[str, list[str]] = {}
    for record_id, code in gone:
        if code is not None:
            by_code.setdefault(code, []).append(f"{system}:{record_id}")
    for code, recs in sorted(by_code.items()):
        con.execute(
            'INSERT INTO source_event ("at", kind, source_code, records, reason, actor) '
            "VALUES (?, 'withdraw', ?, ?, ?, ?)",
            [now, code, sorted(recs), f"missing from {system}'s full list {file}", actor],
        )
    return len(gone)
