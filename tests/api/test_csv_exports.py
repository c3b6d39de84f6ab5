"""Every CSV the API answers: UTF-8 with one byte-order mark first (Excel on a Chinese Windows
reads a CSV without it as GBK), ``text/csv; charset=utf-8; header=present``, and times as
ISO 8601 with their offset, the same text as the JSON of the same route."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest
from fastapi.testclient import TestClient

from tests.api import door_data as d
from tests.api.door_data import Door

BOM = b"\xef\xbb\xbf"
CST = timezone(timedelta(hours=8))


@pytest.fixture(scope="module")
def door(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Door]:
    yield from d.serve(tmp_path_factory.mktemp("csv"))


def _csv(r: object) -> list[dict[str, str]]:
    """The rows of a CSV answer, read as a spreadsheet reads it (the BOM taken off)."""
    content: bytes = r.content  # type: ignore[attr-defined]
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


def _both(c: TestClient, path: str, **params: str) -> tuple[list[dict[str, str]], list[dict]]:
    got = c.get(path, params={**params, "format": "csv"})
    assert got.status_code == 200, got.text
    js = c.get(path, params={**params, "format": "json"}).json()["items"]
    return _csv(got), js


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/observations",
        f"/api/v1/hj212/emissions?mn={d.MN_IN}",
        "/api/v1/air/aqi/hourly",
        "/api/v1/air/aqi/daily",
        "/api/v1/supervision/anomalies",
        "/api/v1/supervision/exceedances",
        "/api/v1/alerts",
        "/api/v1/review/flags",
        "/api/v1/registry/codes",
    ],
)
def test_every_csv_answer_starts_with_one_bom(door: Door, path: str) -> None:
    r = d.client(door, "admin").get(path, params={"format": "csv"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "text/csv; charset=utf-8; header=present"
    assert r.content.startswith(BOM) and r.content.count(BOM) == 1
    assert _csv(r)  # a header and rows after the mark


def test_observation_csv_row_is_the_json_row_and_the_instant_read(door: Door) -> None:
    c = d.client(door, "analyst")
    # [2024-01-01 00:00, 01:00) CST: one value, 20 + 0 % 7 = 20 at 2024-01-01 00:00 CST.
    rows, js = _both(c, "/api/v1/observations", station=d.ST_IN, **{
        "from": "2024-01-01T00:00", "to": "2024-01-01T01:00"})  # fmt: skip
    assert len(rows) == len(js) == 1
    assert rows[0]["time"] == js[0]["time"]
    assert datetime.fromisoformat(rows[0]["time"]) == datetime(2024, 1, 1, 0, tzinfo=CST)
    assert float(rows[0]["value"]) == 20.0
    # Seconds, no fraction of a second; a "T" and an offset with a colon, as Excel reads it.
    assert rows[0]["time"][10] == "T" and rows[0]["time"][19] in "+-"
    assert rows[0]["time"][-3] == ":"


def test_emission_csv_times_are_the_json_times(door: Door) -> None:
    c = d.client(door, "admin")
    rows, js = _both(c, "/api/v1/hj212/emissions", mn=d.MN_IN, **{"from": "2024-01-01"})
    (row,) = [r for r in rows if r["pollutant"] == "a21026"]
    (jrow,) = [r for r in js if r["pollutant"] == "a21026"]
    assert (row["data_time"], row["received_at"]) == (jrow["data_time"], jrow["received_at"])
    assert datetime.fromisoformat(row["data_time"]) == datetime(2024, 1, 1, 10, tzinfo=CST)


def test_hourly_aqi_csv_time_is_the_json_time(door: Door) -> None:
    c = d.client(door, "admin")
    rows, js = _both(c, "/api/v1/air/aqi/hourly", station=d.ST_IN)
    assert [r["time"] for r in rows] == [r["time"] for r in js] and rows
    got = {datetime.fromisoformat(r["time"]) for r in rows}
    assert datetime(2024, 1, 1, 10, tzinfo=CST) in got


def test_anomaly_csv_is_in_cst_as_its_json(door: Door) -> None:
    rows, js = _both(d.client(door, "admin"), "/api/v1/supervision/anomalies", mn=d.MN_IN)
    assert (rows[0]["start"], rows[0]["end"]) == (js[0]["start"], js[0]["end"])
    assert (rows[0]["start"], rows[0]["end"]) == (
        "2024-01-01T01:00:00+08:00",
        "2024-01-01T06:00:00+08:00",
    )


def test_registry_codes_csv_starts_with_the_bom(door: Door) -> None:
    r = d.client(door, "admin").get("/api/v1/registry/codes", params={"format": "csv"})
    assert r.content.startswith(BOM + b"system,record_id,source_code\n")


def test_open_bulk_csv_shows_chinese_names_in_excel(door: Door) -> None:
    r = TestClient(door.app).get("/open/v1/bulk/stations.csv")
    assert r.status_code == 200, r.text
    assert r.content.startswith(BOM) and r.content.count(BOM) == 1
    assert "奥体中心" in {row["name"] for row in _csv(r)}


def test_pages_of_a_csv_each_start_with_one_bom(door: Door) -> None:
    c = d.client(door, "analyst")
    first = c.get("/api/v1/observations", params={"format": "csv", "limit": 5})
    rest = c.get("/api/v1/observations",
                 params={"format": "csv", "cursor": first.headers["x-next-cursor"]})  # fmt: skip
    # Each page is a file of its own (its header, its BOM); 48 values of the analyst's station.
    assert [r.content.count(BOM) for r in (first, rest)] == [1, 1]
    assert len(_csv(first)) + len(_csv(rest)) == 48
