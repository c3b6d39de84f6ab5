"""Paging, formats, open data, body caps and jobs through the API (in-process app)."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from tests.api import door_data as d
from tests.api.door_data import Door


@pytest.fixture
def door(tmp_path: Path) -> Iterator[Door]:
    from argon2 import PasswordHasher

    from ecohub.access import users

    users.HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    built = d.build(tmp_path, open_rate=2.0)
    yield built
    built.app.state.ctx.jobs.shutdown()
    built.con.close()


def _client(door: Door, role: str = "admin") -> TestClient:
    return TestClient(
        door.app,
        raise_server_exceptions=False,
        headers={"Authorization": f"Bearer {door.keys[role]}"},
    )


def test_cursor_pages_cover_every_row_once_in_key_order(door: Door) -> None:
    c = _client(door)
    seen: list[tuple[str, str]] = []
    url, params = "/api/v1/observations", {"limit": 7}
    pages = 0
    while True:
        body = c.get(url, params=params).json()
        seen += [(r["station_id"], r["time"]) for r in body["items"]]
        pages += 1
        if body["next_cursor"] is None:
            break
        params = {"limit": 7, "cursor": body["next_cursor"]}
    assert len(seen) == 96 and len(set(seen)) == 96  # 2 stations x 48 hours
    assert seen == sorted(seen) and pages == 14


def test_cursor_is_bound_to_its_filters_and_caller(door: Door) -> None:
    admin = _client(door)
    first = admin.get("/api/v1/observations", params={"limit": 5}).json()
    other = admin.get(
        "/api/v1/observations",
        params={"limit": 5, "cursor": first["next_cursor"], "region": "110105"},
    )
    assert other.status_code == 422 and other.json()["errors"][0]["field"] == "cursor"
    # The detail names the field; the reason does not repeat it (clients print field: reason).
    problem = other.json()
    assert problem["detail"] == f"cursor: {problem['errors'][0]['reason']}"
    assert not problem["errors"][0]["reason"].startswith("cursor")
    # The analyst cannot reuse the admin's cursor either (nor read past its scope with it).
    ana = _client(door, "analyst")
    r = ana.get("/api/v1/observations", params={"limit": 5, "cursor": first["next_cursor"]})
    assert r.status_code == 422
    junk = admin.get("/api/v1/observations", params={"cursor": "not-a-cursor!"})
    assert junk.status_code == 422 and junk.headers["content-type"] == "application/problem+json"


def test_page_size_is_capped(door: Door) -> None:
    r = _client(door).get("/api/v1/observations", params={"limit": 10_001})
    assert r.status_code == 422 and "limit" in r.json()["detail"]


def test_csv_and_parquet_hold_the_same_rows_as_json(door: Door) -> None:
    c = _client(door, "analyst")
    js = c.get("/api/v1/observations", params={"limit": 1000}).json()["items"]
    csv = c.get("/api/v1/observations", params={"format": "csv"})
    assert csv.headers["content-type"].startswith("text/csv")
    table = pacsv.read_csv(io.BytesIO(csv.content))
    pqt = pq.read_table(io.BytesIO(c.get("/api/v1/observations?format=parquet").content))
    assert table.num_rows == pqt.num_rows == len(js) == 48  # the analyst's one station
    assert set(pqt.column("station_id").to_pylist()) == {d.ST_IN}
    bad = c.get("/api/v1/observations", params={"format": "xml"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "format"


def test_daily_aqi_cursor_pages(door: Door) -> None:
    c = _client(door)
    whole = c.get("/api/v1/air/aqi/daily", params={"limit": 1000}).json()["items"]
    got, params = [], {"limit": 1}
    while True:
        body = c.get("/api/v1/air/aqi/daily", params=params).json()
        got += body["items"]
        if body["next_cursor"] is None:
            break
        params = {"limit": 1, "cursor": body["next_cursor"]}
    assert got == whole and len(whole) >= 2


def test_open_data_rate_limit_answers_429_with_retry_after(door: Door) -> None:
    c = TestClient(door.app, raise_server_exceptions=False)
    codes = [c.get("/open/v1/stations").status_code for _ in range(4)]  # burst of 2
    assert codes[:2] == [200, 200] and 429 in codes
    r = c.get("/open/v1/stations")
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
    assert r.headers["content-type"] == "application/problem+json"


def test_open_bulk_download_carries_licence(door: Door) -> None:
    c = TestClient(door.app, raise_server_exceptions=False)
    r = c.get("/open/v1/bulk/aqi-daily.parquet")
    assert r.status_code == 200 and 'rel="license"' in r.headers["link"]
    t = pq.read_table(io.BytesIO(r.content))
    # The air service computes the stored results from the observations on first read.
    assert set(t.column("code").to_pylist()) == {d.ST_IN, d.ST_OUT}
    assert str(t.schema.field("date").type) == "date32[day]"
    assert c.get("/open/v1/bulk/aqi-daily.xml").status_code == 422


def test_body_over_the_cap_is_413_and_hostile_json_is_422(door: Door) -> None:
    c = _client(door)
    big = c.put(
        f"/api/v1/hj212/devices/{d.MN_IN}/policy",
        content=b'{"policy": "' + b"x" * 100_000 + b'"}',
        headers={"content-type": "application/json"},
    )
    assert big.status_code == 413
    for raw in (b'{"policy": NaN}', b'{"policy": "\\ud800"}', b'{"policy": "lenient", "x": 1}'):
        r = c.put(
            f"/api/v1/hj212/devices/{d.MN_IN}/policy",
            content=raw,
            headers={"content-type": "application/json"},
        )
        assert r.status_code == 422, (raw, r.text)
        assert r.json()["errors"][0]["field"] in ("policy", "x")
    bad_mn = c.put("/api/v1/hj212/devices/bad%20mn/policy", json={"policy": "strict"})
    assert bad_mn.status_code == 422 and "mn" in bad_mn.json()["detail"]


def test_job_runs_in_the_background_and_reports_progress_and_result(door: Door) -> None:
    csv = door.imports / "st.csv"  # a server's jobs read files from its import folders
    csv.write_text("station,name,region_code\nX1,甲,110105\nX2,乙,110108\n", encoding="utf-8")
    c = _client(door)
    r = c.post("/api/v1/jobs", json={"kind": "load-stations", "params": {"path": str(csv)}})
    assert r.status_code == 202 and r.headers["location"].endswith(r.json()["id"])
    job = r.json()
    deadline = time.monotonic() + 60
    while job["state"] in ("queued", "running"):
        assert time.monotonic() < deadline
        time.sleep(0.05)
        job = c.get(f"/api/v1/jobs/{job['id']}").json()
    assert job["state"] == "done", job
    assert job["result"]["stored"] == 2
    # Only its owner and admins see it.
    assert _client(door, "analyst").get(f"/api/v1/jobs/{job['id']}").status_code == 404
    # A failing job keeps its problem details.
    missing = c.post("/api/v1/jobs", json={"kind": "load-stations", "params": {"path": "rel.csv"}})
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "params.path"
    broken = door.imports / "broken.parquet"
    broken.write_bytes(b"PAR1 not really")
    r = c.post("/api/v1/jobs", json={"kind": "load-stations", "params": {"path": str(broken)}})
    job = r.json()
    while job["state"] in ("queued", "running"):
        time.sleep(0.05)
        job = c.get(f"/api/v1/jobs/{job['id']}").json()
    assert job["state"] == "failed"
    assert job["error"]["status"] == 400 and job["error"]["detail"]
    assert c.post("/api/v1/jobs", json={"kind": "nope"}).status_code == 422


def test_jobs_left_running_by_a_stopped_server_are_marked_failed(door: Door) -> None:
    from ecohub.jobs.runner import JobRunner

    door.con.execute(
        "INSERT INTO job (id, kind, owner, state, created_at) "
        "VALUES ('a' || repeat('0', 31), 'air-compute', 'u_admin', 'running', now())"
    )
    JobRunner(door.con).shutdown()
    row = door.con.execute(
        "SELECT state, error->>'detail' FROM job WHERE id = 'a' || repeat('0', 31)"
    ).fetchone()
    assert row is not None
    state, err = row
    assert state == "failed" and "stopped" in err


def test_assessment_year_before_hj663_is_an_invalid_path_not_a_400(door: Door) -> None:
    # HJ 663-2013 assessments start in 2013: 1900 is outside the path's declared range (422).
    r = TestClient(door.app, raise_server_exceptions=False).get("/open/v1/assessments/1900")
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == "year"


@pytest.mark.parametrize("station", ["a\x00b", "\x00", "Aoti\x1b[0m"])
def test_trend_station_with_control_characters_is_refused_not_a_500(
    door: Door, station: str
) -> None:
    r = _client(door).get("/api/v1/trend", params={"station": station})
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == "station"


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/api/v1/air/aqi/daily", {"from": "2016-01-01", "to": "9999-12-31"}, "to"),
        ("/api/v1/air/aqi/hourly", {"from": "2016-01-01", "to": "9999-12-31"}, "to"),
        ("/api/v1/air/aqi/hourly", {"from": "0001-01-01", "to": "2016-01-01"}, "from"),
        ("/api/v1/hj212/emissions", {"from": "0001-01-01", "to": "0001-01-01"}, "from"),
        ("/api/v1/hj212/emissions", {"from": "2026-01-01", "to": "9999-12-31"}, "to"),
        ("/api/v1/observations", {"from": "2016-01-01", "to": "9999-12-31T23:00:00"}, "to"),
        (
            f"/open/v1/stations/{d.ST_IN}/aqi/daily",
            {"from": "2016-01-01", "to": "9999-12-31"},
            "to",
        ),
    ],
)
def test_days_at_the_ends_of_the_calendar_are_refused_naming_the_field(
    door: Door, path: str, params: dict[str, str], field: str
) -> None:
    # The day after 9999-12-31 and the day before 0001-01-01 are no dates: they once made
    # these routes answer 500 (the services look one day past an end, or before a start).
    r = _client(door).get(path, params=params)
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == field
    assert "outside the days accepted" in r.json()["errors"][0]["reason"]


def test_rejected_packets_never_show_the_device_password(door: Door) -> None:
    # A packet refused for its CRC still carries the password its device signs in with.
    raw = f"##0080QN=1;ST=31;CN=2011;PW=s3cret-Pw;MN={d.MN_IN};Flag=5;CP=&&a21026-Rtd=1&&ABCD\r\n"
    door.con.execute(
        "INSERT INTO packet_log (received_at, peer, mn, raw, status, error, reason) "
        "VALUES (now(), '127.0.0.1', ?, ?, 'rejected', 'CrcError', 'crc')",
        [d.MN_IN, raw.encode()],
    )
    r = _client(door).get("/api/v1/hj212/rejected", params={"mn": d.MN_IN})
    assert r.status_code == 200, r.text
    texts = [bytes.fromhex(i["raw_hex"]).decode() for i in r.json()["items"]]
    assert raw.replace("s3cret-Pw", "***") in texts
    assert "s3cret" not in r.text


def test_emissions_say_which_values_are_below_the_detection_limit(door: Door) -> None:
    # w01018-Rtd=4L (HJ 212-2017 6.3.4): 4 is the detection limit, an upper bound.
    door.con.execute(
        "INSERT INTO emission (mn, cn, data_time, pollutant, rtd, below_detection, fields, "
        "registered, received_at) VALUES (?, '2011', TIMESTAMPTZ '2024-01-02 10:00:00+08', "
        "'w01018', 4, TRUE, '{\"Rtd\": \"4L\"}', TRUE, now())",
        [d.MN_IN],
    )
    r = _client(door).get("/api/v1/hj212/emissions", params={"mn": d.MN_IN, "from": "2024-01-02"})
    assert r.status_code == 200, r.text
    (row,) = [i for i in r.json()["items"] if i["pollutant"] == "w01018"]
    assert row["rtd"] == 4 and row["below_detection"] is True and row["incomplete"] is False
    assert json.loads(row["fields"]) == {"Rtd": "4L"}
    csv = _client(door).get(
        "/api/v1/hj212/emissions", params={"mn": d.MN_IN, "from": "2024-01-02", "format": "csv"}
    )
    assert "below_detection" in csv.text.splitlines()[0]


def test_observations_take_parameter_names_and_refuse_unknown_ones(door: Door) -> None:
    c = _client(door)
    by_code = c.get("/api/v1/observations", params={"parameter": "a34004"}).json()["items"]
    assert by_code
    for name in ("PM2.5", "pm2.5", "细颗粒物"):
        r = c.get("/api/v1/observations", params={"parameter": name})
        assert r.status_code == 200 and r.json()["items"] == by_code, name
    r = c.get("/api/v1/observations", params={"parameter": "XYZ"})
    assert r.status_code == 422  # an empty page would read as "no data"
    assert r.json()["errors"][0]["field"] == "parameter"


@pytest.mark.parametrize("kind", ["hourly", "daily"])
def test_aqi_numbers_are_integers_on_the_raw_record_too(door: Door, kind: str) -> None:
    # AQI, level and IAQI are whole numbers (HJ 633-2012 rounds them up); the raw record is
    # computed on the fly and once answered 200.0 where the stored one answers 200.
    for raw in ("true", "false"):
        items = (
            _client(door)
            .get(f"/api/v1/air/aqi/{kind}", params={"station": d.ST_IN, "raw": raw})
            .json()["items"]
        )
        valued = [i for i in items if i["aqi"] is not None]
        assert valued, raw
        for i in valued:
            assert type(i["aqi"]) is int and type(i["level"]) is int, (raw, i)
            assert all(type(i[k]) is int for k in i if k.startswith("iaqi_") and i[k] is not None)


def test_water_classes_refuse_an_unknown_method(door: Door) -> None:
    r = _client(door).get("/api/v1/water/classes", params={"method": "bogus"})
    assert r.status_code == 422  # an empty list would read as "no section assessed"
    assert r.json()["errors"][0]["field"] == "method"
    assert _client(door).get("/api/v1/water/classes", params={"method": "2011"}).status_code == 200
