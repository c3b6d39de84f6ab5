"""Open data is cacheable and answers conditional requests (walk G, F1), as RFC 9110 section 13
and RFC 9111 say; answers to requests with credentials are kept by no cache. Over the real API
(uvicorn on loopback) on the session sample.

Expected behaviour from the RFCs: a strong ``ETag`` (section 8.8.3, no ``W/``), ``304 Not
Modified`` without a body and with the same ``ETag`` and ``Cache-Control`` (15.4.5) when
``If-None-Match`` names it, weakly compared (13.1.2: ``W/"x"`` matches ``"x"``), or is ``*``;
``If-Modified-Since`` (13.1.3) only without ``If-None-Match`` (13.2.2), only a valid HTTP-date,
304 when the resource was not modified after it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime

import httpx
import pytest

from ecohub.access import apikeys, users
from ecohub.access.principal import Principal
from ecohub.analytics.air_service import mark_stale
from ecohub.api.app import close_app, create_app
from ecohub.catalog import service
from ecohub.cst import CST
from ecohub.settings import Settings
from tests.catalog.conftest import Sample
from tests.loopback import on_loopback

ADMIN = Principal("cache-admin", "admin", None)
STRONG = re.compile(r'^"[0-9a-f]{32}"$')
#: Every anonymous route, one answer each (ids of the sample, days it holds).
PATHS = [
    "/open/v1/stations",
    "/open/v1/stations/Dongsi/aqi/daily?from=2016-01-01&to=2016-01-31",
    "/open/v1/stations/Dongsi/aqi/hourly?from=2016-01-01&to=2016-01-01",
    "/open/v1/assessments/2016",
    "/open/v1/bulk/aqi-daily.csv?limit=10",
    "/open/v1/bulk/stations.parquet",
    "/open/v1/catalog",
    "/open/v1/catalog/dcat?format=ttl",
    "/open/v1/catalog/30100101-00006/data?limit=5",
    "/open/v1/licence",
    "/open/v1/review",
]


@pytest.fixture(scope="module")
def base(sample: Sample) -> Iterator[str]:
    s = Settings(data_dir=sample.dir, open_burst=1000, open_rate_per_s=1000)
    app = create_app(sample.con, settings=s, data_dir=sample.dir)
    with on_loopback(app) as url:
        yield url
    close_app(app)


def _get(base: str, path: str, **headers: str) -> httpx.Response:
    return httpx.get(base + path, headers=headers, timeout=120)


@pytest.mark.parametrize("path", PATHS)
def test_open_answers_are_cacheable_and_validated(base: str, path: str) -> None:
    # The first read of the air results may compute them (the sample's first read): an answer
    # read across a change carries no validators. The one after it does.
    assert _get(base, path).status_code == 200
    r = _get(base, path)
    assert r.status_code == 200, r.text
    tag = r.headers["etag"]
    assert STRONG.match(tag), tag
    assert r.headers["cache-control"] == "public, max-age=300"
    # The same representation again: the same tag.
    assert _get(base, path).headers["etag"] == tag
    for held in (tag, f"W/{tag}", '"other", ' + tag, "*"):
        again = _get(base, path, **{"If-None-Match": held})
        assert again.status_code == 304, held
        assert again.content == b""
        assert again.headers["etag"] == tag
        assert again.headers["cache-control"] == "public, max-age=300"
    assert _get(base, path, **{"If-None-Match": '"other"'}).status_code == 200
    head = httpx.head(base + path, headers={"If-None-Match": tag}, timeout=120)
    assert head.status_code == 304


@pytest.mark.parametrize("path", PATHS[:6])
def test_data_routes_answer_if_modified_since(base: str, path: str) -> None:
    r = _get(base, path)
    last = r.headers["last-modified"]
    at = parsedate_to_datetime(last)
    assert at <= datetime.now(CST)
    same = _get(base, path, **{"If-Modified-Since": last})
    assert same.status_code == 304 and same.headers["etag"] == r.headers["etag"]
    later = format_datetime(at + timedelta(days=1), usegmt=True)
    assert _get(base, path, **{"If-Modified-Since": later}).status_code == 304
    earlier = format_datetime(at - timedelta(seconds=1), usegmt=True)
    assert _get(base, path, **{"If-Modified-Since": earlier}).status_code == 200
    # Not an HTTP-date: ignored. With If-None-Match, If-Modified-Since is not looked at.
    assert _get(base, path, **{"If-Modified-Since": "yesterday"}).status_code == 200
    both = {"If-None-Match": '"other"', "If-Modified-Since": last}
    assert _get(base, path, **both).status_code == 200


def test_a_publication_changes_the_validators(base: str, sample: Sample) -> None:
    path = "/open/v1/stations"
    old = _get(base, path).headers["etag"]
    service.withdraw(sample.con, ADMIN, "30100101-00001")
    try:
        assert _get(base, path, **{"If-None-Match": old}).status_code == 404
    finally:
        service.publish(sample.con, ADMIN, "30100101-00001")
    r = _get(base, path, **{"If-None-Match": old})
    assert r.status_code == 200 and r.headers["etag"] != old


def test_stale_air_results_are_never_answered_304(base: str, sample: Sample) -> None:
    # A load or a review decision marks days stale; the next read recomputes them. A tag
    # issued before must not validate what the read will compute.
    path = "/open/v1/stations/Dongsi/aqi/daily?from=2016-01-01&to=2016-01-31"
    old = _get(base, path).headers["etag"]
    day = datetime(2016, 1, 10, tzinfo=CST)
    mark_stale(sample.con, ["Dongsi"], day, day + timedelta(hours=23))
    r = _get(base, path, **{"If-None-Match": old})
    assert r.status_code == 200 and r.json()["items"]
    # Computed again: a new version of the results, so a new tag (the values are the same).
    now = _get(base, path)
    assert now.headers["etag"] != old and now.json()["items"] == r.json()["items"]
    assert _get(base, path, **{"If-None-Match": now.headers["etag"]}).status_code == 304


def test_answers_to_signed_in_callers_are_kept_by_no_cache(base: str, sample: Sample) -> None:
    users.add_user(sample.con, "cache-analyst", "analyst", "110105", [], "correct horse b")
    key = apikeys.create(sample.con, "cache-analyst")[0]
    r = httpx.get(base + "/api/v1/stations", headers={"X-API-Key": key}, timeout=60)
    assert r.status_code == 200
    assert r.headers["cache-control"] == "private, no-store"
    assert "etag" not in r.headers
