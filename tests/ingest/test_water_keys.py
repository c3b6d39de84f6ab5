"""The observation loader accepts every GB 3838 item key and HJ 212 water code the water
module knows (walk E, finding 5: ``CN``, ``F``, ``Cr6``, ``VPhenol`` were "unknown
parameter" though ``water classify`` takes them), water temperature in ``C`` (the unit the
GB 3838 table writes), and says what an unknown parameter may have meant."""

from __future__ import annotations

import csv
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from ecohub.ingest.files import load_observations, load_stations
from ecohub.standards import water
from ecohub.standards.editions import load_table
from ecohub.store.db import connect

from .test_files import read_rejects, write

HJ212_WATER = [(r["code"], r["key"]) for r in load_table("hj212-2017_water_codes.csv")]


@pytest.fixture
def con(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    db = connect(tmp_path / "store.duckdb")
    load_stations(db, write(tmp_path / "st.csv", "station_id,name,network\nW1,W1,surface_water\n"))
    return db


def _load(con: duckdb.DuckDBPyConnection, tmp_path: Path, rows: list[tuple[str, str]]) -> object:
    """One row per (parameter, unit) at consecutive hours of station W1."""
    lines = ["station,time,parameter,value,unit"]
    start = datetime(2024, 1, 10)
    lines += [
        f"W1,{start + timedelta(hours=h):%Y-%m-%dT%H:%M},{p},1,{u}" for h, (p, u) in enumerate(rows)
    ]
    return load_observations(con, write(tmp_path / "keys.csv", "\n".join(lines) + "\n"))


def _stored_items(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute("SELECT parameter FROM observation ORDER BY time").fetchall()
    return [water.item_key(code) for (code,) in rows]


@pytest.mark.parametrize("kind", ["item keys", "HJ 212 codes"])
def test_every_water_item_loads_as_its_item(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, kind: str
) -> None:
    """Each key (or code) the water module classifies is stored under a code the water
    module reads back as the same item."""
    names = list(water.ITEMS) if kind == "item keys" else [c for c, _ in HJ212_WATER]
    want = list(water.ITEMS) if kind == "item keys" else [k for _, k in HJ212_WATER]
    report = _load(con, tmp_path, [(n, "") for n in names])
    rejects = [] if report.reject_path is None else read_rejects(report.reject_path)  # type: ignore[attr-defined]
    assert rejects == [] and report.new == len(names)  # type: ignore[attr-defined]
    assert _stored_items(con) == want


@pytest.mark.parametrize("unit", ["C", "°C", "℃"])
def test_water_temperature_in_the_gb3838_unit(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, unit: str
) -> None:
    report = _load(con, tmp_path, [("WaterTemp", unit)])
    assert report.new == 1 and report.rejected == 0  # type: ignore[attr-defined]
    assert con.execute("SELECT parameter, unit FROM observation").fetchall() == [("w01010", "℃")]


def test_unknown_parameter_suggests_close_names(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    report = _load(con, tmp_path, [("VPhenl", "mg/L"), ("cyanid", "mg/L"), ("XYZ", "mg/L")])
    assert report.rejected == 3  # type: ignore[attr-defined]
    with report.reject_path.open(encoding="utf-8-sig") as fh:  # type: ignore[attr-defined]
        reasons = {r["value"]: r["reason"] for r in csv.DictReader(fh)}
    assert reasons["VPhenl"] == "unknown parameter; did you mean 'VPhenol' (w23002 挥发酚)?"
    assert reasons["cyanid"] == "unknown parameter; did you mean 'cyanide' (w21016 氰化物)?"
    assert reasons["XYZ"].startswith("unknown parameter; use a name such as PM2.5")


def test_query_options_suggest_close_names_too() -> None:
    """``--parameter`` / ``?parameter=`` of the query services name the close spellings."""
    from ecohub.queries import QueryError
    from ecohub.queries.stations import parameter_code

    assert parameter_code("CN") == "w21016"
    with pytest.raises(QueryError, match=r"did you mean 'cyanide' \(w21016 氰化物\)\?"):
        parameter_code("cyanid")
