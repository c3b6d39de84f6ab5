"""The local credential: how the CLI on the server's machine talks to its own server.

At start the server writes a fresh random credential to ``<data_dir>/local.credential``,
created with mode 0600, so only the owner of the data folder (the account the server runs
as) can read it. Whoever can read it can also open the store file itself, so it grants
nothing new: it maps to ``Principal("local", "admin", via="local")``. A restart replaces it.
"""

from __future__ import annotations

import contextlib
import hmac
import os
import secrets
from pathlib import Path

from ecohub.access.principal import Principal

FILE_NAME = "local.credential"
PREFIX = "ehl_"
LOCAL = Principal("local", "admin", None, via="local")


def credential_path(data_dir: Path | str) -> Path:
    return Path(data_dir) / FILE_NAME


def write_local_credential(data_dir: Path | str) -> str:
    """Write a new credential (mode 0600, replacing any old one atomically); return it."""
    path = credential_path(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    value = PREFIX + secrets.token_urlsafe(32)
    tmp = path.with_name(f".{FILE_NAME}.{os.getpid()}")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    # O_EXCL + mode: the file never exists with wider permissions, not even for a moment.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(fd, 0o600)  # the umask may only narrow the mode; make it exact
        os.write(fd, value.encode())
    finally:
        os.close(fd)
    os.replace(tmp, path)
    return value


def read_local_credential(data_dir: Path | str) -> str | None:
    """The credential the server wrote, or ``None`` if there is none or it cannot be read."""
    try:
        value = credential_path(data_dir).read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return value if value.startswith(PREFIX) else None


def remove_local_credential(data_dir: Path | str) -> None:
    """Delete the credential file (the server calls this when it stops)."""
    with contextlib.suppress(FileNotFoundError):
        credential_path(data_dir).unlink()


def matches(expected: str | None, offered: str) -> bool:
    """Constant-time comparison of an offered credential with the server's."""
    return expected is not None and hmac.compare_digest(expected.encode(), offered.encode())
