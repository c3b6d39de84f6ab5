"""The DuckDB file store: open, migrate, and hand out connections.

Migrations are the numbered ``schema/NNN_*.sql`` files, applied in order on open inside one
transaction each; ``schema_version`` records which ran.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import stat
import time
from collections.abc import Callable, Iterator
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import duckdb

if TYPE_CHECKING:
    from ecohub.settings import Settings

log = logging.getLogger(__name__)

T = TypeVar("T")

_MIGRATION = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")


class StoreError(Exception):
    """The store cannot be opened or used (locked by another process, bad path, ...)."""


class StoreLocked(StoreError):
    """Another process holds the store (DuckDB allows one writer): ask it over HTTP instead."""


def migrations() -> list[tuple[int, str, str]]:
    """(version, file name, SQL) of every bundled migration, in order."""
    found = []
    for entry in resources.files("ecohub.store.schema").iterdir():
        m = _MIGRATION.match(entry.name)
        if m:
            found.append((int(m.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    return sorted(found)


def migrate(con: duckdb.DuckDBPyConnection, *, before: int | None = None) -> list[int]:
    """Apply the migrations this database has not seen; return the versions applied.
    ``before``: only those numbered below it (a store as an older release left it, for tests
    of a later migration)."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_version ("
        "version INTEGER PRIMARY KEY, name VARCHAR, applied_at TIMESTAMPTZ DEFAULT now())"
    )
    done = {row[0] for row in con.execute("SELECT version FROM schema_version").fetchall()}
    applied = []
    for version, name, sql in migrations():
        if version in done or (before is not None and version >= before):
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
    """Open (creating if needed) and migrate the store at ``path``; ``:memory:`` works too.

    Raises :class:`StoreLocked` when another process holds the file and :class:`StoreError`
    (naming the path and the reason) for anything else that keeps it from opening.
    """
    target = str(path)
    if target != ":memory:":
        parent = Path(target).parent
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"cannot create the store's directory {parent}: {exc.strerror or exc}"
            ) from exc
        if Path(target).is_dir():
            raise StoreError(f"store {target} is a directory, not a DuckDB file")
    try:
        con = duckdb.connect(target, read_only=read_only)
    except duckdb.Error as exc:
        text = str(exc)
        if "lock" in text.lower():
            raise StoreLocked(
                f"store {target} is in use by another process (is `ecohub up` running?); "
                "stop it, or ask the running server over HTTP"
            ) from exc
        if "not a valid DuckDB database file" in text:
            raise StoreError(
                f"store {target} is not a DuckDB database file (check ECOHUB_DB_PATH and "
                "ECOHUB_DATA_DIR; ecohub creates the store itself when the file does not exist)"
            ) from exc
        raise StoreError(f"cannot open store {target}: {text}") from exc
    try:
        # GLOBAL: every cursor of this store (each request's, the HJ 212 writer's, a job's) is a
        # connection of its own and would otherwise take the host's zone, so answers (the
        # offset of a time, a day's boundaries) would depend on how the server's clock is set.
        con.execute("SET GLOBAL TimeZone = 'Asia/Shanghai'")
        # The lake's views read Parquet by name across files (union_by_name), which reads every
        # file's footer when a statement is bound: remembered, a footer is parsed once per file
        # (DuckDB checks the file's modification time before it uses the copy). A page over a
        # 384-file lake: 40 -> 30 ms (docs/benchmarks.md, "Reads that name their partitions").
        con.execute("SET parquet_metadata_cache = true")
        # ecohub_in_area: the point-in-polygon test of basin / custom region scopes.
        from ecohub.access.region_scope import register

        register(con)
        if not read_only:
            con.execute(f"SET checkpoint_threshold = '{CHECKPOINT_THRESHOLD}'")
            migrate(con)
    except duckdb.Error as exc:
        con.close()
        raise StoreError(f"store {target} cannot be used by ecohub: {exc}") from exc
    if target != ":memory:" and not read_only:
        private_files()
        keep_private(Path(target))
    return con


def private_files() -> None:
    """Files this process creates from now on readable by their owner alone (the umask
    narrowed to 077). DuckDB makes a new WAL after every checkpoint and clean start; outside
    a private data folder (``ECOHUB_DB_PATH`` elsewhere) it would take the default mode and
    any local account could read what it holds. Narrows only: a stricter umask stays."""
    current = os.umask(0o077)
    os.umask(current | 0o077)


def keep_private(store: Path) -> None:
    """The store file and its WAL readable by their owner alone (0600): they hold password,
    key and token hashes, device passwords and every region's data, so a file others can
    read would bypass every role and scope. The data folder is made private by
    :func:`apply_settings` (a WAL made later takes the folder's protection)."""
    try:
        for f in (store, store.with_name(store.name + ".wal")):
            if f.exists():
                os.chmod(f, 0o600)
    except OSError as exc:  # a file system without modes: said, not fatal
        log.warning("could not make the store %s private: %s", store, exc)


def private_folder(folder: Path) -> None:
    """``folder`` (the data folder: the store, its WAL, the lake, the signing secret)
    searchable and readable by its owner alone (0700), unless it is a shared folder (sticky
    bit, as /tmp) or another user's."""
    try:
        info = folder.stat()
        if not info.st_mode & stat.S_ISVTX and info.st_uid == os.geteuid():
            os.chmod(folder, stat.S_IMODE(info.st_mode) & 0o700)
    except OSError as exc:
        log.warning("could not make the data folder %s private: %s", folder, exc)


def apply_settings(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    """What the settings say about the store as a whole: its memory budget
    (``db_memory_limit``; a DuckDB setting of the database, so every cursor shares it), and
    its data folder kept private (:func:`private_folder`)."""
    if settings.data_dir.is_dir():
        private_folder(settings.data_dir)
    if settings.db_memory_limit is not None:
        con.execute(f"SET memory_limit = '{settings.db_memory_limit}'")


def is_empty(con: duckdb.DuckDBPyConnection) -> bool:
    """True when the store holds no station data and no emissions yet."""
    row = con.execute(
        "SELECT (SELECT count(*) FROM observation_all) + (SELECT count(*) FROM emission_all)"
    ).fetchone()
    return row is None or row[0] == 0


def in_transaction(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether ``con`` (a connection or cursor) is inside an explicit transaction.

    Not by trying ``BEGIN``: in DuckDB a refused ``BEGIN`` aborts the transaction that is
    open, so the caller's work would be lost. In autocommit mode every statement is a
    transaction of its own with a new id; inside ``BEGIN`` .. ``COMMIT`` the id stays.
    """
    q = "SELECT txid_current()"
    return bool(con.execute(q).fetchall() == con.execute(q).fetchall())


@contextlib.contextmanager
def own_transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """The block in a transaction of its own, or in the caller's when one is open (the caller
    commits it). Any error rolls the block's own transaction back and is raised."""
    if in_transaction(con):
        yield
        return
    with transaction(con):
        yield


@contextlib.contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """The block in a transaction of its own: committed at its end, rolled back on any error."""
    con.execute("BEGIN")
    try:
        yield
        con.execute("COMMIT")
    except BaseException:
        # A COMMIT that failed (a write conflict) has ended the transaction already.
        with contextlib.suppress(duckdb.TransactionException):
            con.execute("ROLLBACK")
        raise


def retried_write(
    con: duckdb.DuckDBPyConnection,
    work: Callable[[], T],
    *,
    tries: int = 5,
    pause_s: float = 0.02,
) -> T:
    """``work()`` in one transaction of its own, tried again (up to ``tries`` times, pausing
    ``pause_s`` times the attempt number) when DuckDB aborts it for a write-write conflict with
    another transaction; inside the caller's transaction it runs once, and a conflict is the
    caller's to handle."""
    if in_transaction(con):
        return work()
    for attempt in range(1, tries + 1):
        try:
            with transaction(con):
                return work()
        except duckdb.TransactionException:
            if attempt == tries:
                raise
            time.sleep(pause_s * attempt)
    raise AssertionError("unreachable")
