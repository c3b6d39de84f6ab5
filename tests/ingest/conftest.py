from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from ecohub.ingest.hj212_server import Hj212Server
from ecohub.settings import Settings
from ecohub.store.db import connect


class Device:
    """A test device: a real TCP connection that sends frames and reads answers."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def answer(self, timeout: float = 5.0) -> bytes:
        return await asyncio.wait_for(self.reader.readuntil(b"\r\n"), timeout)

    async def no_answer(self, wait: float = 0.3) -> bool:
        try:
            await asyncio.wait_for(self.reader.readuntil(b"\r\n"), wait)
        except (TimeoutError, asyncio.IncompleteReadError):
            return True
        return False

    async def closed_by_server(self, timeout: float = 5.0) -> bool:
        try:
            data = await asyncio.wait_for(self.reader.read(), timeout)
        except ConnectionError:
            return True
        except TimeoutError:
            return False
        return data == b"" or self.reader.at_eof()

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(ConnectionError):
            await self.writer.wait_closed()


class Running:
    def __init__(self, server: Hj212Server, port: int, con: Any) -> None:
        self.server = server
        self.port = port
        self.con = con

    async def device(self) -> Device:
        r, w = await asyncio.open_connection("127.0.0.1", self.port)
        return Device(r, w)

    def query(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        cur = self.con.cursor()
        try:
            return cur.execute(sql, params or []).fetchall()
        finally:
            cur.close()

    def scalar(self, sql: str, params: list[Any] | None = None) -> Any:
        return self.query(sql, params)[0][0]

    async def settle(self) -> None:
        """Wait until everything received so far is committed."""
        for _ in range(250):
            await asyncio.sleep(0.02)
            if self.server.writer.depth() == 0:
                await asyncio.sleep(0.05)
                return


@contextlib.asynccontextmanager
async def serving(
    tmp_path: Path, setup: Callable[[Any], None] | None = None, **overrides: Any
) -> AsyncIterator[Running]:
    """A real server on a loopback port chosen by the OS, over a real DuckDB file."""
    settings = Settings(data_dir=tmp_path, hj212_commit_interval_ms=2.0, **overrides)
    con = connect(tmp_path / "t.duckdb")
    if setup is not None:
        setup(con)
    server = Hj212Server(con, settings)
    _, port = await server.start("127.0.0.1", 0)
    try:
        yield Running(server, port, con)
    finally:
        await server.stop()
        con.close()
