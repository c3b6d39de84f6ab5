"""The files a job names: where a server's jobs may read input files and write reject files.

A job runs as the server's account, so a path in its parameters would give whoever may queue
it (an application admin, over HTTP) that account's file system: any file it can read loaded
into the store and served from there, any file it can write replaced by a reject file (a
``.pth`` file in site-packages runs code at the next start). A server's jobs therefore read only
from its import folders (``import_dirs``, default ``<data_dir>/import``) and write only into its
rejects folder (``<data_dir>/rejects``, one folder per job). Each path is resolved first
(symbolic links followed, ``..`` collapsed) and judged where it really leads: when the job is
submitted (a 422 naming the parameter) and again when it starts, and the job then opens the
resolved path (docs/design.md "Files of jobs").

The CLI's own process, when no server runs, is its user's process: its jobs read and write
wherever that user names (:meth:`JobFiles.unconfined`).
"""

from __future__ import annotations

import contextlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from ecohub.settings import Settings, SettingsError

__all__ = ["NO_FILES", "JobFiles", "job_input", "job_output"]

_ABSOLUTE = "must be an absolute path on the server"


def _real(path: Path | str) -> Path:
    return Path(os.path.realpath(path))


def _inside(path: Path, root: Path) -> bool:
    return path.is_relative_to(root)


@dataclass(frozen=True)
class JobFiles:
    """Where jobs read (``imports``) and write (``rejects``); ``confined=False``: anywhere."""

    imports: tuple[Path, ...]
    rejects: Path | None
    confined: bool = True

    @classmethod
    def of(cls, settings: Settings, data_dir: Path | str | None = None) -> JobFiles:
        """A server's folders: ``import_dirs`` (default ``<data_dir>/import``) and
        ``<data_dir>/rejects``."""
        base = Path(data_dir if data_dir is not None else settings.data_dir)
        imports = tuple(settings.import_dirs) or (base / "import",)
        return cls(imports, base / "rejects")

    @classmethod
    def unconfined(cls, settings: Settings, data_dir: Path | str | None = None) -> JobFiles:
        """The CLI's own process (no server): its user's files, wherever they are."""
        folders = cls.of(settings, data_dir)
        return cls(folders.imports, folders.rejects, confined=False)

    def prepare(self, settings: Settings) -> None:
        """Make the folders (0700) at a server's start; :class:`SettingsError` naming
        ``import_dirs`` for one that cannot be an import folder: one holding the data folder or
        the store (their secrets and every row would be loadable), or overlapping the rejects
        folder."""
        name = (
            f"import_dirs ({settings.origin('import_dirs')})"
            if settings.import_dirs
            else "import_dirs (ECOHUB_IMPORT_DIRS unset: import in the data folder)"
        )
        private = {
            "the data folder": _real(settings.data_dir),
            "the store": _real(settings.database),
        }
        rejects = _real(self.rejects) if self.rejects is not None else None
        for folder in self.imports:
            real = _real(folder)
            for what, path in private.items():
                if _inside(path, real):
                    raise SettingsError(f"{name}: {folder}: holds {what} ({path}); name a folder "
                                        "of its own for files to load")  # fmt: skip
            if rejects is not None and (_inside(real, rejects) or _inside(rejects, real)):
                raise SettingsError(f"{name}: {folder}: overlaps the rejects folder {rejects}")
        for folder in [*self.imports, *([self.rejects] if self.rejects is not None else [])]:
            try:
                folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            except OSError as exc:
                raise SettingsError(
                    f"{name}: {folder}: cannot create it ({exc.strerror or exc})"
                ) from None
            if not folder.is_dir():
                raise SettingsError(f"{name}: {folder}: not a directory")

    # -- reading -------------------------------------------------------------------------------

    def read(self, value: str) -> str:
        """The file a job may read for ``value``: its resolved path (confined), else ``value``;
        ValueError with the reason (the params model makes it a 422 naming the field)."""
        path = Path(value)
        if not path.is_absolute():
            raise ValueError(_ABSOLUTE)
        if not self.confined:
            if not path.is_file():
                raise ValueError("no such file on the server")
            return value
        real = _real(path)
        roots = [_real(r) for r in self.imports]
        if not roots:
            raise ValueError("this server reads no files (it has no import folder)")
        if not any(_inside(real, r) for r in roots):
            raise ValueError(f"{value} {self._why_outside(path, roots)}; put the file into "
                             f"{roots[0]} (setting import_dirs) and name it there")  # fmt: skip
        if not real.is_file():
            raise ValueError("no such file on the server")
        return str(real)

    def _why_outside(self, path: Path, roots: list[Path]) -> str:
        # As configured and as resolved: either spelling names the folder to the caller.
        spelled = [*roots, *(Path(os.path.normpath(r)) for r in self.imports)]
        if ".." in path.parts:
            head = Path(*path.parts[: path.parts.index("..")])
            if any(_inside(head, r) for r in spelled):
                return "leads out of the import folders ('..')"
        if any(_inside(Path(os.path.normpath(path)), r) for r in spelled):
            return "leads out of the import folders through a symbolic link"
        return "is not in an import folder of this server"

    # -- writing -------------------------------------------------------------------------------

    def write(self, value: str) -> str:
        """The file a job may write for ``value`` (a reject file): a path inside the rejects
        folder that is not a symbolic link, not another kind of file and no second name of a
        file (a hard link); ValueError with the reason."""
        path = Path(value)
        if not path.is_absolute():
            raise ValueError(_ABSOLUTE)
        if not self.confined:
            return value
        if self.rejects is None:
            raise ValueError("this server writes no files (it has no rejects folder)")
        root = _real(self.rejects)
        parent = _real(path.parent)
        if path.name in ("", ".", "..") or not _inside(parent, root):
            raise ValueError(
                f"{value} is not in this server's rejects folder: leave it out (each job writes "
                f"its rejects into {root}/<job id>/, and GET /api/v1/jobs/{{id}}/rejects returns "
                f"them) or name a file in {root}"
            )
        target = parent / path.name
        try:
            info = os.lstat(target)
        except FileNotFoundError:
            return str(target)
        if stat.S_ISLNK(info.st_mode):
            raise ValueError(f"{value} is a symbolic link; name a new file")
        if not stat.S_ISREG(info.st_mode):
            raise ValueError(f"{value} is not a regular file")
        if info.st_nlink > 1:
            raise ValueError(f"{value} has another name (a hard link); name a new file")
        return str(target)

    def job_rejects(self, job_id: str, name: str) -> str | None:
        """Where job ``job_id`` writes its reject file ``name`` when the caller names none:
        its own folder in the rejects folder (None when unconfined: beside the input file)."""
        if not self.confined or self.rejects is None:
            return None
        return str(_real(self.rejects) / job_id / Path(name).name)

    def make_room(self, target: str) -> None:
        """The rejects folder, and the job's own folder in it when ``target`` lies there, made
        (0700); a folder deeper down is the caller's to have made."""
        if not self.confined or self.rejects is None:
            return
        self.rejects.mkdir(mode=0o700, parents=True, exist_ok=True)
        folder = Path(target).parent
        if folder.parent == _real(self.rejects):
            with contextlib.suppress(FileExistsError):
                folder.mkdir(mode=0o700)

    def settle(self, target: str) -> None:
        """After the job: its reject file readable by the server's account alone (0600), and
        its job folder removed when nothing was written into it."""
        if not self.confined:
            return
        with contextlib.suppress(OSError):
            fd = os.open(target, os.O_RDONLY | os.O_NOFOLLOW)
            try:
                os.fchmod(fd, 0o600)
            finally:
                os.close(fd)
        folder = Path(target).parent
        if self.rejects is not None and folder != _real(self.rejects):
            with contextlib.suppress(OSError):
                folder.rmdir()  # only when empty

    def open_reject(self, value: str) -> Any:
        """The reject file ``value`` opened for reading (binary), when it is a regular file in
        the rejects folder; else None. Opened without following a final symbolic link."""
        if self.rejects is None or not value:
            return None
        real = _real(value)
        if not _inside(real.parent, _real(self.rejects)):
            return None
        try:
            fd = os.open(real, os.O_RDONLY | os.O_NOFOLLOW)
        except OSError:
            return None
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            return None
        return os.fdopen(fd, "rb")


#: A job runner given no folders: every file path is refused.
NO_FILES = JobFiles((), None)


def _files(info: ValidationInfo) -> JobFiles:
    files = (info.context or {}).get("files")
    return files if isinstance(files, JobFiles) else NO_FILES


def job_input(value: str, info: ValidationInfo) -> str:
    """A params model's check of an input file (``path``): see :meth:`JobFiles.read`."""
    return _files(info).read(value)


def job_output(value: str | None, info: ValidationInfo) -> str | None:
    """A params model's check of a file the job writes (``reject``): :meth:`JobFiles.write`."""
    return None if value is None else _files(info).write(value)


_PATH = "absolute path on the server, in one of its import folders"
_REJECT = "reject file: absolute path in the server's rejects folder (default: the job's own)"


class FileParams(BaseModel):
    """A job's parameters for a file in (``path``) and a reject file out (``reject``), each
    judged by :func:`job_input` / :func:`job_output` when the parameters are validated."""

    model_config = ConfigDict(extra="forbid")
    path: str = Field(min_length=1, max_length=4096, description=_PATH)
    reject: str | None = Field(None, max_length=4096, description=_REJECT)

    @field_validator("path")
    @classmethod
    def _file(cls, value: str, info: ValidationInfo) -> str:
        return job_input(value, info)

    @field_validator("reject")
    @classmethod
    def _reject(cls, value: str | None, info: ValidationInfo) -> str | None:
        return job_output(value, info)
