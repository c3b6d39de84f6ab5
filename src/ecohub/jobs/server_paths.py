"""The files a job names: paths on the server's machine, as the CLI beside it sends them."""

from __future__ import annotations

from pathlib import Path

__all__ = ["server_file", "server_path"]


def server_path(value: str) -> str:
    """``value`` unchanged when it is an absolute path (a job runs in the server's working
    folder, not the caller's: a relative path would name another file); ValueError if not."""
    if not Path(value).is_absolute():
        raise ValueError("must be an absolute path on the server")
    return value


def server_file(value: str) -> str:
    """``value`` unchanged when it is an absolute path to a file on the server; ValueError
    saying which it is not (the job's params model turns it into a 422 naming the field)."""
    server_path(value)
    if not Path(value).is_file():
        raise ValueError("no such file on the server")
    return value
