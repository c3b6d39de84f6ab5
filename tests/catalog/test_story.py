"""Issue 12's "done when", end to end over HTTP (uvicorn on loopback, port 0) on the sample store.

The catalogue lists every table of the store with current coverage and lineage back to the
bundled files and the simulated devices; an analyst of another department (Haidian's bureau)
applies for Chaoyang's observations, an admin grants them, the analyst reads them through the
ordinary observation route and the catalog's data route, and after the grant's last day (the
server's clock moved, no sleeping) cannot; the DCAT-AP 3 export passes the shapes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from pyshacl import validate
from rdflib import Graph

from ecohub.access import apikeys, users
from ecohub.api.app import close_app, create_app
from ecohub.cst import today
from ecohub.settings import Settings
from tests.catalog.conftest import Sample
from tests.catalog.test_dcat import SHAPES
from tests.loopback import on_loopback

OBS = "30100101-00002"
PASSWORD = "correct horse battery"


@dataclass
class Server:
    base: str
    app: Any
    keys: dict[str, str]

    def call(self, who: str, method: str, path: str, **kw: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.keys[who]}", **kw.pop("headers", {})}
        with httpx.Client(base_url=self.base, timeout=120) as c:
            return c.request(method, path, headers=headers, **kw)


@pytest.fixture(scope="module")
def server(sample: Sample) -> Iterator[Server]:
    users.add_user(sample.con, "story_boss", "admin", None, [], PASSWORD)
    keys = {"boss": apikeys.create(sample.con, "story_boss")[0]}
    app = create_app(sample.con, settings=Settings(data_dir=sample.dir), data_dir=sample.dir)
    with on_loopback(app) as base:
        yield Server(base, app, keys)
    close_app(app)


def test_every_table_is_listed_with_current_coverage_and_lineage(
    server: Server, sample: Sample
) -> None:
    # No refresh asked for: coverage follows what the producers wrote.
    items = server.call("boss", "GET", "/api/v1/catalog").json()["items"]
    listed = {i["table"] for i in items if i["kind"] == "table"}
    tables = {
        t
        for (t,) in sample.con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE NOT internal AND NOT temporary"
        ).fetchall()
    }
    assert tables <= listed
    for item in items:
        if item["kind"] == "table" and item["table"] in ("observation", "emission"):
            n = sample.con.execute(f"SELECT count(*) FROM {item['table']}").fetchall()[0][0]
            assert item["rows"] == n > 0, item
    obs = server.call("boss", "GET", f"/api/v1/catalog/{OBS}/lineage").json()
    assert [f["sha256"] for f in obs["files"]] == [sample.files["prsa_hourly.parquet"]]
    code = next(i["code"] for i in items if i["table"] == "emission")
    emission = server.call("boss", "GET", f"/api/v1/catalog/{code}/lineage").json()
    assert [d["mn"] for d in emission["devices"]] == sorted(sample.mns)


def test_another_department_applies_is_granted_reads_and_then_cannot(
    server: Server, sample: Sample
) -> None:
    # The analyst works for Haidian's bureau: bound to Haidian, not to Chaoyang.
    r = server.call(
        "boss",
        "POST",
        "/api/v1/users",
        json={"name": "haidian_a", "role": "analyst", "region": "110108", "password": PASSWORD,
              "department": "海淀区生态环境局", "department_code": "D110108"},
    )  # fmt: skip
    assert r.status_code == 201 and r.json()["department"] == {
        "code": "D110108",
        "name": "海淀区生态环境局",
    }
    server.keys["analyst"] = apikeys.create(sample.con, "haidian_a")[0]
    chaoyang = sorted(s["station"] for s in sample.stations if s["district_code"] == "110105")
    obs = {"region": "110105", "limit": 50}
    assert server.call("analyst", "GET", "/api/v1/observations", params=obs).json()["items"] == []
    start = today()
    end = start + timedelta(days=3)
    body = {"purpose": "跨区大气污染传输分析", "region": "110105",
            "valid_from": start.isoformat(), "valid_to": end.isoformat()}  # fmt: skip
    r = server.call("analyst", "POST", f"/api/v1/catalog/{OBS}/applications", json=body)
    assert r.status_code == 201, r.text
    app_id = r.json()["id"]
    # The admin's view of the pending application names the applicant's department.
    apps = "/api/v1/catalog/applications"
    pending = server.call("boss", "GET", apps, params={"state": "pending"})
    mine = next(a for a in pending.json()["items"] if a["id"] == app_id)
    assert mine["applicant_department"] == {"code": "D110108", "name": "海淀区生态环境局"}
    r = server.call(
        "boss",
        "POST",
        f"/api/v1/catalog/{OBS}/applications/{app_id}/decision",
        json={"decision": "grant"},
    )
    assert r.status_code == 200 and r.json()["grant"]["in_force"], r.text
    # Read through the ordinary route, and the catalog's: Chaoyang's stations only.
    got = server.call("analyst", "GET", "/api/v1/observations", params=obs).json()["items"]
    assert got and {row["station_id"] for row in got} <= set(chaoyang)
    data = server.call("analyst", "GET", f"/api/v1/catalog/{OBS}/data", params=obs).json()
    assert data["items"] and data["scope"]["grants"] == [app_id]
    # Not another resource: Chaoyang's daily AQI was not granted.
    r = server.call("analyst", "GET", "/api/v1/air/aqi/daily", params={"station": chaoyang[0]})
    assert r.status_code in (400, 404), r.text
    # The reads through the grant are in the audit log, naming it.
    assert server.app.state.audit_writer.flush()
    logged = sample.con.execute(
        "SELECT filters FROM audit_log WHERE user_name = 'haidian_a' AND route = ?",
        ["/api/v1/observations"],
    ).fetchall()
    assert any(app_id in json.loads(f).get("grants", []) for (f,) in logged)
    # The day after the last day: nothing, with nobody acting.
    auth = server.app.state.auth
    auth.today = lambda: end + timedelta(days=1)
    try:
        assert (
            server.call("analyst", "GET", "/api/v1/observations", params=obs).json()["items"] == []
        )
        data = server.call("analyst", "GET", f"/api/v1/catalog/{OBS}/data", params=obs).json()
        assert data["items"] == [] and data["scope"]["grants"] == []
    finally:
        auth.today = today


def test_the_dcat_export_passes_the_shapes(server: Server) -> None:
    r = server.call("boss", "GET", "/api/v1/catalog/dcat", headers={"Accept": "text/turtle"})
    assert r.status_code == 200
    conforms, _, text = validate(
        Graph().parse(data=r.text, format="turtle"),
        shacl_graph=Graph().parse(SHAPES, format="turtle"),
        allow_warnings=True,
    )
    assert conforms, text
