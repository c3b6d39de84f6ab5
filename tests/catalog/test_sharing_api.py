"""Conditional sharing, open data and DCAT over the real API: uvicorn on loopback, port 0.

An analyst of Chaoyang (110105) applies for the observations of Haidian (110108), an admin grants
it, the analyst reads Haidian's rows, and a grant whose period has ended gives nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import httpx
import pytest
from rdflib import Graph
from rdflib.namespace import DCAT, RDF
from rdflib.namespace import DCTERMS as DCT

from ecohub.access import apikeys, users
from ecohub.access.principal import Principal
from ecohub.api.app import close_app, create_app
from ecohub.catalog import grants
from ecohub.cst import CST
from ecohub.settings import Settings
from tests.catalog.conftest import Sample
from tests.loopback import on_loopback

OBS, AUDIT_LOG, DAILY = "30100101-00002", "30100602-00006", "30100101-00005"
PACKET_LOG = "30100202-00003"  # 不予共享, not a security table: listed to every role
PASSWORD = "correct horse battery"
TODAY = datetime.now(CST).date()  # grants run on the China calendar


@dataclass
class Api:
    base: str
    keys: dict[str, str]

    def call(self, who: str | None, method: str, path: str, **kw: object) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.keys[who]}"} if who else {}
        headers.update(kw.pop("headers", {}) or {})  # type: ignore[arg-type]
        with httpx.Client(base_url=self.base, timeout=60) as c:
            return c.request(method, path, headers=headers, **kw)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def api(sample: Sample) -> Iterator[Api]:
    keys = {}
    for name, role, region, sources in (
        ("boss", "admin", None, []),
        ("chaoyang", "analyst", "110105", []),
        ("plant", "enterprise", "110108", ["H9110108000000002v001P"]),
        ("citizen", "public", "110105", []),
    ):
        users.add_user(sample.con, name, role, region, sources, PASSWORD)
        keys[name] = apikeys.create(sample.con, name)[0]
    app = create_app(sample.con, settings=Settings(data_dir=sample.dir), data_dir=sample.dir)
    with on_loopback(app) as base:
        yield Api(base, keys)
    close_app(app)


def _apply(
    api: Api, who: str, code: str, region: str, start: date, end: date, **extra: object
) -> httpx.Response:
    body = {
        "purpose": "大气污染溯源分析",
        "region": region,
        "valid_from": start.isoformat(),
        "valid_to": end.isoformat(),
        **extra,
    }
    return api.call(who, "POST", f"/api/v1/catalog/{code}/applications", json=body)


def _stations(r: httpx.Response) -> set[str]:
    return {row["station_id"] for row in r.json()["items"]}


def test_apply_grant_read_then_expire(api: Api, sample: Sample) -> None:
    haidian = {s["station"] for s in sample.stations if s["district_code"] == "110108"}
    chaoyang = {s["station"] for s in sample.stations if s["district_code"] == "110105"}
    data = f"/api/v1/catalog/{OBS}/data"
    # Before: the analyst reads its own district only; Haidian's rows are not there.
    r = api.call("chaoyang", "GET", data, params={"region": "110108", "limit": 50})
    assert r.status_code == 200 and r.json()["items"] == []
    r = api.call("chaoyang", "GET", data, params={"limit": 200})
    assert _stations(r) <= chaoyang and _stations(r)
    # Apply; the applicant cannot decide its own application.
    r = _apply(
        api, "chaoyang", OBS, "110108", TODAY - timedelta(days=1), TODAY + timedelta(days=30)
    )
    assert r.status_code == 201, r.text
    app_id = r.json()["id"]
    assert r.json()["state"] == "pending"
    decision = f"/api/v1/catalog/{OBS}/applications/{app_id}/decision"
    assert api.call("chaoyang", "POST", decision, json={"decision": "grant"}).status_code == 403
    r = api.call("chaoyang", "GET", data, params={"region": "110108"})
    assert r.json()["items"] == []  # pending grants nothing
    # Grant; the analyst now reads Haidian's rows (and only the granted district's).
    r = api.call("boss", "POST", decision, json={"decision": "grant"})
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "granted" and r.json()["grant"]["in_force"]
    r = api.call("chaoyang", "GET", data, params={"region": "110108", "limit": 100})
    assert r.status_code == 200 and _stations(r) == haidian
    assert r.json()["scope"]["grants"] == [app_id]
    r = api.call("chaoyang", "GET", data, params={"region": "110102", "limit": 10})
    assert r.json()["items"] == []  # Xicheng: neither its district nor the grant
    # Paging follows the same scope.
    first = api.call("chaoyang", "GET", data, params={"region": "110108", "limit": 3}).json()
    nxt = api.call(
        "chaoyang",
        "GET",
        data,
        params={"region": "110108", "limit": 3, "cursor": first["next_cursor"]},
    ).json()
    assert len(first["items"]) == len(nxt["items"]) == 3 and first["items"] != nxt["items"]
    # The read through the grant is in the audit log, naming the grant.
    rows = sample.con.execute(
        "SELECT filters FROM audit_log WHERE user_name = 'chaoyang' AND route = ?",
        [f"catalog:{OBS}/data"],
    ).fetchall()
    assert rows and all(app_id in json.loads(f)["grants"] for (f,) in rows)
    # Deciding twice is a conflict.
    assert (
        api.call("boss", "POST", decision, json={"decision": "refuse", "reason": "x"}).status_code
        == 409
    )
    # After the grant's end date the same principal reads its own district again, nothing more.
    p = Principal("chaoyang", "analyst", "110105")
    end = TODAY + timedelta(days=30)
    during = grants.allowed(sample.con, p, OBS, at=end)
    after = grants.allowed(sample.con, p, OBS, at=end + timedelta(days=1))
    assert during is not None and during.prefixes == ("110105", "110108")
    assert after is not None and after.prefixes == ("110105",) and after.grants == ()


def test_an_expired_grant_gives_nothing(api: Api) -> None:
    # The enterprise user reads observations only through grants: one that ended yesterday.
    data = f"/api/v1/catalog/{OBS}/data"
    assert api.call("plant", "GET", data).status_code == 403
    r = _apply(api, "plant", OBS, "110108", TODAY - timedelta(days=30), TODAY - timedelta(days=1))
    app_id = r.json()["id"]
    r = api.call(
        "boss",
        "POST",
        f"/api/v1/catalog/{OBS}/applications/{app_id}/decision",
        json={"decision": "grant"},
    )
    assert r.status_code == 200 and r.json()["grant"]["expired"]
    r = api.call("plant", "GET", data, params={"region": "110108"})
    assert r.status_code == 403
    assert "no grant in force" in r.json()["detail"]
    # A grant in force (admin narrows the period to start today) opens it.
    r = _apply(api, "plant", OBS, "110108", TODAY, TODAY + timedelta(days=2))
    app_id = r.json()["id"]
    api.call(
        "boss",
        "POST",
        f"/api/v1/catalog/{OBS}/applications/{app_id}/decision",
        json={"decision": "grant", "valid_to": TODAY.isoformat()},
    )
    r = api.call("plant", "GET", data, params={"limit": 5})
    assert r.status_code == 200 and r.json()["items"]
    mine = api.call("plant", "GET", "/api/v1/catalog/applications").json()["items"]
    assert {a["applicant"] for a in mine} == {"plant"} and len(mine) == 2


def test_a_revoked_grant_gives_nothing_from_the_moment_it_is_revoked(
    api: Api, sample: Sample
) -> None:
    # The Chaoyang analyst applies for Dongcheng's (110101) observations.
    dongcheng = {s["station"] for s in sample.stations if s["district_code"] == "110101"}
    assert dongcheng
    data, where = f"/api/v1/catalog/{OBS}/data", {"region": "110101", "limit": 200}
    assert api.call("chaoyang", "GET", data, params=where).json()["items"] == []
    app_id = _apply(api, "chaoyang", OBS, "110101", TODAY, TODAY + timedelta(days=10)).json()["id"]
    base = f"/api/v1/catalog/{OBS}/applications/{app_id}"
    revocation = f"{base}/revocation"
    reason = {"reason": "项目提前结束"}
    # Only a grant is revoked: a pending application is not one.
    assert api.call("boss", "POST", revocation, json=reason).status_code == 409
    assert api.call("boss", "POST", f"{base}/decision", json={"decision": "grant"}).is_success
    got = _stations(api.call("chaoyang", "GET", data, params=where))
    assert got and got <= dongcheng
    # Only an administrator revokes, and says why.
    assert api.call("chaoyang", "POST", revocation, json=reason).status_code == 403
    r = api.call("boss", "POST", revocation, json={})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "reason"
    r = api.call("boss", "POST", f"/api/v1/catalog/{DAILY}/applications/{app_id}/revocation",
                 json=reason)  # fmt: skip
    assert r.status_code == 404  # the application is not one on that resource
    r = api.call("boss", "POST", revocation, json=reason)
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["state"] == "revoked" and not got["grant"]["in_force"]
    assert got["grant"]["valid_to"] == (TODAY - timedelta(days=1)).isoformat()
    assert got["revocation"]["reason"] == "项目提前结束"
    assert got["revocation"]["revoked_by"] == "boss"
    assert got["revocation"]["granted_to"] == (TODAY + timedelta(days=10)).isoformat()
    # At once: the next read has the analyst's own district again, and no Dongcheng rows.
    r = api.call("chaoyang", "GET", data, params=where)
    assert r.status_code == 200 and r.json()["items"] == []
    assert api.call("boss", "POST", revocation, json=reason).status_code == 409  # once
    # The applicant sees it; the list filters by it; the audit log has it.
    mine = api.call("chaoyang", "GET", "/api/v1/catalog/applications",
                    params={"state": "revoked"}).json()["items"]  # fmt: skip
    assert [a["id"] for a in mine] == [app_id]
    assert mine[0]["revocation"]["reason"] == "项目提前结束"
    rows = sample.con.execute(
        "SELECT user_name, action, filters FROM audit_log WHERE route = ?",
        [f"catalog:applications/{app_id}/revocation"],
    ).fetchall()
    assert [(u, a) for u, a, _ in rows] == [("boss", "admin")]
    assert json.loads(rows[0][2])["granted_to"] == (TODAY + timedelta(days=10)).isoformat()


def test_never_shared_resources_are_never_granted(api: Api) -> None:
    r = _apply(api, "chaoyang", PACKET_LOG, "110105", TODAY, TODAY + timedelta(days=1))
    assert r.status_code == 409
    assert "不予共享" in r.json()["detail"]
    r = _apply(
        api, "boss", AUDIT_LOG, "110105", TODAY, TODAY + timedelta(days=1), applicant="chaoyang"
    )
    assert r.status_code == 409
    assert api.call("chaoyang", "GET", f"/api/v1/catalog/{PACKET_LOG}/data").status_code == 403
    # The audit log is an internal security table: to an analyst it is no resource at all.
    r = _apply(api, "chaoyang", AUDIT_LOG, "110105", TODAY, TODAY + timedelta(days=1))
    assert r.status_code == 404
    assert api.call("chaoyang", "GET", f"/api/v1/catalog/{AUDIT_LOG}/data").status_code == 404


def test_one_application_is_read_by_its_applicant_and_the_admin_only(api: Api) -> None:
    start = TODAY + timedelta(days=400)
    r = _apply(api, "chaoyang", DAILY, "110108", start, start + timedelta(days=5))
    assert r.status_code == 201, r.text
    app_id = r.json()["id"]
    path = f"/api/v1/catalog/applications/{app_id}"
    for who in ("chaoyang", "boss"):
        got = api.call(who, "GET", path)
        assert got.status_code == 200, (who, got.text)
        assert (got.json()["id"], got.json()["resource_code"]) == (app_id, DAILY)
        assert got.json()["state"] == "pending"
    # Anyone else: the answer an id nobody filed gets, word for word but the id.
    other = api.call("plant", "GET", path)
    unknown = api.call("plant", "GET", "/api/v1/catalog/applications/" + "0" * 32)
    assert other.status_code == unknown.status_code == 404
    assert other.json()["detail"].replace(app_id, "ID") == unknown.json()["detail"].replace(
        "0" * 32, "ID"
    )
    assert api.call("boss", "GET", "/api/v1/catalog/applications/nope").status_code == 422
    assert api.call(None, "GET", path).status_code == 401


def test_refusal_needs_a_reason(api: Api) -> None:
    r = _apply(api, "boss", OBS, "110108", TODAY, TODAY + timedelta(days=3), applicant="chaoyang")
    assert r.status_code == 201 and r.json()["filed_by"] == "boss"
    path = f"/api/v1/catalog/{OBS}/applications/{r.json()['id']}/decision"
    r = api.call("boss", "POST", path, json={"decision": "refuse"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "reason"
    r = api.call("boss", "POST", path, json={"decision": "refuse", "reason": "用途不明确"})
    assert r.status_code == 200 and r.json()["state"] == "refused"


@pytest.mark.parametrize(
    "body, field",
    [
        (
            {
                "purpose": "x",
                "region": "11010",
                "valid_from": "2026-01-01",
                "valid_to": "2026-02-01",
            },
            "region",
        ),
        (
            {
                "purpose": "x",
                "region": "110108",
                "valid_from": "2026-02-01",
                "valid_to": "2026-01-01",
            },
            "valid_to",
        ),
        (
            {
                "purpose": "x",
                "region": "999999",
                "valid_from": "2026-01-01",
                "valid_to": "2026-02-01",
            },
            "region",
        ),
        (
            {
                "purpose": "x",
                "region": "110108",
                "valid_from": "2026-01-01",
                "valid_to": "2026-02-01",
                "extra": 1,
            },
            "extra",
        ),
        (
            {
                "purpose": "",
                "region": "110108",
                "valid_from": "2026-01-01",
                "valid_to": "2026-02-01",
            },
            "purpose",
        ),
    ],
)
def test_bad_applications_name_the_field(api: Api, body: dict[str, object], field: str) -> None:
    r = api.call("chaoyang", "POST", f"/api/v1/catalog/{OBS}/applications", json=body)
    assert r.status_code in (400, 422), r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert field in json.dumps(r.json())


def test_open_catalog_and_publication(api: Api, sample: Sample) -> None:
    r = api.call(None, "GET", "/open/v1/catalog")
    assert r.status_code == 200 and r.json()["licence"] == "CC BY 4.0"
    assert DAILY in {i["code"] for i in r.json()["items"]}
    item = next(i for i in r.json()["items"] if i["code"] == DAILY)
    assert item["update_cycle"] == "每日" and item["attribution"]
    assert api.call("chaoyang", "POST", f"/api/v1/catalog/{DAILY}/withdraw").status_code == 403
    r = api.call("boss", "POST", f"/api/v1/catalog/{DAILY}/withdraw")
    assert r.status_code == 200 and r.json() == {"code": DAILY, "published": False, "changed": True}
    assert DAILY not in {
        i["code"] for i in api.call(None, "GET", "/open/v1/catalog").json()["items"]
    }
    assert api.call("citizen", "GET", f"/api/v1/catalog/{DAILY}").status_code == 404
    r = api.call("boss", "POST", f"/api/v1/catalog/{DAILY}/publish")
    assert r.json()["changed"] is True
    assert api.call("citizen", "GET", f"/api/v1/catalog/{DAILY}").status_code == 200
    r = api.call("boss", "POST", f"/api/v1/catalog/{OBS}/publish")
    assert r.status_code == 409 and "不予开放" in r.json()["detail"]
    actions = sample.con.execute(
        "SELECT route FROM audit_log WHERE user_name = 'boss' AND action = 'admin' "
        "AND route LIKE 'catalog:%' ORDER BY seq"
    ).fetchall()
    assert (f"catalog:{DAILY}/withdraw",) in actions and (f"catalog:{DAILY}/publish",) in actions


def test_dcat_content_negotiation(api: Api) -> None:
    path = "/api/v1/catalog/dcat"
    r = api.call("chaoyang", "GET", path, headers={"Accept": "text/turtle"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/turtle")
    ttl = Graph().parse(data=r.text, format="turtle")
    r = api.call(
        "chaoyang", "GET", path, headers={"Accept": "text/turtle;q=0.5, application/ld+json"}
    )
    assert r.headers["content-type"].startswith("application/ld+json")
    r = api.call(
        "chaoyang", "GET", path, params={"format": "jsonld"}, headers={"Accept": "text/turtle"}
    )
    assert r.headers["content-type"].startswith("application/ld+json")
    jsonld = Graph().parse(data=r.text, format="json-ld")
    n = api.call("chaoyang", "GET", "/api/v1/catalog").json()["total"]
    for g in (ttl, jsonld):
        assert len(set(g.subjects(RDF.type, DCAT.Dataset))) == n
    # A public user's DCAT lists the open resources only.
    pub = Graph().parse(
        data=api.call("citizen", "GET", path, params={"format": "ttl"}).text, format="turtle"
    )
    opened = api.call(None, "GET", "/open/v1/catalog").json()["items"]
    assert len(set(pub.subjects(RDF.type, DCAT.Dataset))) == len(opened)
    assert api.call("chaoyang", "GET", path, params={"format": "xml"}).status_code == 422


def test_unknown_and_malformed_codes(api: Api) -> None:
    assert api.call("chaoyang", "GET", "/api/v1/catalog/30100101-99999").status_code == 404
    assert api.call("chaoyang", "GET", "/api/v1/catalog/not-a-code").status_code == 422
    assert api.call(None, "GET", "/api/v1/catalog").status_code == 401
    r = api.call("chaoyang", "GET", f"/api/v1/catalog/{OBS}/lineage")
    assert r.status_code == 200 and r.json()["files"]
    assert api.call("citizen", "GET", f"/api/v1/catalog/{DAILY}/lineage").status_code == 403
    assert api.call("chaoyang", "POST", "/api/v1/catalog/coverage/refresh").status_code == 403
    assert api.call("boss", "POST", "/api/v1/catalog/coverage/refresh").json()["resources"] >= 42


def test_an_unknown_facet_value_is_a_422_naming_it(api: Api) -> None:
    for field, value in (("sharing_type", "bogus"), ("update_cycle", "每周"), ("theme", "x")):
        r = api.call("chaoyang", "GET", "/api/v1/catalog", params={field: value})
        assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
        assert r.json()["errors"][0]["field"] == field, r.text
    # A known value that matches nothing for this caller is an empty answer, not an error.
    r = api.call("citizen", "GET", "/api/v1/catalog", params={"sharing_type": "不予共享"})
    assert r.status_code == 200 and r.json()["total"] == 0
    r = api.call("chaoyang", "GET", "/api/v1/catalog", params={"provider": "D01"})
    assert r.status_code == 200 and r.json()["total"] > 0


def test_coverage_figures_follow_the_callers_scope(api: Api, sample: Sample) -> None:
    # The observations lie in several Beijing districts. Their whole-table count, span and box
    # are other districts' figures to the Chaoyang analyst (and to an enterprise), not to a
    # Beijing analyst, whose division holds every one of the table's regions, nor to an admin.
    users.add_user(sample.con, "beijing", "analyst", "110000", [], PASSWORD)
    api.keys["beijing"] = apikeys.create(sample.con, "beijing")[0]
    whole = api.call("boss", "GET", f"/api/v1/catalog/{OBS}").json()["coverage"]
    assert whole["rows"] > 0 and len(whole["regions"]) > 1 and whole["bbox"] is not None
    assert all(r.startswith("11") for r in whole["regions"])
    assert api.call("beijing", "GET", f"/api/v1/catalog/{OBS}").json()["coverage"] == whole
    for who in ("chaoyang", "plant"):
        r = api.call(who, "GET", f"/api/v1/catalog/{OBS}")
        if r.status_code == 403:  # a role the catalogue is not for
            continue
        got = r.json()["coverage"]
        assert got["withheld"] and got["rows"] is None and got["bbox"] is None
        assert got["regions"] is None and got["time_from"] is None
        listed = {s["code"]: s for s in api.call(who, "GET", "/api/v1/catalog").json()["items"]}
        assert listed[OBS]["rows"] is None and listed[OBS]["coverage_withheld"]
        assert listed[OBS]["n_regions"] is None and listed[OBS]["time_from"] is None
        ttl = api.call(who, "GET", "/api/v1/catalog/dcat", params={"format": "ttl"}).text
        g = Graph().parse(data=ttl, format="turtle")
        obs = next(s for s in g.subjects(RDF.type, DCAT.Dataset) if str(s).endswith(OBS))
        assert not list(g.objects(obs, DCT.temporal)), "the span is withheld"
    listed = {s["code"]: s for s in api.call("beijing", "GET", "/api/v1/catalog").json()["items"]}
    assert listed[OBS]["rows"] == whole["rows"] and "coverage_withheld" not in listed[OBS]
