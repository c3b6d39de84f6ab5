"""Permits, monitoring points (HJ 212 MN) and outlets hung on sources.

After each link run, every record's ``permit_no`` and ``mn`` follow the record's source code
into ``permit`` and ``monitor_point`` (ingest owns the other columns of ``monitor_point``; we
set only ``source_code``). A change of owner is an ``attach`` event. Outlets are numbered within
their source by ``standards.source_codes.build_outlet_code`` (DA001, DW001, …).
"""

from __future__ import annotations

from datetime import datetime

import duckdb

from ecohub.standards import source_codes

__all__ = ["add_outlet", "attach_all"]

_PERMITS = """
SELECT permit_no, source_code, system, record_id FROM source_record
WHERE permit_no IS NOT NULL AND source_code IS NOT NULL
QUALIFY row_number() OVER (PARTITION BY permit_no ORDER BY system, record_id) = 1
"""
_MNS = """
SELECT mn, source_code FROM source_record
WHERE mn IS NOT NULL AND source_code IS NOT NULL
QUALIFY row_number() OVER (PARTITION BY mn ORDER BY system, record_id) = 1
"""


def attach_all(con: duckdb.DuckDBPyConnection, *, actor: str, run_id: str) -> dict[str, int]:
    """Bring ``permit`` and ``monitor_point`` in line with the records; count the changes."""
    now = datetime.now().astimezone()
    con.execute(f"CREATE OR REPLACE TEMP TABLE _permits AS {_PERMITS}")
    con.execute(f"CREATE OR REPLACE TEMP TABLE _mns AS {_MNS}")
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _changed AS "
        "SELECT n.source_code, 'permit:' || n.permit_no AS what FROM _permits n "
        "LEFT JOIN permit p USING (permit_no) WHERE p.source_code IS DISTINCT FROM n.source_code "
        "UNION ALL SELECT n.source_code, 'mn:' || n.mn FROM _mns n "
        "LEFT JOIN monitor_point m USING (mn) WHERE m.source_code IS DISTINCT FROM n.source_code"
    )
    con.execute(
        "INSERT INTO permit (permit_no, source_code, system, record_id) SELECT * FROM _permits "
        "ON CONFLICT (permit_no) DO UPDATE SET source_code = excluded.source_code"
    )
    con.execute(
        "INSERT INTO monitor_point (mn, source_code) SELECT mn, source_code FROM _mns "
        "ON CONFLICT (mn) DO UPDATE SET source_code = excluded.source_code"
    )
    con.execute(
        'INSERT INTO source_event ("at", kind, source_code, records, reason, actor, run_id) '
        "SELECT ?, 'attach', source_code, list(what ORDER BY what), 'permit/MN of its records', "
        "?, ? FROM _changed GROUP BY source_code",
        [now, actor, run_id],
    )
    row = con.execute(
        "SELECT count(*) FILTER (WHERE what LIKE 'permit:%'), "
        "count(*) FILTER (WHERE what LIKE 'mn:%') FROM _changed"
    ).fetchone()
    for t in ("_permits", "_mns", "_changed"):
        con.execute(f"DROP TABLE {t}")
    return {
        "permits_attached": int(row[0]) if row else 0,
        "mns_attached": int(row[1]) if row else 0,
    }


def add_outlet(
    con: duckdb.DuckDBPyConnection,
    source_code: str,
    medium: str,
    *,
    name: str | None = None,
    lon: float | None = None,
    lat: float | None = None,
    actor: str = "system",
) -> str:
    """Register the next outlet of ``medium`` (air|water) at a source (its code in any case);
    return the outlet's code."""
    source_code = source_codes.compact(source_code)
    if con.execute("SELECT 1 FROM source WHERE source_code = ?", [source_code]).fetchone() is None:
        raise KeyError(source_code)
    letter = source_codes.build_outlet_code(medium, 1)[:2]
    row = con.execute(
        "SELECT coalesce(max(CAST(substr(outlet_code, 3) AS INTEGER)), 0) FROM outlet "
        "WHERE source_code = ? AND outlet_code LIKE ?",
        [source_code, letter + "%"],
    ).fetchone()
    code = source_codes.build_outlet_code(medium, (row[0] if row else 0) + 1)
    gas_or_water = "gas" if letter == "DA" else "water"
    con.execute(
        "INSERT INTO outlet VALUES (?, ?, ?, ?, ?, ?)",
        [code, source_code, gas_or_water, name, lon, lat],
    )
    con.execute(
        'INSERT INTO source_event ("at", kind, source_code, records, reason, actor) '
        "VALUES (now(), 'attach', ?, [?], 'outlet registered', ?)",
        [source_code, "outlet:" + code, actor],
    )
    return code
