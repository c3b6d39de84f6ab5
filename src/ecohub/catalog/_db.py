"""One write lock for the catalog's tables.

DuckDB aborts one of two transactions that touch the same rows ("write-write conflict"); the
catalog's writes are rare (definitions, refresh, applications, decisions) and short, so they
take turns behind one lock instead.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import duckdb

WRITE_LOCK = threading.RLock()


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """``BEGIN`` .. ``COMMIT`` under the write lock (``ROLLBACK`` on any error)."""
    with WRITE_LOCK:
        con.execute("BEGIN")
        try:
            yield con
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")
