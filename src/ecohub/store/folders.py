"""The folders settings name, checked before a process opens the store with them: the lake
(``ECOHUB_LAKE``) and Spark's work folder (``ECOHUB_SPARK_WORK_DIR``).

A folder that cannot be used is a :class:`~ecohub.settings.SettingsError` naming the setting,
where its value came from, the path and the reason (the CLI prints it as one line, exit 2),
instead of a traceback from the first job that writes there.

A configured lake must exist: ecohub creates only its default lake (beside the store). A shared
lake that is not mounted, or a mistyped path, would otherwise become a new, empty lake on the
local disk, and the platform would look healthy while reading and writing the wrong place.
"""

from __future__ import annotations

import os
from pathlib import Path

from ecohub.settings import Settings, SettingsError
from ecohub.store.lake import is_remote


def lake_folder(settings: Settings) -> Path | None:
    """The lake's folder, or None for a URL lake (not checked here)."""
    base = settings.lake_root
    if is_remote(base):
        return None
    return Path(base.removeprefix("file://"))


def _name(settings: Settings, setting: str, default: str) -> str:
    if getattr(settings, setting) is None:
        return f"{setting} (ECOHUB_{setting.upper()} unset: {default})"
    return f"{setting} ({settings.origin(setting)})"


def _not_a_directory(path: Path) -> str | None:
    """Why ``path`` cannot be a folder (it, or its nearest existing ancestor, is something
    else), or None."""
    if path.exists():
        return None if path.is_dir() else "not a directory"
    for parent in path.parents:
        if parent.exists():
            return None if parent.is_dir() else f"{parent} is not a directory"
    return None


def check_lake(settings: Settings, *, write: bool = True) -> None:
    """Refuse a lake folder that is not a directory (or lies under a file), a configured lake
    that does not exist, and (``write``) one this account cannot write. The default lake may
    be missing: it is made when the store is first opened."""
    folder = lake_folder(settings)
    if folder is None:
        return
    name = _name(settings, "lake", "the folder lake beside the store")
    reason = _not_a_directory(folder)
    if reason is None and not folder.exists() and settings.lake is not None:
        reason = (
            "no such directory (ecohub creates only its default lake: create this folder, "
            "or mount the shared lake, first)"
        )
    if reason is None and write and folder.is_dir() and not os.access(folder, os.W_OK | os.X_OK):
        reason = "not writable by this account"
    if reason is not None:
        raise SettingsError(f"{name}: {folder}: {reason}")


def lake_location(settings: Settings) -> str:
    """The lake as two processes compare it: a folder's real path, or the URL as given."""
    folder = lake_folder(settings)
    return settings.lake_root if folder is None else os.path.realpath(folder)


def check_same_lake(settings: Settings, server_lake: str | None, server: str) -> None:
    """Refuse a lake set for this process (``lake``) that is not ``server_lake``, the lake of
    the running server ``server`` that will do the work: the work would land in the server's
    lake while the operator believes it went to the one named. Nothing to compare when this
    process sets no lake, or the server did not say its own."""
    if settings.lake is None or server_lake is None:
        return
    mine = lake_location(settings)
    if mine != server_lake:
        raise SettingsError(
            f"{_name(settings, 'lake', '')}: {mine}: not the lake of the running server "
            f"({server}), which is {server_lake}: the server does this work in its own lake; "
            "unset the setting here, or stop the server and run it with this lake"
        )


def check_spark_work_dir(settings: Settings) -> Path:
    """Make Spark's work folder (engine ``spark``); refuse one that cannot be made."""
    folder = Path(settings.spark_work_dir or settings.data_dir / "spark-work")
    name = _name(settings, "spark_work_dir", "spark-work in the data folder")
    reason = _not_a_directory(folder)
    if reason is None:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            reason = f"cannot create it ({exc.strerror or exc})"
    if reason is not None:
        raise SettingsError(f"{name}: {folder}: {reason}")
    return folder


def check_folders(settings: Settings) -> None:
    """Every folder this process's settings name (before the store is opened)."""
    check_lake(settings)
    if settings.engine == "spark":
        check_spark_work_dir(settings)
