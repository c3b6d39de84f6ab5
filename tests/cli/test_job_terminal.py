"""A job followed from a real terminal (a pseudo-terminal, so Rich draws its progress bar):
the bar must cope with a job that does not know its total yet (a queued job has none)."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path


def test_a_job_in_a_terminal_draws_its_bar_and_ends_with_the_result(tmp_path: Path) -> None:
    from ecohub.store.db import connect

    connect(tmp_path / "data" / "ecohub.duckdb").close()  # compaction needs a store
    leader, follower = pty.openpty()
    env = {**os.environ, "ECOHUB_DATA_DIR": str(tmp_path / "data"), "COLUMNS": "120"}
    env.pop("CI", None)  # Rich treats CI as a plain log; this test wants the bar
    with subprocess.Popen(
        [sys.executable, "-m", "ecohub.cli.main", "lake", "compact"],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env=env,
    ) as proc:
        os.close(follower)
        out = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            out += chunk
        code = proc.wait(timeout=120)
    os.close(leader)
    text = out.decode("utf-8", "replace")
    assert "Traceback" not in text, text
    assert code == 0, text
