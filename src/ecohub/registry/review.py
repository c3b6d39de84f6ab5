"""Human review of pairs in the review band. Decisions are stored and bind every later run
(``match`` joins, ``nonmatch`` keeps apart - splitting a source if need be). Each link run
stores its band (:func:`store_band`): every undecided pair it scored that ended in two sources."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

import duckdb
import pandas as pd

__all__ = ["DECISIONS", "decide", "pending", "store_band"]

DECISIONS = ("match", "nonmatch")


def _key(a: str, b: str) -> tuple[str, str, str, str]:
    """``system:record_id`` pair → ordered (system_a, record_a, system_b, record_b)."""
    pa, pb = (tuple(x.split(":", 1)) for x in (a, b))
    if len(pa) != 2 or len(pb) != 2:
        raise ValueError("records are written system:record_id")
    lo, hi = sorted([pa, pb])
    return lo[0], lo[1], hi[0], hi[1]


def pending(con: duckdb.DuckDBPyConnection, limit: int = 50) -> list[dict[str, Any]]:
    """Undecided band pairs, most probable first, with what each side says."""
    return cast(
        list[dict[str, Any]],
        (
            con.execute(
                """
        SELECT p.system_a || ':' || p.record_a AS a, p.system_b || ':' || p.record_b AS b,
               round(p.match_probability, 3) AS p, ra.name AS name_a, rb.name AS name_b,
               ra.uscc AS uscc_a, rb.uscc AS uscc_b, ra.address AS address_a,
               rb.address AS address_b, ra.source_code AS code_a, rb.source_code AS code_b,
               CASE WHEN ra.uscc_norm <> rb.uscc_norm THEN 'two valid credit codes: two legal '
                    || 'entities, never linked unless you decide match' END AS note
        FROM review_pair p
        JOIN source_record ra ON ra.system = p.system_a AND ra.record_id = p.record_a
        JOIN source_record rb ON rb.system = p.system_b AND rb.record_id = p.record_b
        ORDER BY p.match_probability DESC, a, b LIMIT ?
        """,
                [limit],
            )
            .df()
            .to_dict("records")
        ),
    )


def decide(
    con: duckdb.DuckDBPyConnection,
    a: str,
    b: str,
    decision: str,
    *,
    by: str,
    note: str | None = None,
) -> dict[str, Any]:
    """Record (or replace) a decision on records ``a`` and ``b`` (``system:record_id``).
    It takes effect at the next ``link``."""
    if decision not in DECISIONS:
        raise ValueError(f"decision: expected match or nonmatch, got {decision!r}")
    key = _key(a, b)
    for system, record in (key[:2], key[2:]):
        hit = con.execute(
            "SELECT 1 FROM source_record WHERE system = ? AND record_id = ?", [system, record]
        ).fetchone()
        if hit is None:
            raise KeyError(f"{system}:{record}")
    now = datetime.now().astimezone()
    from ecohub.catalog.produce import note as lineage

    con.execute("BEGIN")
    try:
        con.execute(
            "INSERT OR REPLACE INTO review_decision VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [*key, decision, by, now, note],
        )
        con.execute(
            "DELETE FROM review_pair WHERE system_a = ? AND record_a = ? AND system_b = ? "
            "AND record_b = ?",
            list(key),
        )
        # Lineage: a reviewer's decision on two records (it shapes the next link run).
        lineage(
            con,
            "review_decision",
            "registry-review",
            [("resource", "source_record"), ("resource", "review_pair")],
            {"a": a, "b": b, "decision": decision},
            actor=by,
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return {"a": a, "b": b, "decision": decision, "by": by, "at": now.isoformat()}


def store_band(
    con: duckdb.DuckDBPyConnection,
    pairs: pd.DataFrame,
    clustered: pd.DataFrame,
    run_id: str,
) -> None:
    """Pairs (p ≥ review-low) whose records ended in different sources and nobody has decided
    yet: the band below auto-accept, and pairs above it that a rule kept apart (two valid
    credit codes, or a cannot-link beside them), so a person sees every pair held apart."""
    label = clustered.set_index("unique_id")["cluster"]
    band = pairs[pairs.unique_id_l.map(label).to_numpy() != pairs.unique_id_r.map(label).to_numpy()]
    a = band.unique_id_l.str.split("|", n=1, expand=True)
    b = band.unique_id_r.str.split("|", n=1, expand=True)
    frame = pd.DataFrame(
        {
            "system_a": a[0] if len(band) else [],
            "record_a": a[1] if len(band) else [],
            "system_b": b[0] if len(band) else [],
            "record_b": b[1] if len(band) else [],
            "match_probability": band.match_probability.to_numpy(),
            "run_id": run_id,
        }
    )
    swap = (frame.system_a > frame.system_b) | (
        (frame.system_a == frame.system_b) & (frame.record_a > frame.record_b)
    )
    frame.loc[swap, ["system_a", "record_a", "system_b", "record_b"]] = frame.loc[
        swap, ["system_b", "record_b", "system_a", "record_a"]
    ].to_numpy()
    con.execute("DELETE FROM review_pair")
    con.register("_band", frame)
    try:
        con.execute(
            "INSERT INTO review_pair SELECT b.* FROM _band b WHERE NOT EXISTS (SELECT 1 FROM "
            "review_decision d WHERE d.system_a = b.system_a AND d.record_a = b.record_a AND "
            "d.system_b = b.system_b AND d.record_b = b.record_b)"
        )
    finally:
        con.unregister("_band")
