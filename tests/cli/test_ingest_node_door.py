"""The CLI against a running ingest node's data folder (walk B finding 7): the node serves no
API and writes no local credential, so the message says that, not a permissions problem."""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.cli._run import run_cli


def _server_json(data_dir: Path, role: str | None) -> None:
    # What `ecohub up` writes; this process stands in for the running server (its pid lives).
    state = {"pid": os.getpid(), "http": "http://127.0.0.1:1", "hj212": ["0.0.0.0", 9212]}
    if role is not None:
        state["role"] = role
    (data_dir / "server.json").write_text(json.dumps(state))


def test_cli_against_a_running_ingest_node_says_so(tmp_path: Path) -> None:
    _server_json(tmp_path, "ingest")
    for args in (["lake", "compact"], ["hj212", "devices"]):
        out = run_cli(*args, data_dir=tmp_path)
        assert out.exit_code == 1, out.output
        line = " ".join(out.output.split())
        assert line.startswith(f"error: an ingest node is running on the data folder {tmp_path}")
        assert "serves no API: stop it first" in line and "credential" not in line


def test_a_full_server_whose_credential_cannot_be_read_is_still_named(tmp_path: Path) -> None:
    _server_json(tmp_path, None)  # a full node (no role: written before roles were recorded)
    out = run_cli("hj212", "devices", data_dir=tmp_path)
    assert out.exit_code == 1
    assert "its local credential" in out.output and "ingest node" not in out.output
