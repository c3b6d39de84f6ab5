"""The resource model and the built-in resource definitions (``data/*.csv``).

A resource carries the core metadata of 政务信息资源目录编制指南（试行） (on GB/T 21063.3):
classification (类 项 目 细目, with its theme), name, code, provider and provider code, abstract,
format, data items (name, type, unit, standard), sharing type / conditions / method, open type,
update cycle, publication date and related resources. The built-in resources are data
(``data/resources.csv``); :func:`sync` writes them into ``catalog_resource`` and describes every
other table of the store it finds as a *discovered* resource, so nothing the store holds is left
out of the catalogue.
"""

from __future__ import annotations

import csv
import re
import uuid
from datetime import UTC, date, datetime
from functools import cache
from importlib import resources as pkg
from typing import Any

import duckdb
import pyarrow as pa

from ecohub.catalog._db import WRITE_LOCK, replace_rows, transaction
from ecohub.queries import QueryError

SHARING_TYPES = ("无条件共享", "有条件共享", "不予共享")
OPEN_TYPES = ("无条件开放", "有条件开放", "不予开放")
UPDATE_CYCLES = ("实时", "每小时", "每日", "每月", "每年", "不定期")
KINDS = ("table", "product")
#: Classification of tables found in the store but not described in resources.csv.
UNDESCRIBED_CLASS = "30100699"
CODE = re.compile(r"^(\d{8})-(\d{5})$")

COLUMNS = (
    "code",
    "class_code",
    "theme",
    "subtheme",
    "name_zh",
    "name_en",
    "provider_code",
    "provider",
    "kind",
    "table_name",
    "row_filter",
    "abstract_zh",
    "abstract_en",
    "format",
    "sharing_type",
    "sharing_conditions",
    "sharing_method",
    "open_type",
    "open_conditions",
    "update_cycle",
    "published_on",
    "related",
    "licence",
    "origin",
    "defined_at",
)


def _csv(name: str) -> list[dict[str, str]]:
    text = pkg.files("ecohub.catalog").joinpath("data", name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


@cache
def themes() -> dict[str, dict[str, str]]:
    """Classification code -> theme, sub-theme (zh, en)."""
    return {r["class_code"]: r for r in _csv("themes.csv")}


@cache
def providers() -> dict[str, dict[str, str]]:
    return {r["provider_code"]: r for r in _csv("providers.csv")}


@cache
def table_specs() -> dict[str, dict[str, str]]:
    """Table -> how its coverage is computed (``time_column``, ``via``)."""
    return {r["table"]: r for r in _csv("tables.csv")}


@cache
def item_notes() -> dict[tuple[str, str], dict[str, str]]:
    """(table, column) -> Chinese name, unit, standard."""
    return {(r["table"], r["column"]): r for r in _csv("items.csv")}


def split_code(code: str) -> tuple[str, int]:
    """(classification code, sequence) of a resource code; ``code: ...`` when malformed."""
    m = CODE.match(code)
    if not m:
        raise QueryError("code", f"{code!r} is not a resource code (8-digit class, '-', 5 digits)")
    return m.group(1), int(m.group(2))


def _check(row: dict[str, Any]) -> dict[str, Any]:
    """A definition validated against the guide's vocabularies; ValueError names the field."""
    cls, _ = split_code(row["code"])
    if cls not in themes():
        raise ValueError(f"class_code: {cls} of {row['code']} is not in themes.csv")
    if row["provider_code"] not in providers():
        raise ValueError(f"provider_code: {row['provider_code']!r} is not in providers.csv")
    for field, allowed in (
        ("sharing_type", SHARING_TYPES),
        ("open_type", OPEN_TYPES),
        ("update_cycle", UPDATE_CYCLES),
        ("kind", KINDS),
    ):
        if row[field] not in allowed:
            raise ValueError(f"{field}: {row[field]!r} of {row['code']} is not one of {allowed}")
    if row["sharing_type"] == "有条件共享" and not row.get("sharing_conditions"):
        raise ValueError(f"sharing_conditions: {row['code']} is 有条件共享 but states no condition")
    if row["open_type"] == "有条件开放" and not row.get("open_conditions"):
        raise ValueError(f"open_conditions: {row['code']} is 有条件开放 but states no condition")
    return row


@cache
def definitions() -> tuple[dict[str, Any], ...]:
    """The built-in resources, with classification and provider filled in from their tables."""
    out = []
    for r in _csv("resources.csv"):
        cls, _ = split_code(r["code"])
        t = themes().get(cls, {})
        row = {
            "code": r["code"],
            "class_code": cls,
            "theme": t.get("theme", ""),
            "subtheme": t.get("subtheme"),
            "name_zh": r["name_zh"],
            "name_en": r["name_en"],
            "provider_code": r["provider_code"],
            "provider": providers().get(r["provider_code"], {}).get("provider", ""),
            "kind": r["kind"],
            "table_name": r["table"],
            "row_filter": r["filter"] or None,
            "abstract_zh": r["abstract_zh"],
            "abstract_en": r["abstract_en"],
            "format": r["format"],
            "sharing_type": r["sharing_type"],
            "sharing_conditions": r["sharing_conditions"] or None,
            "sharing_method": r["sharing_method"] or None,
            "open_type": r["open_type"],
            "open_conditions": r.get("open_conditions") or None,
            "update_cycle": r["update_cycle"],
            "published_on": date.fromisoformat(r["published_on"]) if r["published_on"] else None,
            "related": r["related"] or None,
            "licence": None,
            "origin": "builtin",
            "initially_published": r["published"] == "y",
        }
        out.append(_check(row))
    return tuple(out)


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


def _item_rows(code: str, table: str, columns: list[tuple[str, str]]) -> list[list[Any]]:
    notes = item_notes()
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
                n.get("unit") or None,
                n.get("standard") or None,
            ]
        )
    return rows


ITEM_COLUMNS = ("code", "position", "name", "name_zh", "data_type", "unit", "standard")


def _items(con: duckdb.DuckDBPyConnection, code: str, table: str) -> None:
    rows = _item_rows(code, table, _all_columns(con).get(table, []))
    replace_rows(
        con, "catalog_item", ITEM_COLUMNS, ["code", "name"], rows, scope=("code = ?", [code])
    )


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
            items: list[list[Any]] = []
            for code, table in con.execute(
                "SELECT code, table_name FROM catalog_resource ORDER BY code"
            ).fetchall():
                items += _item_rows(code, table, columns.get(table, []))
            replace_rows(con, "catalog_item", ITEM_COLUMNS, ["code", "name"], items)
            written = len(builtin) + len(tables - described)
        _SYNCED.add(key)
        return written


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
        _check(row)
        _insert(con, row)
        if row["table_name"] in store_tables(con):
            _items(con, code, row["table_name"])
    return code


def get(con: duckdb.DuckDBPyConnection, code: str) -> dict[str, Any] | None:
    """One resource's catalogue row as a dict, or ``None``."""
    cur = con.execute(f"SELECT {', '.join(COLUMNS)} FROM catalog_resource WHERE code = ?", [code])
    rows = cur.fetchall()
    return dict(zip(COLUMNS, rows[0], strict=True)) if rows else None


def every(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Every resource's catalogue row, by code."""
    rows = con.execute(
        f"SELECT {', '.join(COLUMNS)} FROM catalog_resource ORDER BY code"
    ).fetchall()
    return [dict(zip(COLUMNS, r, strict=True)) for r in rows]


def items(con: duckdb.DuckDBPyConnection, code: str) -> list[dict[str, Any]]:
    cols = ("name", "name_zh", "data_type", "unit", "standard")
    rows = con.execute(
        f"SELECT {', '.join(cols)} FROM catalog_item WHERE code = ? ORDER BY position", [code]
    ).fetchall()
    return [dict(zip(cols, r, strict=True)) for r in rows]
