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
