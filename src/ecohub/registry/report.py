"""Per-system quality report: match rate, conflicts, suspicious records."""

from __future__ import annotations

from typing import Any

import duckdb

__all__ = ["report"]

_PER_SYSTEM = """
WITH systems_per_source AS (
    SELECT source_code, count(DISTINCT system) AS n_systems
    FROM source_record WHERE source_code IS NOT NULL GROUP BY source_code
),
code_names AS (  -- one valid credit code written with different (core) names
    SELECT uscc_norm FROM source_record WHERE uscc_norm IS NOT NULL
    GROUP BY uscc_norm HAVING count(DISTINCT name_core) > 1
),
name_codes AS (  -- one full name carrying different valid credit codes
    SELECT name_norm FROM source_record WHERE uscc_norm IS NOT NULL
    GROUP BY name_norm HAVING count(DISTINCT uscc_norm) > 1
),
multi_code_sources AS (  -- one source holding several valid credit codes
    SELECT source_code FROM source_record WHERE uscc_norm IS NOT NULL
    GROUP BY source_code HAVING count(DISTINCT uscc_norm) > 1
)
SELECT r.system,
       count(*) AS records,
       count(r.source_code) AS linked,
       round(avg(CASE WHEN s.n_systems > 1 THEN 1.0 ELSE 0.0 END), 4) AS match_rate,
       count(*) FILTER (WHERE r.uscc_norm IN (SELECT uscc_norm FROM code_names))
           AS same_code_other_names,
       count(*) FILTER (WHERE r.name_norm IN (SELECT name_norm FROM name_codes))
           AS same_name_other_codes,
       count(*) FILTER (WHERE r.source_code IN (SELECT source_code FROM multi_code_sources))
           AS in_multi_code_source,
       count(*) FILTER (WHERE r.flags IS NOT NULL) AS flagged,
       count(*) FILTER (WHERE r.uscc_status = 'valid') AS uscc_valid,
       count(*) FILTER (WHERE r.uscc_status = 'bad_check') AS uscc_bad_check,
       count(*) FILTER (WHERE r.uscc_status IN ('bad_length', 'bad_format')) AS uscc_malformed,
       count(*) FILTER (WHERE r.uscc_status = 'missing') AS uscc_missing
FROM source_record r LEFT JOIN systems_per_source s USING (source_code)
GROUP BY r.system ORDER BY r.system
"""


def report(con: duckdb.DuckDBPyConnection, *, examples: int = 10) -> dict[str, Any]:
    """``systems``: one row per system (match_rate = share of its records whose source is also
    known to another system); ``suspicious``: flagged records and multi-code sources;
    ``sources_by_status``: how many sources are active, suspended, closed, revoked, inactive
    or merged."""
    systems = con.execute(_PER_SYSTEM).df().to_dict("records")
    suspicious = (
        con.execute(
            "SELECT system, record_id, name, uscc, flags, source_code FROM source_record "
            "WHERE flags IS NOT NULL ORDER BY system, record_id LIMIT ?",
            [examples],
        )
        .df()
        .to_dict("records")
    )
    totals = con.execute(
        "SELECT (SELECT count(*) FROM source WHERE status = 'active'), "
        "(SELECT count(*) FROM source WHERE status = 'merged'), "
        "(SELECT count(*) FROM review_pair), (SELECT count(*) FROM review_decision)"
    ).fetchone() or (0, 0, 0, 0)
    by_status = con.execute(
        "SELECT coalesce(status, 'active'), count(*) FROM source GROUP BY 1 ORDER BY 1"
    ).fetchall()
    return {
        "systems": systems,
        "suspicious": suspicious,
        "sources_active": totals[0],
        "sources_merged": totals[1],
        "sources_by_status": dict(by_status),
        "review_pending": totals[2],
        "review_decided": totals[3],
    }
