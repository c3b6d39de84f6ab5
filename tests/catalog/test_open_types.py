"""Open types and scopes of the catalogue's rows, over the real API (uvicorn on loopback).

A store of its own (the session sample has no permits), with three permits of sources in three
districts of Beijing, written here by hand so that every expected row is known:

- 有条件开放 (conditionally open): published, a resource is listed as open data (metadata, marked
  conditional, with how to apply) but its rows go only to holders of a grant in force;
- 无条件开放: published, anyone reads every row (unchanged);
- rows that belong to no region (a table without a region column, the division list) are read
  whole by a regional analyst when the resource is shared with its role, else refused (403).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from ecohub.access import apikeys, users
from ecohub.access.principal import ANONYMOUS
from ecohub.api.app import close_app, create_app
from ecohub.catalog import grants, service
from ecohub.cst import CST
from ecohub.settings import Settings
from ecohub.store.db import connect
from tests.loopback import on_loopback

PERMIT, STATION = "30100201-00004", "30100101-00001"
REGION, RESOURCES = "30100601-00001", "30100602-00008"
RUNS, LOAD_LOG = "30100602-00011", "30100602-00001"
#: Three divisions of the division table: the city and two of its districts.
DIVISIONS = {"110000": "北京市", "110105": "朝阳区", "110108": "海淀区"}
PASSWORD = "correct horse battery"
TODAY = datetime.now(CST).date()
#: source code -> district; one permit each (permit number = "P-" + district).
SOURCES = {
    "91110105MA0000001A": "110105",  # Chaoyang
    "91110108MA0000002B": "110108",  # Haidian
    "91110102MA0000003C": "110102",  # Xicheng
}


@dataclass
class Api:
    base: str
    keys: dict[str, str]
    con: object

    def call(self, who: str | None, method: str, path: str, **kw: object) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.keys[who]}"} if who else {}
        with httpx.Client(base_url=self.base, timeout=60) as c:
            return c.request(method, path, headers=headers, **kw)  # type: ignore[arg-type]


def _store(path: Path):  # type: ignore[no-untyped-def]
    con = connect(path)
    now = datetime.now(UTC)
    for i, (code, district) in enumerate(SOURCES.items()):
        con.execute(
            "INSERT INTO source (source_code, name, region_code, lon, lat, status, updated_at, "
            "hkey) VALUES (?, ?, ?, 116.4, 39.9, 'active', ?, ?)",
            [code, f"企业{i}", district, now, i + 1],
        )
        con.execute(
            "INSERT INTO permit (permit_no, source_code, valid_from, valid_to, system) "
            "VALUES (?, ?, DATE '2024-01-01', DATE '2028-12-31', 'test')",
            [f"P-{district}", code],
        )
    for code, name in DIVISIONS.items():
        con.execute(
            "INSERT INTO region (code, name, level, kind) VALUES (?, ?, ?, 'division')",
            [code, name, "province" if code.endswith("0000") else "county"],
        )
    con.execute(
        "INSERT INTO catalog_run (run_id, resource_code, kind, recorded_at, derived) "
        "VALUES ('run-1', ?, 'load', now(), FALSE)",
        [PERMIT],
    )
    return con


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    tmp = tmp_path_factory.mktemp("open-types")
    con = _store(tmp / "ecohub.duckdb")
    keys = {}
    for name, role, region, own in (
        ("boss", "admin", None, []),
        ("district-boss", "admin", "110105", []),
        ("chaoyang", "analyst", "110105", []),
        ("firm", "enterprise", "110108", ["H9110108000000002v001P"]),
        ("citizen", "public", "110105", []),
    ):
        users.add_user(con, name, role, region, own, PASSWORD)
        keys[name] = apikeys.create(con, name)[0]
    app = create_app(con, settings=Settings(data_dir=tmp), data_dir=tmp)
    with on_loopback(app) as base:
        yield Api(base, keys, con)
    close_app(app)
    con.close()


def _permits(r: httpx.Response) -> set[str]:
    assert r.status_code == 200, r.text
    return {row["permit_no"] for row in r.json()["items"]}


def test_published_conditionally_open_rows_go_only_to_grant_holders(api: Api) -> None:
    data = f"/api/v1/catalog/{PERMIT}/data"
    r = api.call("boss", "POST", f"/api/v1/catalog/{PERMIT}/publish")
    assert r.status_code == 200 and r.json()["published"] is True
    # Listed as open data: metadata, marked conditional, how to apply; no licence, no download.
    items = {i["code"]: i for i in api.call(None, "GET", "/open/v1/catalog").json()["items"]}
    item = items[PERMIT]
    assert item["open_type"] == "有条件开放" and item["access"] == "conditional"
    assert item["licence"] is None and item["downloads"] == {}
    assert item["apply"]["url"] == f"/api/v1/catalog/{PERMIT}/applications"
    # Its open conditions (开放条件) are published, so an applicant knows whether it qualifies;
    # they are its own, not its sharing conditions between departments (none: 无条件共享).
    assert "排污许可监督" in item["apply"]["conditions"]
    ttl = api.call(None, "GET", "/open/v1/catalog/dcat", params={"format": "ttl"}).text
    assert "dct:RightsStatement" in ttl and "排污许可监督" in ttl
    assert items[STATION]["access"] == "open" and items[STATION]["licence"] == "CC BY 4.0"
    # The public user sees the metadata, not the rows; anonymous callers neither.
    assert api.call("citizen", "GET", f"/api/v1/catalog/{PERMIT}").status_code == 200
    r = api.call("citizen", "GET", data)
    assert r.status_code == 403 and "apply" in r.json()["detail"]
    assert grants.allowed(api.con, ANONYMOUS, PERMIT) is None  # type: ignore[arg-type]
    with pytest.raises(service.NotShared):
        service.data(api.con, ANONYMOUS, PERMIT)  # type: ignore[arg-type]
    # An enterprise user (no rows of this resource without a grant) applies for Chaoyang.
    assert api.call("firm", "GET", data).status_code == 403
    r = api.call(
        "firm",
        "POST",
        f"/api/v1/catalog/{PERMIT}/applications",
        json={
            "purpose": "排污许可信息核验",
            "region": "110105",
            "valid_from": (TODAY - timedelta(days=1)).isoformat(),
            "valid_to": (TODAY + timedelta(days=30)).isoformat(),
        },
    )
    assert r.status_code == 201, r.text
    decision = f"/api/v1/catalog/{PERMIT}/applications/{r.json()['id']}/decision"
    assert api.call("boss", "POST", decision, json={"decision": "grant"}).status_code == 200
    assert _permits(api.call("firm", "GET", data)) == {"P-110105"}
    # Others still read nothing; the analyst its own district (the sharing rule, no grant).
    assert api.call("citizen", "GET", data).status_code == 403
    assert _permits(api.call("chaoyang", "GET", data)) == {"P-110105"}
    assert _permits(api.call("boss", "GET", data)) == {"P-110105", "P-110108", "P-110102"}
    # Withdrawn, it leaves the open catalogue and the public user no longer sees it.
    api.call("boss", "POST", f"/api/v1/catalog/{PERMIT}/withdraw")
    listed = api.call(None, "GET", "/open/v1/catalog").json()["items"]
    assert PERMIT not in {i["code"] for i in listed}
    assert api.call("citizen", "GET", data).status_code == 404


def test_published_unconditionally_open_rows_go_to_everyone(api: Api) -> None:
    api.con.execute(  # type: ignore[attr-defined]
        "INSERT INTO station (station_id, name, network, region_code, lon, lat) "
        "VALUES ('T1', '测试站', 'air', '110108', 116.3, 39.95)"
    )
    r = api.call("citizen", "GET", f"/api/v1/catalog/{STATION}/data")
    assert r.status_code == 200 and r.json()["scope"]["regions"] == "all"
    assert [row["station_id"] for row in r.json()["items"]] == ["T1"]  # outside 110105, too
    assert [
        row["station_id"]
        for row in service.data(api.con, ANONYMOUS, STATION)["items"]  # type: ignore[arg-type]
    ] == ["T1"]


def test_rows_of_no_region_are_read_whole_when_shared_with_the_role(api: Api) -> None:
    # The catalogue's own resource table and its runs have no region column; 无条件共享.
    r = api.call("chaoyang", "GET", f"/api/v1/catalog/{RESOURCES}/data", params={"limit": 1000})
    codes = {row["code"] for row in r.json()["items"]}
    total = api.con.execute("SELECT count(*) FROM catalog_resource").fetchall()[0][0]  # type: ignore[attr-defined]
    assert r.status_code == 200 and {PERMIT, STATION, REGION} <= codes and len(codes) == total
    r = api.call("chaoyang", "GET", f"/api/v1/catalog/{RUNS}/data")
    runs = api.con.execute("SELECT run_id FROM catalog_run").fetchall()  # type: ignore[attr-defined]
    assert r.status_code == 200 and "run-1" in {row["run_id"] for row in r.json()["items"]}
    assert len(r.json()["items"]) == len(runs)
    # The division list is reference data: all three divisions, not only the analyst's own.
    r = api.call("chaoyang", "GET", f"/api/v1/catalog/{REGION}/data")
    assert r.status_code == 200 and {row["code"] for row in r.json()["items"]} == set(DIVISIONS)
    # ... and the region filter still picks divisions by code.
    r = api.call("chaoyang", "GET", f"/api/v1/catalog/{REGION}/data", params={"region": "110108"})
    assert [row["code"] for row in r.json()["items"]] == ["110108"]
    # A regional admin reads them whole too; a table with a region column stays bounded.
    r = api.call("district-boss", "GET", f"/api/v1/catalog/{REGION}/data")
    assert {row["code"] for row in r.json()["items"]} == set(DIVISIONS)
    assert _permits(api.call("district-boss", "GET", f"/api/v1/catalog/{PERMIT}/data")) == {
        "P-110105"
    }
    # Never shared (不予共享), region-less: 403 for the analyst, as for any resource it may
    # not read.
    r = api.call("chaoyang", "GET", f"/api/v1/catalog/{LOAD_LOG}/data")
    assert r.status_code == 403 and r.headers["content-type"] == "application/problem+json"
    # A role the sharing does not cover (enterprise), without a grant: 403, not an empty page.
    r = api.call("firm", "GET", f"/api/v1/catalog/{RESOURCES}/data")
    assert r.status_code == 403


def test_conditionally_shared_rows_of_no_region_need_a_grant(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No built-in resource is 有条件共享 without a region column: the same resource table, as if
    it were, gives a regional analyst nothing without a grant (None: the route's 403)."""
    from ecohub.access.principal import Principal
    from ecohub.catalog import resources

    real = resources.get

    def conditional(con: object, code: str) -> object:
        res = real(con, code)  # type: ignore[arg-type]
        return {**res, "sharing_type": "有条件共享"} if res and code == RESOURCES else res

    monkeypatch.setattr(resources, "get", conditional)
    analyst = Principal("chaoyang", "analyst", "110105")
    assert grants.allowed(api.con, analyst, RESOURCES) is None  # type: ignore[arg-type]
    admin = Principal("boss-110105", "admin", "110105")
    whole = grants.allowed(api.con, admin, RESOURCES)  # type: ignore[arg-type]
    assert whole is not None and whole.prefixes is None


def test_the_catalogues_own_tables_are_never_open_data(api: Api) -> None:
    # The definitions, data items and coverage of every resource (the 不予开放 ones too) are
    # shared between departments, not opened: the public reads the open catalogue
    # (/open/v1/catalog), filtered to what is published. Publishing them is refused.
    for code in (RESOURCES, "30100602-00009", "30100602-00010"):
        r = api.call("boss", "POST", f"/api/v1/catalog/{code}/publish")
        assert r.status_code == 409, r.text
        assert api.call("citizen", "GET", f"/api/v1/catalog/{code}/data").status_code in (403, 404)
    r = api.call("chaoyang", "GET", f"/api/v1/catalog/{RESOURCES}/data", params={"limit": 1})
    assert r.status_code == 200  # still shared with the departments
