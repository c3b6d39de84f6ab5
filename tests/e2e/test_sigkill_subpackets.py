"""A part of a split upload that was answered survives kill -9 and completes after a restart."""

from __future__ import annotations

import os
import signal
import socket
from pathlib import Path

import pytest

from ecohub.protocols import hj212
from ecohub.protocols.hj212.codec import frame_segment
from ecohub.store.db import connect
from tests.e2e.test_sigkill import start_platform

pytestmark = pytest.mark.e2e

MN = "010000A8900016F000169DC0"


def part(pno: int, values: str) -> bytes:
    seg = (f"QN=2026010112000012{pno};ST=31;CN=2011;PW=123456;MN={MN};Flag=7;PNUM=2;PNO={pno};"
           f"CP=&&DataTime=20260101115000;{values}&&")  # fmt: skip
    return frame_segment(seg.encode())


def send_and_answer(port: int, frame: bytes) -> hj212.Packet:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(frame)
        data = b""
        while not data.endswith(b"\r\n"):
            chunk = sock.recv(4096)
            assert chunk, "the server closed the connection without an answer"
            data += chunk
    return hj212.parse(data)


def test_answered_part_survives_sigkill(tmp_path: Path) -> None:
    proc, state = start_platform(tmp_path)
    try:
        assert send_and_answer(state["hj212"][1], part(1, "a21026-Rtd=1")).cn == "9014"
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    (tmp_path / "server.json").unlink(missing_ok=True)
    proc, state = start_platform(tmp_path)
    try:
        assert send_and_answer(state["hj212"][1], part(2, "a21002-Rtd=2")).cn == "9014"
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    con = connect(tmp_path / "ecohub.duckdb")
    rows = con.execute("SELECT pollutant, rtd, incomplete FROM emission ORDER BY 1").fetchall()
    assert rows == [("a21002", 2.0, False), ("a21026", 1.0, False)]
    assert con.execute("SELECT count(*) FROM hj212_subpacket_part").fetchone() == (0,)
    con.close()
