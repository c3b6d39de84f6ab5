"""The DuckDB file store: open, migrate, and hand out connections.

Migrations are the numbered ``schema/NNN_*.sql`` files, applied in order on open inside one
transaction each; ``schema_version`` records which ran.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import duckdb

_MIGRATION = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")


class StoreError(Exception):
    """The store cannot be opened or used (locked by another process, bad path, ...)."""


def migrations() -> list[tuple[int, str, str]]:
    """(version, file name, SQL) of every bundled migration, in order."""
    found = []
    for entry in resources.files("ecohub.store.schema").iterdir():
        m = _MIGRATION.match(entry.name)
        if m:
            found.append((int(m.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    return sorted(found)


def migrate(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Apply the migrations this database has not seen; return the versions applied."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_version ("
        "version INTEGER PRIMARY KEY, name VARCHAR, applied_at TIMESTAMPTZ DEFAULT now())"
    )
    done = {row[0] for row in con.execute("SELECT version FROM schema_version").fetchall()}
    applied = []
    for version, name, sql in migrations():
        if version in done:
            continue
        con.execute("BEGIN")
        try:
            con.execute(sql)
            con.execute("INSERT INTO schema_version (version, name) VALUES (?, ?)", [version, name])
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        applied.append(version)
    return applied


# How much write-ahead log DuckDB collects before it folds it into the database file (DuckDB's
# default is 16 MiB). Each fold has a fixed cost besides the data: at HJ 212 rate, 16 MiB meant a
# fold about every second and ~10% fewer answered packets than 128 MiB (docs/benchmarks.md).
# Every commit is still durable in the log; a restart replays at most this much.
CHECKPOINT_THRESHOLD = "128MiB"


def connect(path: Path | str, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) and migrate the store at ``path``; ``:memory:`` works too."""
    target = str(path)
    if target != ":memory:":
        Path(target).parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(target, read_only=read_only)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise StoreError(
                f"store {target} is in use by another process (is `ecohub up` running?); "
                "stop it, or ask the running server over HTTP"
            ) from exc
        raise StoreError(f"cannot open store {target}: {exc}") from exc
    con.execute("SET TimeZone = 'Asia/Shanghai'")
    if not read_only:
        con.execute(f"SET checkpoint_threshold = '{CHECKPOINT_THRESHOLD}'")
        migrate(con)
    return con


def is_empty(con: duckdb.DuckDBPyConnection) -> bool:
    """True when the store holds no station data and no emissions yet."""
    row = con.execute(
        "SELECT (SELECT count(*) FROM observation) + (SELECT count(*) FROM emission)"
    ).fetchone()
    return row is None or row[0] == 0
