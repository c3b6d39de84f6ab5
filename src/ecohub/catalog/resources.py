"""Resources in the store: the built-in definitions (:mod:`ecohub.catalog.definitions`) written
into ``catalog_resource``, discovered tables, registration and reads.

A resource carries the core metadata of 政务信息资源目录编制指南（试行） (on GB/T 21063.3):
classification (类 项 目 细目, with its theme), name, code, provider and provider code, abstract,
format, data items (name, type, unit, standard), sharing type / conditions / method, open type,
update cycle, publication date and related resources. The built-in resources are data
(``data/resources.csv``); :func:`sync` writes them into ``catalog_resource`` and describes every
other table of the store it finds as a *discovered* resource, so nothing the store holds is left
out of the catalogue.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import duckdb
import pyarrow as pa

from ecohub.catalog._db import WRITE_LOCK, replace_rows, transaction
from ecohub.catalog.definitions import (
    COLUMNS,
    UNDESCRIBED_CLASS,
    check,
    definitions,
    providers,
    themes,
)
from ecohub.catalog.items import ITEM_COLUMNS, item_rows, write_items
from ecohub.catalog.items import items as items  # read here by older callers
from ecohub.queries import QueryError

#: Entries that are resources now: not a discovered table a built-in definition describes since
#: (:func:`_retire`).
CURRENT = "origin <> 'retired'"


def store_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The base tables of the store's main schema."""
    rows = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
        "AND schema_name = 'main' AND NOT temporary ORDER BY table_name"
    ).fetchall()
    return [r[0] for r in rows]


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str]]:
    return [
        (r[0], r[1])
        for r in con.execute(
            "SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = "
            "current_database() AND schema_name = 'main' AND table_name = ? ORDER BY column_index",
            [table],
        ).fetchall()
    ]


def _insert(con: duckdb.DuckDBPyConnection, row: dict[str, Any]) -> None:
    marks = ", ".join("?" for _ in COLUMNS)
    con.execute(
        f"INSERT OR REPLACE INTO catalog_resource ({', '.join(COLUMNS)}) VALUES ({marks})",
        [row.get(c) for c in COLUMNS],
    )


def _all_columns(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[str, str]]]:
    out: dict[str, list[tuple[str, str]]] = {}
    for table, name, dtype in con.execute(
        "SELECT table_name, column_name, data_type FROM duckdb_columns() WHERE database_name = "
        "current_database() AND schema_name = 'main' ORDER BY table_name, column_index"
    ).fetchall():
        out.setdefault(table, []).append((name, dtype))
    return out


def table_columns(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str]]:
    """(name, type) of ``table``'s columns in order."""
    return _all_columns(con).get(table, [])


def insert_rows(con: duckdb.DuckDBPyConnection, table: str, rows: list[list[Any]]) -> None:
    """Insert ``rows`` (in the table's column order) as one Arrow batch: ``executemany`` costs
    about a millisecond per row in DuckDB."""
    if not rows:
        return
    names = [f"c{i}" for i in range(len(rows[0]))]
    batch = pa.table([pa.array(list(col)) for col in zip(*rows, strict=True)], names=names)
    con.register("_catalog_batch", batch)
    try:
        con.execute(f"INSERT INTO {table} SELECT * FROM _catalog_batch")
    finally:
        con.unregister("_catalog_batch")


def next_code(con: duckdb.DuckDBPyConnection, class_code: str) -> str:
    """The next unused code of ``class_code`` (codes are never reused)."""
    top = con.execute(
        "SELECT max(CAST(split_part(code, '-', 2) AS INTEGER)) FROM catalog_resource "
        "WHERE class_code = ?",
        [class_code],
    ).fetchall()
    seq = (top[0][0] or 0) + 1 if top else 1
    return f"{class_code}-{seq:05d}"


_SYNCED: set[str] = set()


def _store_key(con: duckdb.DuckDBPyConnection) -> str:
    rows = con.execute(
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchall()
    if rows and rows[0][0]:
        return str(rows[0][0])
    # An in-memory store has no name that outlives it (id(con) is reused by the next connection,
    # which then looked synced and indexed while empty): never treat one as done before.
    return f":memory:{uuid.uuid4().hex}"


def sync(con: duckdb.DuckDBPyConnection, *, force: bool = False) -> int:
    """Write the built-in definitions and describe undescribed tables; return resources written.

    Runs once per store per process unless ``force``; definitions keep their ``defined_at``.
    """
    key = _store_key(con)
    with WRITE_LOCK:
        if key in _SYNCED and not force:
            return 0
        now = datetime.now(UTC)
        tables = set(store_tables(con))
        columns = _all_columns(con)
        with transaction(con):
            known = dict(con.execute("SELECT code, defined_at FROM catalog_resource").fetchall())
            builtin = [{**d, "defined_at": known.get(d["code"], now)} for d in definitions()]
            replace_rows(
                con,
                "catalog_resource",
                COLUMNS,
                ["code"],
                [[d.get(c) for c in COLUMNS] for d in builtin],
                scope=("origin = 'builtin'", []),
            )
            published = [
                [d["code"], "publish", "system", now]
                for d in builtin
                if d["initially_published"] and d["code"] not in known
            ]
            for row in published:
                con.execute(
                    "INSERT INTO catalog_publication (code, action, actor, acted_at) "
                    "VALUES (?, ?, ?, ?)",
                    row,
                )
            described = {d["table_name"] for d in builtin} | {
                r[0] for r in con.execute("SELECT table_name FROM catalog_resource").fetchall()
            }
            for table in sorted(tables - described):
                _insert(con, _discovered(con, table, now))
            _retire(con, [d["table_name"] for d in builtin if d["kind"] == "table"])
            item_table: list[list[Any]] = []
            for code, table in con.execute(
                f"SELECT code, table_name FROM catalog_resource WHERE {CURRENT} ORDER BY code"
            ).fetchall():
                item_table += item_rows(code, table, columns.get(table, []))
            replace_rows(con, "catalog_item", ITEM_COLUMNS, ["code", "name"], item_table)
            written = len(builtin) + len(tables - described)
        _SYNCED.add(key)
        return written


def _retire(con: duckdb.DuckDBPyConnection, described: list[str]) -> None:
    """A table first found undescribed (catalogued under 30100699) and described by a built-in
    resource since (``review_flag``): its discovered entry is retired, not deleted, so the
    table is catalogued once and the code stays taken (codes are never reused: next_code)."""
    if described:
        marks = ", ".join("?" for _ in described)
        con.execute(
            "UPDATE catalog_resource SET origin = 'retired' WHERE origin = 'discovered' "
            f"AND table_name IN ({marks})",
            described,
        )


def _discovered(con: duckdb.DuckDBPyConnection, table: str, now: datetime) -> dict[str, Any]:
    t = themes()[UNDESCRIBED_CLASS]
    p = providers()["D03"]
    return {
        "code": next_code(con, UNDESCRIBED_CLASS),
        "class_code": UNDESCRIBED_CLASS,
        "theme": t["theme"],
        "subtheme": t["subtheme"],
        "name_zh": f"数据表 {table}",
        "name_en": f"Table {table}",
        "provider_code": "D03",
        "provider": p["provider"],
        "kind": "table",
        "table_name": table,
        "row_filter": None,
        "abstract_zh": f"存储中的数据表 {table}，尚未编目（请在 resources.csv 中描述）。",
        "abstract_en": f"Table {table} of the store, not yet described in resources.csv.",
        "format": "数据库表",
        "sharing_type": "不予共享",
        "sharing_conditions": "尚未编目，默认不予共享",
        "sharing_method": "数据库表",
        "open_type": "不予开放",
        "open_conditions": None,
        "update_cycle": "不定期",
        "published_on": None,
        "related": None,
        "licence": None,
        "origin": "discovered",
        "defined_at": now,
    }


def register(con: duckdb.DuckDBPyConnection, definition: dict[str, Any]) -> str:
    """Add a data product (or a new table) described by ``definition``; return its new code.

    ``definition`` has the fields of resources.csv except ``code``, plus ``class_code``. Used by
    jobs that create a new product; the code is the next free one of the class.
    """
    cls = definition.get("class_code", "")
    if cls not in themes():
        raise QueryError("class_code", f"{cls!r} is not a classification code of themes.csv")
    sync(con)
    with transaction(con):
        code = next_code(con, cls)
        t = themes()[cls]
        row = {
            **{c: definition.get(c) for c in COLUMNS},
            "code": code,
            "class_code": cls,
            "theme": t["theme"],
            "subtheme": t["subtheme"],
            "provider": providers()
            .get(definition.get("provider_code", ""), {})
            .get("provider", ""),
            "origin": "registered",
            "defined_at": datetime.now(UTC),
        }
        check(row)
        _insert(con, row)
        if row["table_name"] in store_tables(con):
            write_items(con, code, row["table_name"], table_columns(con, row["table_name"]))
    return code


def get(con: duckdb.DuckDBPyConnection, code: str) -> dict[str, Any] | None:
    """One resource's catalogue row as a dict, or ``None``."""
    cur = con.execute(
        f"SELECT {', '.join(COLUMNS)} FROM catalog_resource WHERE code = ? AND {CURRENT}", [code]
    )
    rows = cur.fetchall()
    return dict(zip(COLUMNS, rows[0], strict=True)) if rows else None


def every(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Every resource's catalogue row, by code."""
    rows = con.execute(
        f"SELECT {', '.join(COLUMNS)} FROM catalog_resource WHERE {CURRENT} ORDER BY code"
    ).fetchall()
    return [dict(zip(COLUMNS, r, strict=True)) for r in rows]
