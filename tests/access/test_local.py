from __future__ import annotations

import os
import stat
from pathlib import Path

from ecohub.access import local, tokens


def test_local_credential_is_owner_only_and_replaced(tmp_path: Path) -> None:
    old_umask = os.umask(0)  # even with a permissive umask the file is 0600
    try:
        first = local.write_local_credential(tmp_path)
    finally:
        os.umask(old_umask)
    path = tmp_path / "local.credential"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.stat().st_uid == os.getuid()
    assert local.read_local_credential(tmp_path) == first
    second = local.write_local_credential(tmp_path)
    assert second != first and local.read_local_credential(tmp_path) == second
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert local.matches(second, second) and not local.matches(second, first)
    assert not local.matches(None, second)
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind
    local.remove_local_credential(tmp_path)
    assert local.read_local_credential(tmp_path) is None


def test_jwt_secret_is_created_once_owner_only(tmp_path: Path) -> None:
    first = tokens.load_secret(tmp_path)
    assert len(first) == 32
    assert stat.S_IMODE((tmp_path / "jwt.secret").stat().st_mode) == 0o600
    assert tokens.load_secret(tmp_path) == first
