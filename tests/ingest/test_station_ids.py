"""Which column holds the station: ``id`` in a station list, never in an observation file, and
an error that names the file (walk J, finding 5).

docs/operations.md: "Station lists recognise id, name (zh), name_en, network, region_code …";
"Errors that stop a load … naming the file, column or option"."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from ecohub.ingest.files import LoadError, load_observations, load_stations
from ecohub.store.db import connect


@pytest.fixture
def con(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    return connect(tmp_path / "store.duckdb")


def _stations(con: duckdb.DuckDBPyConnection) -> list[tuple[object, ...]]:
    return con.execute(
        "SELECT station_id, name, name_en, region_code, lon, lat FROM station ORDER BY 1"
    ).fetchall()


def test_a_station_list_with_an_id_header_loads(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    f = tmp_path / "stations.csv"
    f.write_text(
        "id,name,name_en,region_code,lon,lat\nWJ001,测试站一,Test One,110105,116.45,39.92\n",
        encoding="utf-8",
    )
    report = load_stations(con, f)
    assert (report.new, report.rejected) == (1, 0)
    assert report.columns["id"] == "station"
    assert _stations(con) == [("WJ001", "测试站一", "Test One", "110105", 116.45, 39.92)]


def test_in_a_station_list_id_wins_over_a_name_column(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    # station_name is an alias of the station role (observation files may name a station by
    # its name) and of the name role; with an id column beside it, id is the id.
    f = tmp_path / "list.csv"
    f.write_text("ID,station_name,lon,lat\nWJ002,测试站二,116.4,39.9\n", encoding="utf-8")
    report = load_stations(con, f)
    assert (report.new, report.rejected) == (1, 0)
    assert _stations(con) == [("WJ002", "测试站二", None, None, 116.4, 39.9)]


def test_a_station_code_column_still_wins_over_id(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    f = tmp_path / "export.csv"
    f.write_text("id,station_code,name\n1,WJ003,测试站三\n", encoding="utf-8")
    load_stations(con, f)
    assert [r[:2] for r in _stations(con)] == [("WJ003", "测试站三")]


def test_an_observation_file_does_not_read_id_as_the_station(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    # In an observation export `id` is a row number as often as not: read as the station it
    # would reject every row as "unknown station" instead of saying what is missing.
    f = tmp_path / "obs.csv"
    f.write_text("id,time,PM2.5\n1,2024-05-01 08:00,35\n", encoding="utf-8")
    with pytest.raises(LoadError) as err:
        load_observations(con, f)
    assert str(err.value).startswith("obs.csv: no station column found (looked for station_id")
    assert "--map COLUMN=station" in str(err.value)


def test_the_error_names_the_station_list(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    f = tmp_path / "mylist.csv"
    f.write_text("code,name\nWJ004,测试站四\n", encoding="utf-8")
    with pytest.raises(LoadError) as err:
        load_stations(con, f)
    message = str(err.value)
    assert message.startswith("mylist.csv: no station column found (looked for ")
    assert "csv file" not in message
    assert "id" in message.split("(looked for ")[1].split(")")[0].split(", ")
