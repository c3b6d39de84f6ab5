"""``/api/v1/registry`` operator routes: load and link as jobs, the review band, decisions, the
report and the code export — on a small generated registry, through the real app."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from ecohub.registry import generator
from tests.api import door_data as d
from tests.api.door_data import Door


@pytest.fixture(scope="module")
def door(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Door]:
    yield from d.serve(Path(tmp_path_factory.mktemp("registry-routes")))


def _client(door: Door, role: str) -> TestClient:
    return d.client(door, role)


_follow = d.follow


def test_load_link_review_report_export(door: Door) -> None:
    c = _client(door, "admin")
    bench = generator.generate(60, seed=3)
    for system, df in bench.systems.items():
        path = door.imports / f"{system}.csv"  # a server's jobs read from its import folders
        df.to_csv(path, index=False)
        body: dict[str, object] = {"system": system, "path": str(path)}
        if system == "tax":
            body["mapping"] = {"name": "纳税人名称", "uscc": "纳税人识别号"}
        job = _follow(c, c.post("/api/v1/registry/loads", json=body))
        assert job["state"] == "done", job
        assert job["result"]["system"] == system and job["result"]["rows_loaded"] > 0
    linked = _follow(c, c.post("/api/v1/registry/link", json={"auto_accept": 0.9}))
    assert linked["state"] == "done", linked
    assert linked["result"]["clusters"] > 0

    r = c.get("/api/v1/registry/codes", params={"format": "parquet"})
    assert r.status_code == 200
    codes = pd.read_parquet(io.BytesIO(r.content))
    assert list(codes.columns) == ["system", "record_id", "source_code"]
    assert int(r.headers["x-result-count"]) == len(codes) == linked["result"]["records"]
    csv = c.get("/api/v1/registry/codes").text.splitlines()
    # One UTF-8 byte-order mark before the header (Excel reads the file as UTF-8).
    assert csv[0] == "\ufeffsystem,record_id,source_code" and len(csv) == len(codes) + 1

    rep = c.get("/api/v1/registry/report").json()
    assert {s["system"] for s in rep["systems"]} >= set(bench.systems)
    band = c.get("/api/v1/registry/review", params={"limit": 5}).json()
    assert len(band) <= 5
    a, b = (f"{r.system}:{r.record_id}" for r in codes.iloc[:2].itertuples())
    got = c.post("/api/v1/registry/review/decision", json={"a": a, "b": b, "decision": "nonmatch"})
    assert got.status_code == 200 and got.json()["decision"] == "nonmatch"
    assert got.json()["by"] == "u_admin"


@pytest.mark.parametrize(
    ("method", "url", "body", "status", "field", "words"),
    [
        ("POST", "/api/v1/registry/loads", {"system": " ", "path": "/x.csv"}, 422, "system",
         "--system: must not be empty"),
        ("POST", "/api/v1/registry/loads", {"system": "p", "path": "{imports}/no/such.csv"}, 422,
         "path", "no such file on the server"),
        ("POST", "/api/v1/registry/loads", {"system": "a:b", "path": "/x.csv"}, 422, "system",
         "--system 'a:b': must not contain"),
        ("POST", "/api/v1/registry/loads", {"system": "p", "path": "rel.csv"}, 422, "path",
         "absolute"),
        ("POST", "/api/v1/registry/link", {"review_low": 0.95}, 422, "review_low",
         "--review-low 0.95 is above --auto-accept 0.9"),
        ("POST", "/api/v1/registry/link", {"auto_accept": 0.3, "review_low": 0.1}, 202, None,
         ""),
        ("GET", "/api/v1/registry/review?limit=0", None, 400, "limit", "--limit: must be"),
        ("POST", "/api/v1/registry/review/decision", {"a": "p:1", "b": "p:1", "decision": "match"},
         400, None, "--a and --b name the same record"),
        ("POST", "/api/v1/registry/review/decision",
         {"a": "nope:1", "b": "nope:2", "decision": "match"}, 404, None, "not found"),
        ("GET", "/api/v1/registry/codes?format=json", None, 422, "format", ""),
        ("POST", "/api/v1/registry/outlets", {"source_code": "NOSUCH", "medium": "air"}, 404,
         None, "source 'NOSUCH' not found"),
        ("POST", "/api/v1/registry/outlets", {"source_code": d.SRC_IN, "medium": "soil"}, 400,
         "medium", "expected air or water"),
        ("POST", "/api/v1/registry/outlets", {"source_code": d.SRC_IN}, 422, "medium", ""),
    ],
)  # fmt: skip
def test_bad_input_names_the_option(
    door: Door, method: str, url: str, body: Any, status: int, field: str | None, words: str
) -> None:
    c = _client(door, "admin")
    if body is not None:  # "{imports}": the app's import folder
        body = json.loads(json.dumps(body).replace("{imports}", str(door.imports)))
    r = c.request(method, url, json=body)
    assert r.status_code == status, r.text
    problem = r.json()
    if status == 202:  # accepted: the job runs
        assert _follow(c, r)["state"] == "done"
        return
    assert words in problem["detail"]
    if field is not None:
        assert problem["errors"][0]["field"].endswith(field)


@pytest.mark.parametrize("role", ["analyst", "inspector", "enterprise", "public"])
def test_only_admins_use_the_operator_routes(door: Door, role: str) -> None:
    c = _client(door, role)
    assert c.get("/api/v1/registry/report").status_code == 403
    assert c.get("/api/v1/registry/codes").status_code == 403
    assert c.post("/api/v1/registry/link", json={}).status_code == 403
    body = {"source_code": d.SRC_IN, "medium": "air"}
    assert c.post("/api/v1/registry/outlets", json=body).status_code == 403


def test_outlets_are_numbered_per_source_and_medium(door: Door) -> None:
    # The door's store has DA001 at both sources: the next air outlet is DA002, the first
    # water outlet DW001 (HJ 608-2017 Figure 6: D + A|W + a 3-digit sequence per source).
    c = _client(door, "admin")
    got = []
    for medium in ("air", "water", "air"):
        r = c.post("/api/v1/registry/outlets",
                   json={"source_code": d.SRC_OUT, "medium": medium, "name": "新排口"})  # fmt: skip
        assert r.status_code == 201, r.text
        got.append(r.json())
    assert [g["outlet_code"] for g in got] == ["DA002", "DW001", "DA003"]
    assert {g["source_code"] for g in got} == {d.SRC_OUT}
    rows = door.con.execute(
        "SELECT outlet_code, medium, name FROM outlet WHERE source_code = ? ORDER BY outlet_code",
        [d.SRC_OUT],
    ).fetchall()
    assert rows == [("DA001", "gas", "海淀烟囱"), ("DA002", "gas", "新排口"),
                    ("DA003", "gas", "新排口"), ("DW001", "water", "新排口")]  # fmt: skip
    who = door.con.execute(
        "SELECT actor FROM source_event WHERE source_code = ? AND records[1] = 'outlet:DW001'",
        [d.SRC_OUT],
    ).fetchall()
    assert who == [("u_admin",)]


# Merged title cells above the headers (row 2), as a department's spreadsheet often has them.
TITLED = [["企业基本信息", "", ""], ["编号", "企业名称", "地址"], ["X1", "北京某厂", "某路1号"]]


@pytest.mark.parametrize(
    ("rows", "mapping", "field", "words"),
    [
        ([["编号", "公司"], ["X1", "北京某厂"]], {}, "path",
         "no name column: the file has none of the headers name, company, 名称"),
        ([["编号", "公司"], ["X1", "北京某厂"]], {"nam": "公司"}, "mapping",
         "--map: unknown field 'nam'"),
        (TITLED, {}, "path", "row 2 holds headers: 编号, 企业名称, 地址"),
    ],
)  # fmt: skip
def test_a_list_the_loader_cannot_take_fails_as_a_400_naming_the_member(
    door: Door,
    tmp_path: Path,
    rows: list[list[str]],
    mapping: dict[str, str],
    field: str,
    words: str,
) -> None:
    """The loader's own message reaches the caller of the job (it was a bare 500 whose words
    stayed in the server log), and nothing is loaded."""
    c = _client(door, "admin")
    path = door.imports / f"unloadable-{field}-{len(rows)}.csv"  # where the server's jobs read
    pd.DataFrame(rows[1:], columns=rows[0]).to_csv(path, index=False)
    before = door.con.execute("SELECT count(*) FROM load_log").fetchall()
    body = {"system": "t", "path": str(path), "mapping": mapping}
    job = _follow(c, c.post("/api/v1/registry/loads", json=body))
    assert job["state"] == "failed"
    error = job["error"]
    assert error["status"] == 400 and words in error["detail"], error
    assert error["errors"][0]["field"] == field
    assert door.con.execute("SELECT count(*) FROM load_log").fetchall() == before


def test_a_source_code_is_read_in_any_case(door: Door) -> None:
    c = _client(door, "admin")
    typed = d.SRC_IN.upper().replace("P", "p")  # h9…X001p: the canonical has one lower letter
    r = c.get(f"/api/v1/registry/sources/{typed}")
    assert r.status_code == 200, r.text
    assert r.json()["source"]["source_code"] == d.SRC_IN
    found = c.get("/api/v1/registry/sources", params={"source_code": d.SRC_IN.lower()}).json()
    assert [s["source_code"] for s in found["items"]] == [d.SRC_IN]


def test_a_steward_closes_and_reopens_a_source(door: Door) -> None:
    c = _client(door, "admin")
    url = f"/api/v1/registry/sources/{d.SRC_OUT.lower()}/status"
    r = c.post(url, json={"status": "revoked", "reason": "排污许可证吊销"})
    assert r.status_code == 200, r.text
    assert {k: r.json()[k] for k in ("source_code", "status", "before", "by")} == {
        "source_code": d.SRC_OUT, "status": "revoked", "before": "active", "by": "u_admin"
    }  # fmt: skip
    shown = c.get(f"/api/v1/registry/sources/{d.SRC_OUT}").json()
    assert shown["source"]["status"] == "revoked" and shown["source"]["valid_to"]
    last = shown["history"][-1]
    assert (last["kind"], last["status"], last["reason"], last["actor"]) == (
        "close", "revoked", "排污许可证吊销", "u_admin"
    )  # fmt: skip
    r = c.post(url, json={"status": "active", "reason": "吊销撤回"})
    assert r.status_code == 200 and r.json()["before"] == "revoked"
    shown = c.get(f"/api/v1/registry/sources/{d.SRC_OUT}").json()
    assert shown["source"]["status"] == "active" and shown["source"]["valid_to"] is None
    bad = [
        ({"status": "gone", "reason": "x"}, 400, "--status: expected"),
        ({"status": "closed"}, 422, ""),
        ({"status": "closed", "reason": " "}, 400, "--reason: must be"),
    ]
    for body, status, words in bad:
        r = c.post(url, json=body)
        assert r.status_code == status and words in r.json()["detail"], r.text
    r = c.post("/api/v1/registry/sources/NOSUCH/status", json={"status": "closed", "reason": "x"})
    assert r.status_code == 404
    for role in ("analyst", "inspector", "enterprise", "public"):
        assert (
            _client(door, role).post(url, json={"status": "closed", "reason": "x"}).status_code
            == 403
        )


def test_link_on_another_engine_than_the_servers_says_what_is_true(door: Door) -> None:
    c = _client(door, "admin")
    job = _follow(c, c.post("/api/v1/registry/link", json={"engine": "spark"}))
    assert job["state"] == "failed" and job["error"]["status"] == 400
    assert job["error"]["detail"].startswith(
        "--engine: the running server links on duckdb (ECOHUB_ENGINE when it started), not spark"
    )
    assert job["error"]["errors"][0]["field"] == "engine"
