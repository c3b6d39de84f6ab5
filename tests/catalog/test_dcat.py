"""The DCAT-AP 3 export against our SHACL shapes (tests/catalog/dcat_ap3_shapes.ttl), read back
by rdflib in both serialisations."""

from __future__ import annotations

import csv
from importlib import resources as pkg
from pathlib import Path

import pytest
from pyshacl import validate
from rdflib import Graph, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCAT, DCTERMS, RDF, SH

from ecohub.access.principal import SYSTEM
from ecohub.catalog import coverage, service
from tests.catalog.conftest import Sample

SHAPES = Path(__file__).with_name("dcat_ap3_shapes.ttl")
BASE = "http://ecohub.test"
AR = "http://publications.europa.eu/resource/authority/access-right/"
LICENCE = "https://creativecommons.org/licenses/by/4.0/"


def _export(sample: Sample, fmt: str) -> bytes:
    return service.export_dcat(
        sample.con, SYSTEM, base=BASE, fmt=fmt, licence_url=LICENCE, attribution="ecohub test"
    )


def _shapes() -> Graph:
    return Graph().parse(SHAPES, format="turtle")


def _results(data: Graph) -> list[tuple[str, str, str]]:
    conforms, report, _ = validate(data, shacl_graph=_shapes(), allow_warnings=False)
    out = []
    for r in report.subjects(RDF.type, SH.ValidationResult):
        out.append(
            (
                str(report.value(r, SH.resultSeverity)).rsplit("#", 1)[-1],
                str(report.value(r, SH.focusNode)),
                str(report.value(r, SH.resultPath)),
            )
        )
    assert conforms == (not out)
    return out


@pytest.fixture
def turtle(sample: Sample) -> Graph:
    return Graph().parse(data=_export(sample, "ttl"), format="turtle")


def test_export_passes_the_shapes(sample: Sample, turtle: Graph) -> None:
    results = _results(turtle)
    assert [r for r in results if r[0] == "Violation"] == []
    # Recommended properties missing only where there is nothing to say: no temporal coverage for
    # a resource without dated rows, no licence on the distribution of a resource not open.
    covs = coverage.every(sample.con)
    summaries = {s["code"]: s for s in service.list_resources(sample.con, SYSTEM)["items"]}
    expected = set()
    for code, s in summaries.items():
        ds = f"{BASE}/api/v1/catalog/{code}"
        if not covs[code]["time_from"]:
            expected.add(("Warning", ds, str(DCTERMS.temporal)))
        if not (s["published"] and s["open_type"] == "无条件开放"):
            expected.add(("Warning", f"{ds}/data", str(DCTERMS.license)))
    assert set(results) == expected


def test_both_serialisations_read_back_with_every_resource(sample: Sample, turtle: Graph) -> None:
    jsonld = Graph().parse(data=_export(sample, "jsonld"), format="json-ld")
    n = service.list_resources(sample.con, SYSTEM)["total"]
    # The assessment tables' years (their anonymous per-year route), from their coverage.
    covs = coverage.every(sample.con)
    years = sum(
        int(covs[c]["time_to"][:4]) - int(covs[c]["time_from"][:4]) + 1
        for c in ("30100101-00006", "30100101-00007")
        if covs[c]["time_from"]
    )
    for g in (turtle, jsonld):
        assert len(set(g.subjects(RDF.type, DCAT.Dataset))) == n
        # One page route each (the API's); the five published 无条件开放 resources their
        # anonymous pages too; CSV + Parquet downloads of the three with a bulk route
        # (stations, hourly and daily AQI), the two AQI tables the CSV + Parquet of their
        # cities' rows too; the assessments a route per year.
        assert len(set(g.subjects(RDF.type, DCAT.Distribution))) == n + 5 + 2 * 3 + 2 * 2 + years
        assert len(set(g.subjects(RDF.type, DCAT.DataService))) == 2
        assert len(set(g.subjects(RDF.type, DCAT.Catalog))) == 1
    # The same graph (but for the catalogue's modification time: two exports, two moments).
    for g in (turtle, jsonld):
        g.remove((URIRef(f"{BASE}/api/v1/catalog"), DCTERMS.modified, None))
    assert isomorphic(turtle, jsonld)


def test_access_rights_follow_publication_and_sharing(sample: Sample, turtle: Graph) -> None:
    """PUBLIC (publicly accessible, in the EU access-right table) only for a resource published
    as 无条件开放 open data (有条件开放: RESTRICTED, like sharing); shared between departments
    but not open → RESTRICTED; never shared → NON_PUBLIC."""
    text = pkg.files("ecohub.catalog").joinpath("data", "resources.csv").read_text("utf-8")
    summaries = {s["code"]: s for s in service.list_resources(sample.con, SYSTEM)["items"]}
    for row in csv.DictReader(text.splitlines()):
        s = summaries[row["code"]]
        if s["published"] and row["open_type"] == "无条件开放":
            want = "PUBLIC"
        elif s["published"] and row["open_type"] == "有条件开放":
            want = "RESTRICTED"  # given to applicants who meet its conditions
        else:
            want = "NON_PUBLIC" if row["sharing_type"] == "不予共享" else "RESTRICTED"
        ds = URIRef(f"{BASE}/api/v1/catalog/{row['code']}")
        assert list(turtle.objects(ds, DCTERMS.accessRights)) == [URIRef(AR + want)], row["code"]
    # Hand-picked: the station list is open data; water classes (无条件共享, 有条件开放, not
    # published) and the catalogue's own resource table (无条件共享, 无条件开放, not published)
    # are shared between departments only; observations 有条件共享; users never shared.
    for code, want in (
        ("30100101-00001", "PUBLIC"),
        ("30100102-00001", "RESTRICTED"),
        ("30100602-00008", "RESTRICTED"),
        ("30100101-00002", "RESTRICTED"),
        ("30100602-00003", "NON_PUBLIC"),
    ):
        ds = URIRef(f"{BASE}/api/v1/catalog/{code}")
        assert list(turtle.objects(ds, DCTERMS.accessRights)) == [URIRef(AR + want)], code


def test_the_shapes_catch_a_missing_mandatory_property(turtle: Graph) -> None:
    broken = Graph()
    for t in turtle:
        broken.add(t)
    ds = URIRef(f"{BASE}/api/v1/catalog/30100101-00002")
    broken.remove((ds, DCTERMS.title, None))
    dist = URIRef(f"{BASE}/api/v1/catalog/30100101-00002/data")
    broken.remove((dist, DCAT.accessURL, None))
    cat = URIRef(f"{BASE}/api/v1/catalog")
    broken.add((cat, DCTERMS.publisher, URIRef(f"{BASE}/#provider-D01")))  # now two: max 1
    violations = {(f, p) for s, f, p in _results(broken) if s == "Violation"}
    assert violations == {
        (str(ds), str(DCTERMS.title)),
        (str(dist), str(DCAT.accessURL)),
        (str(cat), str(DCTERMS.publisher)),
    }
