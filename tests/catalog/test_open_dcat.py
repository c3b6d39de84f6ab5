"""The open data as DCAT-AP 3 for anonymous harvesters (``/open/v1/catalog/dcat``), its download
URLs, and IRIs under the configured address, never a request's Host header. Over the real API
(uvicorn on loopback) on the session sample, whose published open resources are the station list,
hourly and daily AQI and the two annual assessment tables (resources.csv, ``published`` = y).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from pyshacl import validate
from rdflib import Graph, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, RDFS, SH

from ecohub.access import apikeys, users
from ecohub.api.app import close_app, create_app
from ecohub.cst import CST
from ecohub.settings import Settings
from tests.catalog.conftest import Sample
from tests.loopback import on_loopback

PUBLIC_URL = "https://data.ecohub.example/portal"
FORMATS = ("csv", "parquet")
OPEN_CODES = {
    "30100101-00001",  # stations
    "30100101-00004",  # hourly AQI
    "30100101-00005",  # daily AQI
    "30100101-00006",  # annual assessment statistics
    "30100101-00007",  # annual category days
}
BULK = {"30100101-00001": "stations", "30100101-00004": "aqi-hourly", "30100101-00005": "aqi-daily"}
IANA = "https://www.iana.org/assignments/media-types/"
MEDIA = {"csv": IANA + "text/csv", "parquet": IANA + "application/vnd.apache.parquet"}
LICENCE = URIRef("https://creativecommons.org/licenses/by/4.0/")
SHAPES = Path(__file__).with_name("dcat_ap3_shapes.ttl")


@dataclass
class Api:
    base: str
    key: str

    def get(self, path: str, login: bool = False, **kw: object) -> httpx.Response:
        headers = dict(kw.pop("headers", {}) or {})  # type: ignore[call-overload]
        if login:
            headers["Authorization"] = f"Bearer {self.key}"
        with httpx.Client(base_url=self.base, timeout=120) as c:
            return c.get(path, headers=headers, **kw)  # type: ignore[arg-type]


def _app(sample: Sample, **kw: object) -> Iterator[Api]:
    s = Settings(data_dir=sample.dir, open_burst=1000, open_rate_per_s=1000, **kw)  # type: ignore[arg-type]
    app = create_app(sample.con, settings=s, data_dir=sample.dir)
    with on_loopback(app) as base:
        yield Api(base, KEYS["harvest-analyst"])
    close_app(app)


KEYS: dict[str, str] = {}


@pytest.fixture(scope="module")
def analyst(sample: Sample) -> None:
    if not KEYS:
        users.add_user(sample.con, "harvest-analyst", "analyst", "110105", [], "correct horse b")
        KEYS["harvest-analyst"] = apikeys.create(sample.con, "harvest-analyst")[0]


@pytest.fixture(scope="module")
def configured(sample: Sample, analyst: None) -> Iterator[Api]:
    yield from _app(sample, public_url=PUBLIC_URL + "/")


@pytest.fixture(scope="module")
def unconfigured(sample: Sample, analyst: None) -> Iterator[Api]:
    yield from _app(sample, http_host="127.0.0.1", http_port=8212)


def _graph(r: httpx.Response, fmt: str) -> Graph:
    assert r.status_code == 200, r.text
    return Graph().parse(data=r.text, format=fmt)


def test_open_dcat_is_anonymous_and_lists_only_published_open_metadata(configured: Api) -> None:
    r = configured.get("/open/v1/catalog/dcat", params={"format": "ttl"})
    assert r.headers["content-type"].startswith("text/turtle")
    assert r.headers["Link"] == f'<{LICENCE}>; rel="license"'
    ttl = _graph(r, "turtle")
    r = configured.get("/open/v1/catalog/dcat", headers={"Accept": "application/ld+json"})
    assert r.headers["content-type"].startswith("application/ld+json")
    jsonld = _graph(r, "json-ld")
    for g in (ttl, jsonld):
        g.remove((None, DCTERMS.modified, None))
    assert isomorphic(ttl, jsonld)
    datasets = {str(g) for g in ttl.subjects(RDF.type, DCAT.Dataset)}
    assert datasets == {f"{PUBLIC_URL}/api/v1/catalog/{c}" for c in OPEN_CODES}
    cats = list(ttl.subjects(RDF.type, DCAT.Catalog))
    assert cats == [URIRef(f"{PUBLIC_URL}/open/v1/catalog")]
    # The same list as the open catalogue's JSON.
    listed = {i["code"] for i in configured.get("/open/v1/catalog").json()["items"]}
    assert listed == OPEN_CODES
    # The login-only DCAT stays login-only.
    assert configured.get("/api/v1/catalog/dcat").status_code == 401
    assert configured.get("/open/v1/catalog/dcat", params={"format": "xml"}).status_code == 422


def test_bulk_tables_have_download_urls(configured: Api) -> None:
    g = _graph(configured.get("/open/v1/catalog/dcat", params={"format": "ttl"}), "turtle")
    for code in OPEN_CODES:
        ds = URIRef(f"{PUBLIC_URL}/api/v1/catalog/{code}")
        downloads = {str(d): g.value(d, DCAT.downloadURL) for d in g.objects(ds, DCAT.distribution)}
        # The AQI data sets hold the stations' and the cities' rows: a file for each.
        scopes = ("", "?scope=city") if BULK.get(code, "").startswith("aqi") else ("",)
        want = (
            {f"{PUBLIC_URL}/open/v1/bulk/{BULK[code]}.{f}{s}" for f in FORMATS for s in scopes}
            if code in BULK
            else set()
        )
        assert {str(u) for u in downloads.values() if u is not None} == want, code
        for fmt in ("csv", "parquet") if code in BULK else ():
            dist = URIRef(f"{PUBLIC_URL}/open/v1/bulk/{BULK[code]}.{fmt}")
            assert g.value(dist, DCAT.accessURL) == dist
            assert g.value(dist, DCAT.mediaType) == URIRef(MEDIA[fmt])
            assert g.value(dist, DCTERMS.license) == LICENCE
    # Each download URL answers without log-in (the path under the configured address).
    for name in BULK.values():
        r = configured.get(f"/open/v1/bulk/{name}.csv", params={"limit": 1})
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    # The cities' file holds the city AQI (Beijing, 110000) and nothing else; the station
    # list has no city rows.
    r = configured.get("/open/v1/bulk/aqi-daily.csv", params={"scope": "city", "limit": 50})
    assert r.status_code == 200, r.text
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows and {(x["scope"], x["code"]) for x in rows} == {("city", "110000")}
    assert 'filename="aqi-daily-city.csv"' in r.headers["content-disposition"]
    r = configured.get("/open/v1/bulk/stations.csv", params={"scope": "city"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "scope"


def test_open_dcat_has_the_mandatory_properties(configured: Api) -> None:
    assert configured.get("/open/v1/assessments/2016").status_code == 200  # computed, if not yet
    g = _graph(configured.get("/open/v1/catalog/dcat", params={"format": "ttl"}), "turtle")
    conforms, report, _ = validate(g, shacl_graph=Graph().parse(SHAPES), allow_warnings=True)
    violations = [
        (str(report.value(r, SH.focusNode)), str(report.value(r, SH.resultPath)))
        for r in report.subjects(RDF.type, SH.ValidationResult)
        if report.value(r, SH.resultSeverity) == SH.Violation
    ]
    assert violations == [] and conforms
    # By hand, too: DCAT-AP 3 mandatory properties of Catalogue, Dataset and Distribution.
    for cat in g.subjects(RDF.type, DCAT.Catalog):
        for prop in (DCTERMS.title, DCTERMS.description, DCTERMS.publisher):
            assert g.value(cat, prop) is not None, prop
    for ds in g.subjects(RDF.type, DCAT.Dataset):
        assert g.value(ds, DCTERMS.title) and g.value(ds, DCTERMS.description), ds
    # The publisher is the platform's operator (a setting), named in both languages; the data's
    # citation (the attribution) is not the publisher's name but each dataset's own: the rights
    # statement of its distributions (walk G, F7: before, the catalogue's one statement, the
    # UCI sample's, spoke for every dataset).
    (cat,) = g.subjects(RDF.type, DCAT.Catalog)
    publisher = g.value(cat, DCTERMS.publisher)
    names = {(str(n), n.language) for n in g.objects(publisher, FOAF.name)}
    assert names == {
        ("ecohub 生态环境数据平台", "zh"),
        ("ecohub environmental data platform", "en"),
    }
    for code in OPEN_CODES:
        for dist in g.objects(URIRef(f"{PUBLIC_URL}/api/v1/catalog/{code}"), DCAT.distribution):
            rights = g.value(dist, DCTERMS.rights)
            assert "UCI Machine Learning Repository" in str(g.value(rights, RDFS.label)), dist
    dists = set(g.subjects(RDF.type, DCAT.Distribution))
    # Each open dataset's anonymous pages + CSV and Parquet; the two AQI data sets their
    # cities' files too; the assessments a route per year of their coverage (2013-2017).
    # The API's page route (log-in) is no distribution of a PUBLIC dataset here: a harvester
    # could not follow it (walk G, F4).
    assert len(dists) == len(OPEN_CODES) + 2 * len(BULK) + 2 * 2 + 2 * 5
    for dist in dists:
        assert isinstance(g.value(dist, DCAT.accessURL), URIRef), dist


def test_open_catalogue_data_url_is_anonymous_where_there_is_a_route(configured: Api) -> None:
    items = {i["code"]: i for i in configured.get("/open/v1/catalog").json()["items"]}
    assert items["30100101-00001"]["data_url"] == "/open/v1/stations"
    assert items["30100101-00005"]["data_url"] == "/open/v1/bulk/aqi-daily.csv"
    assert items["30100101-00004"]["data_url"] == "/open/v1/bulk/aqi-hourly.csv"
    assert items["30100101-00001"]["data_url_anonymous"] is True
    # The assessments have no single route of their own (one per year): their anonymous pages
    # (before: the API's, which needs a log-in; walk G, F4).
    assert items["30100101-00006"]["data_url"] == "/open/v1/catalog/30100101-00006/data"
    assert items["30100101-00006"]["data_url_anonymous"] is True
    for code in OPEN_CODES:
        r = configured.get(items[code]["data_url"], params={"limit": 1})
        assert r.status_code == 200, code


@pytest.mark.parametrize("path", ["/open/v1/catalog/dcat", "/api/v1/catalog/dcat"])
def test_iris_ignore_the_host_header(configured: Api, unconfigured: Api, path: str) -> None:
    login = path.startswith("/api/")
    for api, base in ((configured, PUBLIC_URL), (unconfigured, "http://127.0.0.1:8212")):
        r = api.get(path, login=login, params={"format": "ttl"}, headers={"Host": "evil.example"})
        assert r.status_code == 200, r.text
        assert "evil.example" not in r.text
        g = Graph().parse(data=r.text, format="turtle")
        ds = URIRef(f"{base}/api/v1/catalog/30100101-00001")
        assert (ds, RDF.type, DCAT.Dataset) in g


def test_open_dcat_is_rate_limited(sample: Sample, analyst: None) -> None:
    s = Settings(data_dir=sample.dir, open_burst=2, open_rate_per_s=0.001)
    app = create_app(sample.con, settings=s, data_dir=sample.dir)
    try:
        with on_loopback(app) as base, httpx.Client(base_url=base, timeout=120) as c:
            codes = [c.get("/open/v1/catalog/dcat").status_code for _ in range(3)]
            assert codes == [200, 200, 429]
    finally:
        close_app(app)


def test_issued_is_the_day_each_resource_was_first_published(
    sample: Sample, configured: Api
) -> None:
    # The open catalogue's resources were published when this store was made (or by a test
    # since); a resource's dct:issued is the China date of its first 'publish', read here from
    # the store, not the day ecohub wrote its definitions (2026-11-25 in resources.csv).
    first = dict(
        sample.con.execute(
            "SELECT code, min(acted_at) FROM catalog_publication WHERE action = 'publish' "
            "GROUP BY code"
        ).fetchall()
    )
    g = _graph(configured.get("/open/v1/catalog/dcat", params={"format": "ttl"}), "turtle")
    days = {}
    for code in OPEN_CODES:
        ds = URIRef(f"{PUBLIC_URL}/api/v1/catalog/{code}")
        days[code] = str(g.value(ds, DCTERMS.issued))
        assert days[code] == first[code].astimezone(CST).date().isoformat(), code
    (cat,) = g.subjects(RDF.type, DCAT.Catalog)
    assert str(g.value(cat, DCTERMS.issued)) == min(days.values())
