"""What the open data says about itself (walk G, F2-F7): units, the reviewed record, anonymous
distributions for every PUBLIC dataset, relations a harvester can follow, dates on China's
calendar, and each resource's own attribution. Over the real API (uvicorn on loopback) on the
session sample.

Expected values come from outside the code: the units from HJ 633-2012 Table 1 (µg/m³, CO
mg/m³; indices dimensionless, UCUM ``1``), the first day from the bundled source file itself,
DCAT-AP 3's property ranges (``dcat:startDate`` an ``xsd:date`` or ``xsd:dateTime``), the
provider from providers.csv.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from importlib import resources as pkg

import httpx
import pyarrow.parquet as pq
import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF, RDFS, XSD

from ecohub.access import apikeys, users
from ecohub.access.principal import Principal
from ecohub.api.app import close_app, create_app
from ecohub.catalog import lineage, service
from ecohub.settings import Settings
from tests.catalog.conftest import Sample
from tests.loopback import on_loopback

PUBLIC_URL = "https://data.ecohub.example/portal"
ADMIN = Principal("publish-admin", "admin", None)
PERMIT = "30100201-00004"
AIR = ("30100101-00004", "30100101-00005", "30100101-00006", "30100101-00007")
AR = "http://publications.europa.eu/resource/authority/access-right/"
#: HJ 633-2012 Table 1: concentrations in µg/m³, CO in mg/m³.
HJ633 = {"so2": "µg/m³", "no2": "µg/m³", "pm10": "µg/m³", "co": "mg/m³", "o3": "µg/m³",
         "pm25": "µg/m³"}  # fmt: skip
UCUM = {"µg/m³": "ug/m3", "mg/m³": "mg/m3"}
UCI = "UCI Machine Learning Repository"


@pytest.fixture(scope="module")
def base(sample: Sample) -> Iterator[str]:
    s = Settings(data_dir=sample.dir, open_burst=1000, open_rate_per_s=1000,
                 public_url=PUBLIC_URL)  # type: ignore[arg-type]  # fmt: skip
    app = create_app(sample.con, settings=s, data_dir=sample.dir)
    with on_loopback(app) as url:
        yield url
    close_app(app)


def _get(base: str, path: str, **kw: object) -> httpx.Response:
    path = path.removeprefix(PUBLIC_URL)
    return httpx.get(base + path, timeout=120, **kw)  # type: ignore[arg-type]


def _dcat(base: str) -> Graph:
    r = _get(base, "/open/v1/catalog/dcat", params={"format": "ttl"})
    assert r.status_code == 200, r.text
    return Graph().parse(data=r.text, format="turtle")


@pytest.fixture
def permits_published(sample: Sample) -> Iterator[None]:
    """The discharge permits (有条件开放, another provider's data) published for the test."""
    service.publish(sample.con, ADMIN, PERMIT)
    try:
        yield
    finally:
        service.withdraw(sample.con, ADMIN, PERMIT)


def _expected_unit(column: str) -> str | None:
    m = re.match(r"^(so2|no2|pm10|co|o3|pm25)_(1h|8h|24h)$", column)
    if m:
        return HJ633[m.group(1)]
    return "1" if column == "aqi" or column.startswith("iaqi_") else None


# ------------------------------------------------------------------ F2: units


def test_json_answers_give_every_concentrations_unit(base: str) -> None:
    r = _get(base, "/open/v1/stations/Dongsi/aqi/daily", params={"from": "2016-01-01",
                                                                 "to": "2016-01-01"})  # fmt: skip
    body = r.json()
    columns = list(body["items"][0])
    want = {c: _expected_unit(c) for c in columns if _expected_unit(c)}
    assert body["units"] == want and body["units"]["co_24h"] == "mg/m³"
    assessed = _get(base, "/open/v1/assessments/2016").json()
    assert assessed["units"]["CO"] == "mg/m³" and assessed["units"]["PM2.5"] == "µg/m³"
    for row in assessed["stats"]:
        assert row["unit"] == (HJ633["co"] if row["pollutant"] == "CO" else "µg/m³"), row


def test_bulk_files_give_units_without_extra_rows(base: str) -> None:
    r = _get(base, "/open/v1/bulk/aqi-daily.csv", params={"limit": 20})
    text = r.content.decode("utf-8-sig")
    reader = list(csv.reader(io.StringIO(text)))
    header, data = reader[0], reader[1:]
    assert len(data) == int(r.headers["X-Result-Count"]) == 20  # no row that is not data
    assert all(len(row) == len(header) for row in data)
    # X-Units: an RFC 8941 dictionary, column -> UCUM code (ASCII).
    units = dict(re.findall(r'([a-z*][a-z0-9_.*-]*)="([^"]*)"', r.headers["X-Units"]))
    want = {c: UCUM.get(_expected_unit(c) or "", _expected_unit(c)) for c in header
            if _expected_unit(c)}  # fmt: skip
    assert units == want and units["co_24h"] == "mg/m3"
    r = _get(base, "/open/v1/bulk/aqi-hourly.parquet", params={"limit": 5})
    schema = pq.read_schema(io.BytesIO(r.content))
    for field in schema:
        unit = _expected_unit(field.name)
        got = (field.metadata or {}).get(b"unit")
        assert got == (unit.encode() if unit else None), field.name
    assert schema.metadata[b"record"] == b"reviewed"


def test_catalogue_items_give_every_concentrations_unit(base: str, sample: Sample) -> None:
    for code in ("30100101-00004", "30100101-00005"):
        items = service.show(sample.con, ADMIN, code)["items"]
        for item in items:
            assert item["unit"] == _expected_unit(item["name"]) or (
                _expected_unit(item["name"]) is None and item["unit"] in (None, "北京时间")
            ), (code, item)
    listed = {i["code"]: i for i in _get(base, "/open/v1/catalog").json()["items"]}
    daily = {i["name"]: i["unit"] for i in listed["30100101-00005"]["items"]}
    assert daily["co_24h"] == "mg/m³" and daily["pm25_24h"] == "µg/m³"


# ------------------------------------------------------------------ F3: the reviewed record


def test_open_answers_say_they_are_of_the_reviewed_record(base: str) -> None:
    for path in ("/open/v1/stations/Dongsi/aqi/daily?from=2016-01-01&to=2016-01-02",
                 "/open/v1/stations/Dongsi/aqi/hourly?from=2016-01-01&to=2016-01-01",
                 "/open/v1/assessments/2016"):  # fmt: skip
        body = _get(base, path).json()
        assert body["record"] == "reviewed", path
        assert body["review"]["method"] == "/open/v1/review"
        assert body["review"]["flags_resource"] == "30100101-00008"
    bulk = _get(base, "/open/v1/bulk/aqi-daily.csv", params={"limit": 1})
    assert bulk.headers["X-Record"] == "reviewed"
    method = _get(base, "/open/v1/review").json()
    assert {r["rule"] for r in method["rules"]} >= {"constant", "spike", "range", "negative"}
    constant_o3 = [r for r in method["rules"] if (r["rule"], r["parameter"]) ==
                   ("constant", "a05024")]  # fmt: skip
    assert constant_o3 and constant_o3[0]["basis"]


def test_the_catalogue_says_it_too(base: str, sample: Sample) -> None:
    listed = {i["code"]: i for i in _get(base, "/open/v1/catalog").json()["items"]}
    g = _dcat(base)
    for code in AIR:
        item = listed[code]
        assert "reviewed record" in item["abstract_en"] and "审核" in item["abstract_zh"], code
        assert item["provenance"]["record"] == "reviewed"
        ds = URIRef(f"{PUBLIC_URL}/api/v1/catalog/{code}")
        prov = g.value(ds, DCTERMS.provenance)
        assert (prov, RDF.type, DCTERMS.ProvenanceStatement) in g, code
        assert any("reviewed record" in str(t) for t in g.objects(prov, RDFS.label))
        assert g.value(prov, RDFS.seeAlso) == URIRef(f"{PUBLIC_URL}/open/v1/review")
    assert "provenance" not in listed["30100101-00001"]  # the station list is not reviewed
    # The review flags are a resource of the catalogue (behind the log-in, not open).
    flags = service.show(sample.con, ADMIN, "30100101-00008")["resource"]
    assert flags["table_name"] == "review_flag" and flags["open_type"] == "不予开放"
    assert lineage.resolve(sample.con, "review_flag") == "30100101-00008"


# ------------------------------------------------------------------ F4, F5: distributions


def test_every_public_dataset_is_reached_without_log_in(base: str, permits_published: None) -> None:
    g = _dcat(base)
    public = [ds for ds in g.subjects(RDF.type, DCAT.Dataset)
              if g.value(ds, DCTERMS.accessRights) == URIRef(AR + "PUBLIC")]  # fmt: skip
    assert len(public) == 5
    for ds in public:
        urls = set()
        for dist in g.objects(ds, DCAT.distribution):
            urls |= {str(u) for u in g.objects(dist, DCAT.accessURL)}
            urls |= {str(u) for u in g.objects(dist, DCAT.downloadURL)}
        assert urls, ds
        for url in sorted(urls):
            r = _get(base, url, params={"limit": 1} if "assessments" not in url else None)
            assert r.status_code == 200, (str(ds), url, r.status_code)
    # The assessments: a distribution per year of their coverage (2013-2017 in the sample).
    ds = URIRef(f"{PUBLIC_URL}/api/v1/catalog/30100101-00006")
    years = {str(u) for d in g.objects(ds, DCAT.distribution) for u in g.objects(d, DCAT.accessURL)
             if "/assessments/" in str(u)}  # fmt: skip
    assert years == {f"{PUBLIC_URL}/open/v1/assessments/{y}" for y in range(2013, 2018)}


def test_a_conditional_dataset_is_not_served_anonymously(
    base: str, permits_published: None
) -> None:
    assert _get(base, f"/open/v1/catalog/{PERMIT}/data").status_code == 404
    assert _get(base, "/open/v1/catalog/30100101-00002/data").status_code == 404  # not open
    assert _get(base, "/open/v1/catalog/30100101-99999/data").status_code == 404
    r = _get(base, "/open/v1/catalog/not-a-code/data")
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    g = _dcat(base)
    ds = URIRef(f"{PUBLIC_URL}/api/v1/catalog/{PERMIT}")
    assert g.value(ds, DCTERMS.accessRights) == URIRef(AR + "RESTRICTED")


def test_relations_name_only_datasets_of_the_catalogue(base: str, permits_published: None) -> None:
    g = _dcat(base)
    related = set(g.objects(None, DCTERMS.relation))
    assert related  # the air data sets relate to each other
    for target in related:
        assert (target, RDF.type, DCAT.Dataset) in g, target


# ------------------------------------------------------------------ F6: China's calendar


def test_coverage_dates_are_on_chinas_calendar(base: str) -> None:
    data = pkg.files("ecohub.sample").joinpath("data", "prsa_hourly.parquet")
    # The source's hours are Beijing local time (``time_local``, no zone).
    times = pq.read_table(str(data), columns=["time_local"]).column("time_local").to_pylist()
    first_day = min(times).date().isoformat()
    assert first_day == "2013-03-01"  # the UCI record starts on 1 March 2013, Beijing time
    assert _get(base, "/open/v1/assessments/2016").status_code == 200  # computed, if not yet
    g = _dcat(base)

    def start(code: str) -> tuple[str, URIRef | None]:
        period = g.value(URIRef(f"{PUBLIC_URL}/api/v1/catalog/{code}"), DCTERMS.temporal)
        value = g.value(period, DCAT.startDate)
        return str(value), value.datatype  # type: ignore[union-attr]

    assert start("30100101-00005") == (first_day, XSD.date)  # daily: a day
    assert start("30100101-00006") == ("2013-01-01", XSD.date)  # annual statistics: years
    hourly, kind = start("30100101-00004")
    assert kind == XSD.dateTime and hourly == f"{first_day}T00:00:00+08:00"
    (cat,) = g.subjects(RDF.type, DCAT.Catalog)
    assert str(g.value(cat, DCTERMS.modified)).endswith("+08:00")


# ------------------------------------------------------------------ F7: attribution


def test_each_resource_carries_its_own_attribution(base: str, permits_published: None) -> None:
    listed = {i["code"]: i for i in _get(base, "/open/v1/catalog").json()["items"]}
    permits = listed[PERMIT]["attribution"]
    assert UCI not in permits and "污染源监管处" in permits  # its provider, providers.csv D02
    for code in ("30100101-00001", *AIR):
        assert UCI in listed[code]["attribution"], code
    g = _dcat(base)
    assert UCI not in str(g.value(g.value(next(g.subjects(RDF.type, DCAT.Catalog)),
                                          DCTERMS.rights), RDFS.label))  # fmt: skip
    for code in ("30100101-00001", *AIR):
        ds = URIRef(f"{PUBLIC_URL}/api/v1/catalog/{code}")
        for dist in g.objects(ds, DCAT.distribution):
            rights = g.value(dist, DCTERMS.rights)
            assert UCI in str(g.value(rights, RDFS.label)), (code, dist)
    permit = URIRef(f"{PUBLIC_URL}/api/v1/catalog/{PERMIT}")
    for dist in g.objects(permit, DCAT.distribution):
        for rights in g.objects(dist, DCTERMS.rights):
            assert UCI not in " ".join(str(x) for x in g.objects(rights, RDFS.label))


def test_units_and_reviewed_record_behind_the_log_in_too(base: str, sample: Sample) -> None:
    users.add_user(sample.con, "units-analyst", "analyst", "110000", [], "correct horse b")
    key = apikeys.create(sample.con, "units-analyst")[0]
    r = httpx.get(base + "/api/v1/catalog/30100101-00005", headers={"X-API-Key": key},
                  timeout=60)  # fmt: skip
    items = {i["name"]: i["unit"] for i in r.json()["items"]}
    assert items["co_24h"] == "mg/m³" and items["so2_24h"] == "µg/m³" and items["aqi"] == "1"
