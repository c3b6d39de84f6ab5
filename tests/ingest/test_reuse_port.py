"""Two ingest nodes on one host behind one port (SO_REUSEPORT): the kernel spreads the devices
between them, each node stores and answers what it received, and nothing is lost or doubled."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import sys
from pathlib import Path

import pytest

from ecohub.ingest.hj212_server import Hj212Server
from ecohub.protocols import hj212
from ecohub.settings import Settings
from ecohub.store.db import connect

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not sys.platform.startswith("linux"), reason="SO_REUSEPORT balancing is Linux's"
    ),
]

DEVICES = 40


def _upload(i: int) -> bytes:
    return hj212.build(
        st="31", cn="2051", pw="123456", mn=f"REUSE{i:04d}", qn="20261126100000000", flag=5,
        cp={"DataTime": "20261126095900", "a21026": {"Avg": f"{i}.5", "Flag": "N"}},  # type: ignore[dict-item]
    )  # fmt: skip


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_two_nodes_share_one_port(tmp_path: Path) -> None:
    async def go() -> list[int]:
        port = _free_port()
        nodes = []
        for name in ("a", "b"):
            folder = tmp_path / name
            folder.mkdir()
            settings = Settings(
                data_dir=folder, hj212_reuse_port=True, hj212_commit_interval_ms=2.0
            )
            con = connect(folder / "t.duckdb")
            server = Hj212Server(con, settings)
            await server.start("127.0.0.1", port)  # the second bind fails without reuse_port
            nodes.append((server, con))
        try:
            conns = [await asyncio.open_connection("127.0.0.1", port) for _ in range(DEVICES)]
            for i, (_, w) in enumerate(conns):
                w.write(_upload(i))
            answers = [await asyncio.wait_for(r.readuntil(b"\r\n"), 10) for r, _ in conns]
            assert all(hj212.parse(a).cn == "9014" for a in answers)
            for _, w in conns:
                w.close()
                with contextlib.suppress(ConnectionError):
                    await w.wait_closed()
        finally:
            for server, _ in nodes:
                await server.stop()
        counts = [con.execute("SELECT count(*) FROM emission").fetchone()[0] for _, con in nodes]
        mns = [
            {r[0] for r in con.execute("SELECT mn FROM emission").fetchall()} for _, con in nodes
        ]
        for _, con in nodes:
            con.close()
        assert not mns[0] & mns[1]  # each device's packet was stored by one node only
        assert mns[0] | mns[1] == {f"REUSE{i:04d}" for i in range(DEVICES)}
        return counts

    counts = asyncio.run(go())
    assert sum(counts) == DEVICES
    # 40 connections hashed over two sockets: both get some (all on one: 2 * 0.5**40).
    assert min(counts) > 0


def test_a_taken_port_without_reuse_port_is_an_error(tmp_path: Path) -> None:
    async def go() -> None:
        port = _free_port()
        first = Hj212Server(connect(tmp_path / "a.duckdb"), Settings(data_dir=tmp_path))
        await first.start("127.0.0.1", port)
        try:
            second = Hj212Server(connect(tmp_path / "b.duckdb"), Settings(data_dir=tmp_path))
            with pytest.raises(OSError):
                await second.start("127.0.0.1", port)
        finally:
            await first.stop()

    asyncio.run(go())
