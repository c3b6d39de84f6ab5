"""The bundled sample in a temporary store, plus a few simulated HJ 212 devices, once per session.

Loaded through the ordinary paths: :func:`ecohub.sample.load_sample` (the file loaders, which
write ``load_log``) and the real HJ 212 server on a loopback port fed by the simulator.
"""

from __future__ import annotations

import asyncio
import csv
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import duckdb
import pytest

from ecohub.ingest.simulator import demo_devices, simulate
from ecohub.sample import load_sample
from ecohub.settings import Settings
from ecohub.store.db import connect

N_DEVICES = 3


@dataclass
class Sample:
    con: duckdb.DuckDBPyConnection
    dir: Path
    mns: list[str]
    files: dict[str, str]  # bundled file name -> its SHA-256, computed here from the bytes
    stations: list[dict[str, str]]  # stations.csv as read here


async def _simulate(con: duckdb.DuckDBPyConnection, data_dir: Path) -> None:
    from ecohub.ingest.hj212_server import Hj212Server

    server = Hj212Server(con, Settings(data_dir=data_dir))
    host, port = await server.start("127.0.0.1", 0)
    try:
        await simulate(host, port, demo_devices(N_DEVICES), rate=4.0, duration=1.0)
    finally:
        await server.stop()


@pytest.fixture(scope="session")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sample]:
    tmp = tmp_path_factory.mktemp("catalog-sample")
    con = connect(tmp / "ecohub.duckdb")
    load_sample(con)
    asyncio.run(_simulate(con, tmp))
    data = resources.files("ecohub.sample").joinpath("data")
    files = {
        name: hashlib.sha256(data.joinpath(name).read_bytes()).hexdigest()
        for name in ("stations.csv", "prsa_hourly.parquet")
    }
    stations = list(csv.DictReader(data.joinpath("stations.csv").read_text("utf-8").splitlines()))
    yield Sample(con, tmp, [d.mn for d in demo_devices(N_DEVICES)], files, stations)
    con.close()


@pytest.fixture(scope="session", autouse=True)
def _cheap_argon2() -> Iterator[None]:
    """argon2id with test-sized costs (same algorithm and code path)."""
    from argon2 import PasswordHasher

    from ecohub.access import users

    old = users.HASHER
    users.HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    users._dummy_hash.cache_clear()
    yield
    users.HASHER = old
    users._dummy_hash.cache_clear()


@pytest.fixture
def small() -> Iterator[duckdb.DuckDBPyConnection]:
    """An empty in-memory store (for tests that change data)."""
    con = connect(":memory:")
    yield con
    con.close()
