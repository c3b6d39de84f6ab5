"""Replacing a lake partition's files at once: the step behind file merging and the rewrite of
a partition whose rows a newer observation load replaced.

A partition folder (``month=M/bucket=B``) is rebuilt complete under the batch's staging folder
(``_staging/<batch>/swap/month=M/bucket=B/``), then exchanged with the live folder in one
``renameat2(RENAME_EXCHANGE)`` call (Linux 3.15+, ext4/xfs/btrfs/tmpfs): a reader listing the
partition sees either every old file or the new one, never both and never neither. The old
files end up in the staging folder and are deleted with it.

Where the exchange is unavailable (another OS, a file system without it) the swap is two
renames: the old folder aside, then the new one in. A reader listing the partition between
them finds it empty (rows missing for that instant, never doubled); a process killed between
them is finished by :func:`finish`, which puts the staged new folder in place.

A query that listed the old files before the exchange and opens one after it fails with a
missing file: it can be run again (nothing was lost or doubled). The writer's lake check does
so by itself (:class:`ecohub.store.lake_known.KnownFilter`).
"""

from __future__ import annotations

import ctypes
import errno
import logging
import os
import shutil
from pathlib import Path

log = logging.getLogger(__name__)

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _exchange(a: Path, b: Path) -> bool:
    """Swap two existing paths atomically; False when this system cannot."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    rc = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if rc == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), f"{a} <-> {b}")


def staged(base: Path, batch: str) -> Path:
    """Where a batch builds the new contents of the partitions it replaces."""
    return base / "_staging" / batch / "swap"


def put_in_place(base: Path, batch: str) -> int:
    """Swap every partition staged by ``batch`` into the lake; the partitions swapped.

    After it, the old files sit in the staging folder (exchanged) or ``…/old/`` (two renames);
    the caller deletes ``_staging/<batch>`` once the batch is recorded done.
    """
    swap = staged(base, batch)
    done = 0
    for new in sorted(swap.glob("month=*/bucket=*")):
        rel = new.relative_to(swap)
        live = base / rel
        if not live.exists():  # a partition that had no files yet
            live.parent.mkdir(parents=True, exist_ok=True)
            os.replace(new, live)
        elif not _exchange(new, live):
            aside = base / "_staging" / batch / "old" / rel
            aside.parent.mkdir(parents=True, exist_ok=True)
            os.replace(live, aside)
            os.replace(new, live)
        done += 1
    return done


def finish(base: Path, batch: str) -> None:
    """After a kill: a partition whose live folder is missing (killed between the two renames of
    the fallback swap) gets its staged new folder; the rest of the staging folder goes."""
    swap = staged(base, batch)
    for new in sorted(swap.glob("month=*/bucket=*")):
        live = base / new.relative_to(swap)
        if not live.exists() and any(new.glob(f"{batch}-*.parquet")):
            live.parent.mkdir(parents=True, exist_ok=True)
            os.replace(new, live)
            log.warning("lake partition %s put in place after an interrupted swap", live)
    shutil.rmtree(base / "_staging" / batch, ignore_errors=True)


def fsync_file(path: Path) -> None:
    """Flush one written file to disk (a folder swap must never expose a half-written file)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def sql_path(path: Path) -> str:
    """``path`` as the body of a single-quoted SQL string literal."""
    return str(path).replace("'", "''")
