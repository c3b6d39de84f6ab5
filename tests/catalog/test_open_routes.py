"""The anonymous ``/open/v1`` data routes serve a table only while its resource is published as
open data (withdrawing it answers 404, as for an unknown data set); their headers are valid
HTTP whatever the licence and attribution settings say. Over the real API (uvicorn, loopback).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import quote, unquote

import httpx
import pytest

from ecohub.access.principal import Principal
from ecohub.api.app import close_app, create_app
from ecohub.catalog import service
from ecohub.settings import Settings
from tests.catalog.conftest import Sample
from tests.loopback import on_loopback

ADMIN = Principal("open-admin", "admin", None)
STATION, HOURLY, DAILY = "30100101-00001", "30100101-00004", "30100101-00005"
PERIOD_STAT, CATEGORY_DAYS = "30100101-00006", "30100101-00007"


@dataclass
class Open:
    base: str
    station: str

    def get(self, path: str, **kw: object) -> httpx.Response:
        with httpx.Client(base_url=self.base, timeout=120) as c:
            return c.get(path.format(station=self.station), **kw)  # type: ignore[arg-type]


def _settings(sample: Sample, **kw: object) -> Settings:
    return Settings(data_dir=sample.dir, open_burst=1000, open_rate_per_s=1000, **kw)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def api(sample: Sample) -> Iterator[Open]:
    app = create_app(sample.con, settings=_settings(sample), data_dir=sample.dir)
    with on_loopback(app) as base:
        yield Open(base, sample.stations[0]["station"])
    close_app(app)


#: Each open route and the resources whose rows it serves.
ROUTES = {
    "/open/v1/stations": {STATION},
    "/open/v1/bulk/stations.csv": {STATION},
    "/open/v1/bulk/stations.parquet": {STATION},
    "/open/v1/stations/{station}/aqi/hourly": {HOURLY},
    "/open/v1/bulk/aqi-hourly.csv": {HOURLY},
    "/open/v1/stations/{station}/aqi/daily": {DAILY},
    "/open/v1/bulk/aqi-daily.parquet": {DAILY},
    "/open/v1/assessments/2014": {PERIOD_STAT, CATEGORY_DAYS},
    "/open/v1/assessments/2014?scope=city": {PERIOD_STAT, CATEGORY_DAYS},
}


@pytest.mark.parametrize("code", [STATION, HOURLY, DAILY, PERIOD_STAT, CATEGORY_DAYS])
def test_a_withdrawn_resource_is_not_served(api: Open, sample: Sample, code: str) -> None:
    mine = [p for p, codes in ROUTES.items() if code in codes]
    others = [p for p in ROUTES if p not in mine]
    for path in mine:
        assert api.get(path).status_code == 200, path
    assert service.withdraw(sample.con, ADMIN, code)["changed"] is True
    try:
        assert code not in {i["code"] for i in api.get("/open/v1/catalog").json()["items"]}
        for path in mine:
            r = api.get(path)
            assert r.status_code == 404, path
            assert r.headers["content-type"] == "application/problem+json"
        for path in others:  # the other open data stays
            assert api.get(path).status_code == 200, path
    finally:
        service.publish(sample.con, ADMIN, code)
    for path in mine:
        assert api.get(path).status_code == 200, path


ATTRIBUTION = "北京市生态环境监测中心；ecohub 计算"
LICENCE = "知识共享 署名 4.0 (CC BY 4.0)"


@pytest.fixture(scope="module")
def chinese(sample: Sample) -> Iterator[Open]:
    """The open data described in Chinese: licence and attribution settings not in latin-1."""
    s = _settings(sample, open_attribution=ATTRIBUTION, open_licence=LICENCE)
    app = create_app(sample.con, settings=s, data_dir=sample.dir)
    with on_loopback(app) as base:
        yield Open(base, sample.stations[0]["station"])
    close_app(app)


@pytest.mark.parametrize("path", [p for p in ROUTES if "/bulk/" in p])
def test_headers_carry_any_licence_text(chinese: Open, path: str) -> None:
    r = chinese.get(path)
    assert r.status_code == 200, r.text
    # RFC 8187 ext-value (charset, empty language, percent-encoded UTF-8): headers are latin-1.
    assert r.headers["X-Attribution"] == "UTF-8''" + quote(ATTRIBUTION, safe="")
    assert unquote(r.headers["X-Licence"].removeprefix("UTF-8''")) == LICENCE
    assert r.headers["Link"] == '<https://creativecommons.org/licenses/by/4.0/>; rel="license"'


def test_ascii_licence_headers_stay_as_they_are(api: Open) -> None:
    r = api.get("/open/v1/bulk/stations.csv")
    assert (r.headers["X-Licence"], r.headers["X-Attribution"]) == (
        "CC BY 4.0",
        Settings().open_attribution,
    )


def test_bodies_carry_the_text_itself(chinese: Open) -> None:
    body = chinese.get("/open/v1/licence").json()
    assert (body["licence"], body["attribution"]) == (LICENCE, ATTRIBUTION)


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_bulk_stations_page_with_their_cursor(api: Open, sample: Sample, fmt: str) -> None:
    r = api.get(f"/open/v1/bulk/stations.{fmt}", params={"cursor": "garbage"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "cursor", r.text
    first = api.get(f"/open/v1/bulk/stations.{fmt}", params={"limit": 5})
    assert first.headers["X-Result-Count"] == "5"
    rest = api.get(
        f"/open/v1/bulk/stations.{fmt}", params={"cursor": first.headers["X-Next-Cursor"]}
    )
    assert int(rest.headers["X-Result-Count"]) == len(sample.stations) - 5
    assert "X-Next-Cursor" not in rest.headers


def test_bulk_csv_times_are_rfc3339_as_in_json(api: Open) -> None:
    import csv
    import io

    r = api.get("/open/v1/bulk/aqi-hourly.csv", params={"limit": 3})
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    station = rows[0]["code"]
    as_json = api.get(f"/open/v1/stations/{station}/aqi/hourly", params={"limit": 3}).json()
    assert rows[0]["time"] == as_json["items"][0]["time"]
    assert rows[0]["time"] == "2013-03-01T00:00:00+08:00"  # the first hour, in CST on any host
