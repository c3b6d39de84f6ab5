"""A value below the detection limit (``0.01L``) reads as one in every route that serves
observation rows: JSON, CSV and Parquet of ``GET /api/v1/observations``, the catalogue's
``…/data`` route of the observations resource, and the OpenAPI document (walk J, finding 7).

The value is loaded by the real loader from a file; docs/operations.md ("Hostile input"): ``0.01L``
is stored as 0.01 with ``below_detection`` true, and a plain ``35`` is a measurement (false)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import pyarrow.parquet as pq
import pytest

from ecohub.ingest.files import load_observations
from tests.api import door_data as d
from tests.api.door_data import Door

WHEN = {"from": "2024-05-01T08:00", "to": "2024-05-01T10:00"}


@pytest.fixture(scope="module")
def door(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Door]:
    tmp = tmp_path_factory.mktemp("below")
    for built in d.serve(tmp):
        f = tmp / "obs.csv"
        f.write_text(f"station_id,time,PM2.5\n{d.ST_IN},2024-05-01 08:00,35\n"
                     f"{d.ST_IN},2024-05-01 09:00,0.01L\n", encoding="utf-8")  # fmt: skip
        report = load_observations(built.con, f)
        assert (report.new, report.rejected) == (2, 0)
        yield built


def _params(fmt: str) -> dict[str, str]:
    return {"station": d.ST_IN, "parameter": "a34004", "format": fmt, **WHEN}


def test_json_rows_say_below_detection(door: Door) -> None:
    r = d.client(door, "analyst").get("/api/v1/observations", params=_params("json"))
    assert r.status_code == 200, r.text
    got = [(row["value"], row["below_detection"]) for row in r.json()["items"]]
    assert got == [(35.0, False), (0.01, True)]


def test_csv_has_the_column(door: Door) -> None:
    r = d.client(door, "analyst").get("/api/v1/observations", params=_params("csv"))
    assert r.status_code == 200, r.text
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert [(float(row["value"]), row["below_detection"]) for row in rows] == [
        (35.0, "false"),
        (0.01, "true"),
    ]


def test_parquet_has_a_boolean_column(door: Door) -> None:
    r = d.client(door, "analyst").get("/api/v1/observations", params=_params("parquet"))
    assert r.status_code == 200, r.text
    table = pq.read_table(io.BytesIO(r.content))
    assert str(table.schema.field("below_detection").type) == "bool"
    assert table.column("below_detection").to_pylist() == [False, True]


def test_rows_without_a_stated_limit_are_false_not_null(door: Door) -> None:
    # door_data writes its observations with SQL, without the column: the default applies.
    r = d.client(door, "admin").get(
        "/api/v1/observations", params={"station": d.ST_OUT, "limit": 3}
    )
    assert [row["below_detection"] for row in r.json()["items"]] == [False, False, False]


def test_openapi_documents_the_column_as_a_boolean(door: Door) -> None:
    doc = d.client(door, "admin").get("/api/v1/openapi.json").json()
    ok = doc["paths"]["/api/v1/observations"]["get"]["responses"]["200"]["content"]
    schema = ok["application/json"]["schema"]
    if "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    row = schema["properties"]["items"]["items"]
    if "$ref" in row:
        row = doc["components"]["schemas"][row["$ref"].rsplit("/", 1)[1]]
    assert row["properties"]["below_detection"]["type"] == "boolean"
    assert "below_detection" in row["required"]
    assert "text/csv" in ok and "application/vnd.apache.parquet" in ok


def test_catalog_data_route_and_items_carry_it(door: Door) -> None:
    c = d.client(door, "admin")
    r = c.get("/api/v1/catalog/30100101-00002/data", params={"limit": 10_000})
    assert r.status_code == 200, r.text
    got = {
        (row["time"], row["value"]): row["below_detection"]
        for row in r.json()["items"]
        if row["station_id"] == d.ST_IN
        and row["parameter"] == "a34004"
        and row["time"].startswith("2024-05-01")
    }
    assert got == {("2024-05-01T08:00:00+08:00", 35.0): False,
                   ("2024-05-01T09:00:00+08:00", 0.01): True}  # fmt: skip
    res = c.get("/api/v1/catalog/30100101-00002").json()
    items = {i["name"]: i for i in res["items"]}
    assert items["below_detection"]["data_type"] == "BOOLEAN"
    assert items["below_detection"]["name_zh"]  # named in Chinese, like every other column
    assert items["below_detection"]["unit"] is None  # a yes/no, no unit
