"""The data items (信息项) of each resource: name, Chinese name, type, unit and standard.

Names, types and order come from the store itself (``duckdb_columns()``); ``data/items.csv``
adds Chinese names, units and standards where they are needed. The air results' concentration
and index columns are named as HJ 633 reports them (``co_24h``, ``iaqi_co``, ``aqi``), so their
units come from the standard's own table (:mod:`ecohub.standards.air_units`: µg/m³, CO mg/m³,
indices dimensionless) when items.csv gives none: every concentration has its unit.
"""

from __future__ import annotations

from typing import Any

import duckdb

from ecohub.catalog._db import replace_rows
from ecohub.catalog.definitions import item_notes
from ecohub.standards import air_units

#: Tables whose concentration and index columns are named after HJ 633.
AIR_RESULTS = ("air_hourly_aqi", "air_daily")
ITEM_COLUMNS = ("code", "position", "name", "name_zh", "data_type", "unit", "standard")


def item_rows(code: str, table: str, columns: list[tuple[str, str]]) -> list[list[Any]]:
    """``catalog_item`` rows (:data:`ITEM_COLUMNS`) of resource ``code`` on ``table``, whose
    columns are ``columns`` ((name, type), in order)."""
    notes = item_notes()
    units = air_units.column_units([c for c, _ in columns]) if table in AIR_RESULTS else {}
    rows = []
    for pos, (name, dtype) in enumerate(columns, start=1):
        n = notes.get((table, name), {})
        rows.append(
            [
                code,
                pos,
                name,
                n.get("name_zh") or None,
                dtype,
                n.get("unit") or units.get(name),
                n.get("standard") or ("HJ 633" if name in units else None),
            ]
        )
    return rows


def write_items(
    con: duckdb.DuckDBPyConnection, code: str, table: str, columns: list[tuple[str, str]]
) -> None:
    """Make resource ``code``'s stored data items those of ``columns`` (in place)."""
    rows = item_rows(code, table, columns)
    replace_rows(
        con, "catalog_item", ITEM_COLUMNS, ["code", "name"], rows, scope=("code = ?", [code])
    )


def items(con: duckdb.DuckDBPyConnection, code: str) -> list[dict[str, Any]]:
    """Resource ``code``'s data items in column order: name, name_zh, data_type, unit,
    standard."""
    cols = ("name", "name_zh", "data_type", "unit", "standard")
    rows = con.execute(
        f"SELECT {', '.join(cols)} FROM catalog_item WHERE code = ? ORDER BY position", [code]
    ).fetchall()
    return [dict(zip(cols, r, strict=True)) for r in rows]
