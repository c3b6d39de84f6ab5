"""One write lock for the catalog's tables, and writes that never delete a key they insert.

DuckDB aborts one of two transactions that touch the same rows ("write-write conflict"); the
catalog's writes are rare (definitions, refresh, applications, decisions) and short, so they
take turns behind one lock instead.

DuckDB also refuses to commit a transaction that deletes and re-inserts a key an older, still
open transaction can see (``Failed to commit: write-write conflict on key``), and goes on
refusing for as long as that transaction stays open (a reader's, the HJ 212 writer's). Rows
the catalog keeps current (coverage, derived lineage, definitions, terms) are therefore
written in place by :func:`replace_rows`: an upsert of the new rows, then a delete of the keys
no longer there, never a delete and insert of one key.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any

import duckdb
import pyarrow as pa

WRITE_LOCK = threading.RLock()


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """``BEGIN`` .. ``COMMIT`` under the write lock (``ROLLBACK`` on any error, a failed
    ``COMMIT`` included, so the cursor is never left inside a transaction)."""
    with WRITE_LOCK:
        con.execute("BEGIN")
        try:
            yield con
            con.execute("COMMIT")
        except BaseException:
            rollback(con)
            raise


def rollback(con: duckdb.DuckDBPyConnection) -> None:
    """ROLLBACK if a transaction is still open (DuckDB ends one whose COMMIT failed itself)."""
    with suppress(duckdb.TransactionException):  # "no transaction is active"
        con.execute("ROLLBACK")


def replace_rows(
    con: duckdb.DuckDBPyConnection,
    table: str,
    columns: Sequence[str],
    keys: Sequence[str],
    rows: list[list[Any]],
    *,
    scope: tuple[str, list[Any]] | None = None,
) -> None:
    """Make ``table``'s rows (within ``scope``, an SQL predicate and its parameters; default
    all) exactly ``rows`` (values in ``columns`` order; ``keys`` its primary key), in the
    caller's transaction: upsert them, then delete the rows of the scope whose key is not among
    them."""
    names = list(columns)
    cols = list(zip(*rows, strict=True)) if rows else [() for _ in names]
    batch = pa.table([pa.array(list(c)) for c in cols], names=names)
    listed = ", ".join(f'"{c}"' for c in names)
    where, params = scope if scope is not None else ("TRUE", [])
    con.register("_catalog_rows", batch)
    try:
        if rows:
            con.execute(
                f"INSERT OR REPLACE INTO {table} ({listed}) SELECT {listed} FROM _catalog_rows"
            )
        same = " AND ".join(f'r."{k}" = t."{k}"' for k in keys)
        con.execute(
            f"DELETE FROM {table} t WHERE ({where}) "
            f"AND NOT EXISTS (SELECT 1 FROM _catalog_rows r WHERE {same})",
            params,
        )
    finally:
        con.unregister("_catalog_rows")
