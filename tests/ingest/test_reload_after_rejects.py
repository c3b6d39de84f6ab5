"""A load that stored nothing does not mark its file as loaded: once the cause is fixed (the
stations loaded), the same file loads (walk J, finding 6). A file that stored some rows stays
marked, as docs/operations.md "Idempotent" says."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from ecohub.ingest.files import load_observations, load_stations
from ecohub.store.db import connect

OBS = "station_id,time,PM2.5\nWJ009,2024-05-01 08:00,35\nWJ009,2024-05-01 09:00,0.01L\n"
STATION = "station_id,name,region_code,lon,lat\nWJ009,测试站九,110105,116.45,39.92\n"


@pytest.fixture
def con(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    return connect(tmp_path / "store.duckdb")


def _logged(con: duckdb.DuckDBPyConnection, kind: str) -> int:
    return con.execute("SELECT count(*) FROM load_log WHERE kind = ?", [kind]).fetchone()[0]  # type: ignore[index]


def test_all_rejected_file_loads_again_once_its_stations_are_there(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    obs = tmp_path / "obs.csv"
    obs.write_text(OBS, encoding="utf-8")
    first = load_observations(con, obs)
    assert (first.new, first.rejected) == (0, 2)  # unknown station, both rows
    assert _logged(con, "observations") == 0
    (tmp_path / "st9.csv").write_text(STATION, encoding="utf-8")
    load_stations(con, tmp_path / "st9.csv")
    again = load_observations(con, obs)
    assert not again.already_loaded
    assert (again.new, again.rejected) == (2, 0)
    rows = con.execute(
        "SELECT value, below_detection FROM observation WHERE station_id = 'WJ009' ORDER BY time"
    ).fetchall()
    assert rows == [(35.0, False), (0.01, True)]
    # Now it stored its rows: the third time is "already loaded", nothing read.
    third = load_observations(con, obs)
    assert third.already_loaded and third.unchanged == 2
    assert _logged(con, "observations") == 1


def test_a_file_that_stored_some_rows_stays_marked(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    (tmp_path / "st9.csv").write_text(STATION, encoding="utf-8")
    load_stations(con, tmp_path / "st9.csv")
    obs = tmp_path / "mixed.csv"
    obs.write_text(OBS + "WJ010,2024-05-01 08:00,40\n", encoding="utf-8")
    first = load_observations(con, obs)
    assert (first.new, first.rejected) == (2, 1)
    again = load_observations(con, obs)
    assert again.already_loaded and again.unchanged == 2


def test_a_station_list_whose_rows_were_all_rejected_loads_again(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    f = tmp_path / "bad.csv"
    f.write_text("station_id,lon,lat\nWJ011,1161.45,39.92\n", encoding="utf-8")
    first = load_stations(con, f)
    assert (first.new, first.rejected) == (0, 1)
    again = load_stations(con, f)
    assert not again.already_loaded and again.rejected == 1
    assert _logged(con, "stations") == 0
