"""A write or an export answered by the server is in the audit log even if the server is
killed with SIGKILL the next moment (its entry is committed before the answer is sent)."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import httpx
import pytest

from ecohub.access.audit_read import verify
from ecohub.access.local import read_local_credential
from ecohub.store.db import connect
from tests.e2e.test_sigkill import start_platform

pytestmark = pytest.mark.e2e


def test_sigkill_loses_no_answered_write_or_export(tmp_path: Path) -> None:
    proc, state = start_platform(tmp_path)
    credential = read_local_credential(tmp_path)
    assert credential is not None
    answered: list[tuple[str, str]] = []  # (route kind, key) of every 2xx answer received
    stop = threading.Event()

    def client(kind: str, n: int) -> None:
        with httpx.Client(base_url=state["http"], timeout=5,
                          headers={"Authorization": f"Bearer {credential}"}) as c:  # fmt: skip
            i = 0
            while not stop.is_set():
                key = f"{kind}{n}X{i:06d}"
                try:
                    if kind == "W":  # register a device: a write
                        r = c.put(f"/api/v1/hj212/devices/{key}", json={"name": key})
                    else:  # the registry's code export (the nonce rides in the filters)
                        r = c.get("/api/v1/registry/codes", params={"format": "csv", "n": key})
                except httpx.HTTPError:
                    return  # the server is gone
                if r.status_code < 300:
                    answered.append((kind, key))
                i += 1

    threads = [threading.Thread(target=client, args=(k, n)) for n, k in enumerate("WWEE")]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 60
    while sum(k == "W" for k, _ in answered) < 40 or sum(k == "E" for k, _ in answered) < 40:
        assert time.monotonic() < deadline, f"only {len(answered)} answers"
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)  # mid-stream: requests are in flight
    proc.wait(timeout=10)
    stop.set()
    for t in threads:
        t.join(timeout=10)
    assert proc.returncode == -signal.SIGKILL
    writes = [k for kind, k in answered if kind == "W"]
    exports = [k for kind, k in answered if kind == "E"]
    assert len(writes) > 10 and len(exports) > 10, "the load should have been under way"

    con = connect(tmp_path / "ecohub.duckdb")
    try:
        logged = {
            (route, key)
            for route, key in con.execute(
                "SELECT route, coalesce(json_extract_string(filters, '$.mn'), "
                "json_extract_string(filters, '$.n')) FROM audit_log "
                "WHERE action IN ('write', 'export')"
            ).fetchall()
        }
        missing = [k for k in writes if ("/api/v1/hj212/devices/{mn}", k) not in logged]
        missing += [k for k in exports if ("/api/v1/registry/codes", k) not in logged]
        assert missing == [], f"{len(missing)} answered requests without an audit entry"
        # The chain is whole and still reaches its head file (which may trail the table by the
        # append the kill cut short: written after each commit, it is never ahead of it).
        assert (tmp_path / "audit.head").exists()
        assert verify(con) is None
    finally:
        con.close()
