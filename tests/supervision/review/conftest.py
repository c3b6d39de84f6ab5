"""A store with hand-built hourly series: ``put`` writes (station, parameter, hour, value)
rows, hour 0 = 2024-05-01 00:00 CST."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import duckdb
import pandas as pd
import pytest

from ecohub.cst import CST
from ecohub.store.db import connect

T0 = datetime(2024, 5, 1, tzinfo=CST)
UNITS = {"a21005": "mg/m³"}
# Four stations of Beijing (city 110000 for the neighbour rule) and one of Tianjin.
STATIONS = {"s1": "110105", "s2": "110108", "s3": "110101", "s4": "110102", "t1": "120101"}


def at(hour: int) -> datetime:
    return T0 + timedelta(hours=hour)


def put(
    con: duckdb.DuckDBPyConnection, rows: list[tuple[str, str, int, float]], flag: str = "N"
) -> None:
    df = pd.DataFrame(
        {
            "station_id": [r[0] for r in rows],
            "parameter": [r[1] for r in rows],
            "period": "1h",
            "time": [at(r[2]) for r in rows],
            "value": [float(r[3]) for r in rows],
            "unit": [UNITS.get(r[1], "µg/m³") for r in rows],
            "flag": flag,
            "source": "test",
        }
    )
    con.register("_put", df)
    con.execute("INSERT OR REPLACE INTO observation BY NAME SELECT * FROM _put")
    con.unregister("_put")


def flagged(con: duckdb.DuckDBPyConnection, rule: str, station: str = "s1") -> list[int]:
    """Hours (from T0) of ``station``'s flags by ``rule``."""
    rows = con.execute(
        "SELECT time FROM review_flag WHERE rule = ? AND station_id = ? ORDER BY time",
        [rule, station],
    ).fetchall()
    return [int((r[0] - T0).total_seconds() // 3600) for r in rows]


@pytest.fixture
def store() -> Iterator[duckdb.DuckDBPyConnection]:
    con = connect(":memory:")
    for sid, region in STATIONS.items():
        con.execute(
            "INSERT INTO station (station_id, network, region_code) VALUES (?, 'air', ?)",
            [sid, region],
        )
    yield con
    con.close()
