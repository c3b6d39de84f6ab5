"""One source with everything known about it."""

from __future__ import annotations

from typing import Any, cast

import duckdb

__all__ = ["show"]

# hkey is the row's place in the file and in OGC pages (ecohub.geo.storage), not a fact about it.
_SOURCE = "SELECT * EXCLUDE (hkey) FROM source"


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    return cast(list[dict[str, Any]], con.execute(sql, params).df().to_dict("records"))


#: The parts of a source's detail beside its own row, and the store table each one reads.
PART_TABLES: dict[str, str] = {
    "records": "source_record",
    "outlets": "outlet",
    "permits": "permit",
    "monitor_points": "monitor_point",
    "latest": "emission",
    "history": "source_event",
}


def show(
    con: duckdb.DuckDBPyConnection, code: str, parts: frozenset[str] | None = None
) -> dict[str, Any]:
    """The source ``code`` (following ``merged_into`` to the live code), its records from every
    system, outlets, permits, monitoring points with their latest values, and its history.
    ``parts``: only these of :data:`PART_TABLES` are read (``None``: all); the others are
    empty and named in ``withheld``."""
    src = _rows(con, f"{_SOURCE} WHERE source_code = ?", [code])
    if not src:
        raise KeyError(code)
    head = src[0]
    live = head["source_code"]
    seen = {live}
    while head.get("status") == "merged" and head.get("merged_into"):
        live = head["merged_into"]
        if live in seen:
            break
        seen.add(live)
        head = _rows(con, f"{_SOURCE} WHERE source_code = ?", [live])[0]
    out = _parts(con, live, seen)
    wanted = PART_TABLES.keys() if parts is None else parts
    withheld = [k for k in PART_TABLES if k not in wanted]
    return {"source": head, "asked_for": code,
            **{k: (out[k]() if k in wanted else []) for k in PART_TABLES},
            "withheld": withheld}  # fmt: skip


def _parts(con: duckdb.DuckDBPyConnection, live: str, seen: set[str]) -> dict[str, Any]:
    """Each part's read, as a function: only the parts asked for are read."""
    return {
        "records": lambda: _rows(
            con,
            "SELECT system, record_id, name, uscc, uscc_status, address, region_code, legal_rep, "
            "industry, lon_wgs, lat_wgs, permit_no, mn, match_probability, flags, status_raw, "
            "record_date, loaded_at, withdrawn_at "
            "FROM source_record WHERE source_code = ? ORDER BY system, record_id",
            [live],
        ),
        "outlets": lambda: _rows(
            con, "SELECT * FROM outlet WHERE source_code = ? ORDER BY 1", [live]
        ),
        "permits": lambda: _rows(
            con, "SELECT * FROM permit WHERE source_code = ? ORDER BY 1", [live]
        ),
        "monitor_points": lambda: _rows(
            con,
            "SELECT m.mn, m.outlet_code, m.st, m.last_seen, "
            "(SELECT max(e.data_time) FROM emission_all e WHERE e.mn = m.mn) AS latest_data "
            "FROM monitor_point m WHERE m.source_code = ? ORDER BY m.mn",
            [live],
        ),
        "latest": lambda: _rows(
            con,
            "SELECT e.mn, e.pollutant, e.data_time, e.avg, e.rtd, e.flag FROM emission_all e "
            "JOIN monitor_point m USING (mn) WHERE m.source_code = ? "
            "QUALIFY row_number() OVER (PARTITION BY e.mn, e.pollutant "
            "ORDER BY e.data_time DESC) = 1 ORDER BY e.mn, e.pollutant",
            [live],
        ),
        "history": lambda: _rows(
            con,
            'SELECT "at", kind, source_code, other_code, records, status, reason, actor '
            "FROM source_event "
            "WHERE source_code IN (SELECT unnest(?)) OR other_code IN (SELECT unnest(?)) "
            'ORDER BY "at", id',
            [list(seen), list(seen)],
        ),
    }
