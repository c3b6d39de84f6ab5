# ruff: noqa: E501  (SQL rows read best one per line)
"""A store for the OGC API tests: the real boundaries, the bundled sample's 12 Beijing stations
(loaded by the ordinary loader), and a few hand-placed sources and outlets inside and outside
Chaoyang (110105), with one user per kind of scope. Built once per session; the tests only read.
"""

from __future__ import annotations

import csv
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

INSIDE, OUTSIDE = "110105", "110108"  # Chaoyang, Haidian
PASSWORD = "correct horse battery"
# Valid 22-character source codes (the main code of tests/api/door_data.py, other sequences).
CY1, CY2, NOPT = (f"H9110105000000001x00{n}P" for n in (1, 2, 3))
HD1 = "H9110108000000002v001P"

#: (source_code, region, lon, lat, industry, valid_from, valid_to): written below, so the tests
#: know each value without asking the service.
SOURCES = [
    (CY1, INSIDE, 116.40, 39.98, "4411", "2020-01-01 00:00:00+08", None),
    (CY2, INSIDE, 116.47, 39.92, "3011", "2015-01-01 00:00:00+08", "2019-12-31 00:00:00+08"),
    (HD1, OUTSIDE, 116.30, 39.96, "4411", None, None),
    (NOPT, INSIDE, None, None, None, None, None),
]
#: (source_code, outlet_code, medium, lon, lat): DW001 has no point of its own.
OUTLETS = [
    (CY1, "DA001", "gas", 116.401, 39.981),
    (CY1, "DW001", "water", None, None),
    (HD1, "DA001", "gas", 116.301, 39.961),
]


def sample_stations() -> list[dict[str, str]]:
    """The sample's station file, read here with csv (independent of the loader and service)."""
    data = resources.files("ecohub.sample").joinpath("data").joinpath("stations.csv")
    with resources.as_file(data) as path, path.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@dataclass
class Ogc:
    app: FastAPI
    con: duckdb.DuckDBPyConnection
    keys: dict[str, str]  # admin | analyst | enterprise | inspector_hd -> API key
    data_dir: Path

    def client(self, who: str | None = None) -> TestClient:
        headers = {"Authorization": f"Bearer {self.keys[who]}"} if who else {}
        return TestClient(self.app, raise_server_exceptions=False, headers=headers)


def _fill(con: duckdb.DuckDBPyConnection) -> None:
    from ecohub.ingest.stations import load_stations

    data = resources.files("ecohub.sample").joinpath("data").joinpath("stations.csv")
    with resources.as_file(data) as path:
        load_stations(con, path, network="air", source="sample", write_rejects=False)
    for code, region, lon, lat, industry, start, stop in SOURCES:
        con.execute(
            "INSERT INTO source (source_code, name, region_code, industry, lon, lat, valid_from, valid_to) "
            "VALUES (?, ?, ?, ?, ?, ?, CAST(? AS TIMESTAMPTZ), CAST(? AS TIMESTAMPTZ))",
            [code, f"name {code}", region, industry, lon, lat, start, stop],
        )
    for src, out, medium, lon, lat in OUTLETS:
        con.execute(
            "INSERT INTO outlet (source_code, outlet_code, medium, name, lon, lat) VALUES (?, ?, ?, ?, ?, ?)",
            [src, out, medium, f"{src} {out}", lon, lat],
        )


@pytest.fixture(scope="session")
def ogc_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from argon2 import PasswordHasher

    from ecohub.access import apikeys, users
    from ecohub.geo import ensure_regions
    from ecohub.store.db import connect

    users.HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    path = tmp_path_factory.mktemp("ogc") / "store.duckdb"
    con = connect(path)
    ensure_regions(con)
    _fill(con)
    keys = {}
    for name, role, region, sources in (
        ("admin", "admin", None, []),
        ("analyst", "analyst", INSIDE, []),
        ("enterprise", "enterprise", INSIDE, [CY1]),
        ("inspector_hd", "inspector", OUTSIDE, []),
        ("fenwei", "analyst", "key:fenwei", []),  # a key-region scope (汾渭平原)
    ):
        users.add_user(con, f"u_{name}", role, region, sources, PASSWORD)
        keys[name] = apikeys.create(con, f"u_{name}")[0]
    con.close()
    (path.parent / "keys.txt").write_text("\n".join(f"{k} {v}" for k, v in keys.items()))
    return path


def _keys(store: Path) -> dict[str, str]:
    lines = (store.parent / "keys.txt").read_text().splitlines()
    return dict(line.split(" ", 1) for line in lines)


def open_app(store: Path, tmp: Path) -> tuple[FastAPI, duckdb.DuckDBPyConnection]:
    """An app over a copy of the session store (apps may write their own state)."""
    from ecohub.api.app import create_app
    from ecohub.settings import Settings
    from ecohub.store.db import connect

    copy = tmp / "store.duckdb"
    shutil.copy(store, copy)
    con = connect(copy)
    settings = Settings(data_dir=tmp, open_rate_per_s=1000.0, open_burst=1000)
    return create_app(con, settings=settings, data_dir=tmp, audit=False), con


@pytest.fixture(scope="session")
def ogc(ogc_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ogc]:
    tmp = tmp_path_factory.mktemp("ogc_app")
    app, con = open_app(ogc_store, tmp)
    yield Ogc(app, con, _keys(ogc_store), tmp)
    app.state.ctx.jobs.shutdown()
    con.close()


def ids(body: dict[str, Any]) -> list[str]:
    return [f["id"] for f in body["features"]]
