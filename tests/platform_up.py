"""``ecohub up`` as a child process for the tests that need the whole running platform."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Up:
    """The running platform: its HTTP base URL; once stopped, its exit code and output."""

    url: str
    returncode: int | None = None
    out: str = ""
    err: str = ""


@contextmanager
def ecohub_up(data: Path, *args: str, env: dict[str, str], start_s: float = 240) -> Iterator[Up]:
    """``ecohub up --hj212-port 0 --http-port 0 *args`` over ``data`` (``env`` must name it as
    ``ECOHUB_DATA_DIR``) until the block ends; then SIGTERM and wait for a clean stop."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "ecohub.cli.main", "up", *args, "--hj212-port", "0",
         "--http-port", "0"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    up = Up("")
    try:
        state = data / "server.json"
        deadline = time.monotonic() + start_s
        while not state.exists():
            assert proc.poll() is None, proc.stderr.read()  # type: ignore[union-attr]
            assert time.monotonic() < deadline, "ecohub up did not come up"
            time.sleep(0.2)
        time.sleep(0.3)  # written before the listeners take their first request
        up.url = json.loads(state.read_text())["http"]
        yield up
    finally:
        proc.send_signal(signal.SIGTERM)
        up.out, up.err = proc.communicate(timeout=120)
        up.returncode = proc.returncode
