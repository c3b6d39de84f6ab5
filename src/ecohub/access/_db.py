"""One DuckDB habit the access services share."""

from __future__ import annotations

import threading
from typing import Any

#: Held around every UPDATE of the identity tables (app_user, api_key, refresh_token). Two
#: concurrent transactions updating one row make DuckDB abort one ("write-write conflict"), and
#: ``UPDATE ... RETURNING`` conflicts even with concurrent readers; these writes are rare and
#: cheap, so one process-wide lock (the store has one writing process) removes the problem.
WRITE_LOCK = threading.RLock()


def first(rows: list[Any]) -> Any | None:
    """The first of ``rows`` or ``None``.

    The services read with ``fetchall()`` and this, never ``fetchone()``: a ``fetchone()`` that
    leaves rows unread keeps its query (and so its transaction) open on that connection, and
    every later update of a row that transaction saw fails with a write-write conflict.
    """
    return rows[0] if rows else None
