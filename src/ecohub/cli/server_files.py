"""A command's file, loaded by a job: on the running server, or in this process.

A server's jobs read only from its import folders and write reject files only into its rejects
folder (jobs/files.py). The CLI beside it is the owner of the data folder (it reads the local
credential there), so it hands the server a file from anywhere its user can read: it copies
the file into the server's import folder (a sub-folder of its own, 0700; the copy 0600), names
the copy in the job and removes it when the job has ended. The rejects come back to where the
command writes them without a server (``--reject``, else beside the file, under the name the
loader chose), and the job's result is told in the user's paths, so the command prints what it
prints with no server running. Then the app runs in this process, the user's own, and reads
and writes the user's paths directly.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ecohub.cli.client import Door, DoorError
from ecohub.jobs.load_kinds import label_for

__all__ = ["Rejects", "file_job"]


@dataclass(frozen=True)
class Rejects:
    """The job's reject parameter (``reject``), the user's reject file (None: the loader's
    default beside the file), and the loader's own check of that file before it reads
    anything (raises what the loader raises), if it has one."""

    param: str
    path: Path | None = None
    check: Callable[[Path], object] | None = None


def file_job(
    d: Door,
    kind: str,
    params: dict[str, Any],
    title: str,
    *,
    file: Path,
    rejects: Rejects | None = None,
    route: str | None = None,
) -> Any:
    """The result of job ``kind`` loading ``file`` (``params`` without ``path``), told in the
    user's paths; ``route`` as in :meth:`Door.job`."""
    local = str(file.resolve())
    wanted = rejects.path.resolve() if rejects is not None and rejects.path is not None else None
    mine = {rejects.param: str(wanted)} if rejects is not None and wanted is not None else {}
    d.create = True  # a load may begin a store where none is (it says so)
    if not d.through_server():
        return d.job(kind, {**params, "path": local, **mine}, title, route)
    # The server sees only the copy and writes into its own folder: the file and the reject
    # file the user named are judged here first, as this process would judge them.
    _check_here(d, kind, {**params, "path": local, **mine}, route, rejects)
    # The server loads a copy that is gone when the job ends: a kind that records where its
    # file came from (the lineage) is told the user's path, as a label it never opens.
    label = {"label": label_for(local)} if _labels(kind) else {}
    with _staged(d, file) as copy:
        try:
            job = d.follow(kind, {**params, "path": copy, **label}, title, route)
        except DoorError as exc:
            raise DoorError(str(exc).replace(copy, local), exc.status, exc.field) from None
    names = {copy: local}
    written = (job.get("params") or {}).get(rejects.param) if rejects is not None else None
    if written and job.get("rejects"):
        target = wanted or Path(local).parent / Path(written).name
        try:
            target.parent.mkdir(parents=True, exist_ok=True)  # as the loaders do
            d.download(job["rejects"], target)
        except OSError as exc:
            raise DoorError(
                f"{target}: cannot write the reject file ({exc.strerror or exc}); the server "
                f"keeps it: GET {job['rejects']}"
            ) from None
        names[written] = str(target)
        _forget(d, written)
    return _renamed(job["result"], names)


def _labels(kind: str) -> bool:
    """Whether job ``kind`` takes a ``label`` for its file (jobs/load_kinds.py)."""
    from ecohub.jobs.kinds import KINDS

    spec = KINDS.get(kind)
    return spec is not None and "label" in spec.params.model_fields


def _check_here(
    d: Door, kind: str, params: dict[str, Any], route: str | None, rejects: Rejects | None
) -> None:
    """The job's parameters as the kind checks them in this process (the file and the reject
    file included), then the loader's own check of a reject file the user named;
    :class:`DoorError` as the job would have failed in this process."""
    from ecohub.jobs.files import JobFiles
    from ecohub.jobs.kinds import KINDS, check_params
    from ecohub.queries.failures import classify

    try:
        prefix = "" if route else "params."
        check_params(KINDS[kind], params, JobFiles.unconfined(d.settings), prefix)
        if rejects is not None and rejects.check is not None and rejects.path is not None:
            rejects.check(Path(params[rejects.param]))
    except Exception as exc:
        failure = classify(exc)
        raise DoorError(failure.detail, failure.status, failure.field) from None


@contextlib.contextmanager
def _staged(d: Door, file: Path) -> Iterator[str]:
    """A private copy of ``file`` in the server's import folder while the block runs."""
    from ecohub.jobs.files import JobFiles

    folder = Path(d.server.get("imports") or os.path.realpath(JobFiles.of(d.settings).imports[0]))
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        sub = Path(tempfile.mkdtemp(prefix="cli-", dir=folder))  # 0700
    except OSError as exc:
        raise DoorError(
            f"{file}: cannot copy it into the server's import folder {folder}: "
            f"{exc.strerror or exc}"
        ) from None
    try:
        copy = sub / file.name
        try:
            os.close(os.open(copy, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600))
            shutil.copyfile(file, copy)
            _give_to_server(folder, [sub, copy])
        except OSError as exc:
            raise DoorError(
                f"{file}: cannot copy it into the server's import folder {folder}: "
                f"{exc.strerror or exc}"
            ) from None
        yield str(copy)
    finally:
        shutil.rmtree(sub, ignore_errors=True)


def _give_to_server(folder: Path, paths: list[Path]) -> None:
    """Run as root for a server run by its own account: the copy is that account's (0700 and
    0600 would otherwise keep the server out)."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return
    owner = folder.stat()
    if owner.st_uid != 0:
        for path in paths:
            os.chown(path, owner.st_uid, owner.st_gid)


def _forget(d: Door, written: str) -> None:
    """The server's copy of the rejects, removed once they are where the user wants them."""
    root = d.server.get("rejects")
    real = Path(os.path.realpath(written))
    if not root or not real.parent.is_relative_to(root):
        return
    with contextlib.suppress(OSError):
        real.unlink()
        if real.parent != Path(root):
            real.parent.rmdir()


def _renamed(value: Any, names: dict[str, str]) -> Any:
    """``value`` (plain data) with every server path in ``names`` replaced by the user's."""
    if isinstance(value, str):
        for server, user in names.items():
            value = value.replace(server, user)
        return value
    if isinstance(value, list):
        return [_renamed(v, names) for v in value]
    if isinstance(value, dict):
        return {k: _renamed(v, names) for k, v in value.items()}
    return value
