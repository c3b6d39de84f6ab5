"""A grant opens its own resource's rows, never another's: the registry source detail of a
source outside the analyst's district, read through grants on the register and on the outlets.

The source (海淀水泥厂, 110108) has a system record (不予共享), an outlet, a monitoring point, an
emission value and a permit; the analyst is bound to 110105.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ecohub.cst import CST
from tests.api.door_data import OUTSIDE, SRC_OUT, Door, client, serve

REGISTER, OUTLETS = "30100201-00001", "30100201-00003"
DETAIL = f"/api/v1/registry/sources/{SRC_OUT}"


@pytest.fixture(scope="module")
def door(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Door]:
    tmp: Path = tmp_path_factory.mktemp("grant-parts")
    yield from serve(tmp)


def _grant(door: Door, analyst: TestClient, code: str) -> None:
    today = datetime.now(CST).date()
    filed = analyst.post(
        f"/api/v1/catalog/{code}/applications",
        json={"purpose": "名录核对", "region": OUTSIDE, "valid_from": today.isoformat(),
              "valid_to": (today + timedelta(days=30)).isoformat()},
    )  # fmt: skip
    assert filed.status_code == 201, filed.text
    decided = client(door, "admin").post(
        f"/api/v1/catalog/{code}/applications/{filed.json()['id']}/decision",
        json={"decision": "grant"},
    )
    assert decided.status_code == 200, decided.text


def test_each_part_of_a_source_needs_its_own_resource_granted(door: Door) -> None:
    door.con.execute(
        "INSERT INTO permit (permit_no, source_code, valid_from, valid_to, system) "
        "VALUES ('P-OUT', ?, DATE '2024-01-01', DATE '2028-12-31', 'permit')",
        [SRC_OUT],
    )
    everything = client(door, "admin").get(DETAIL).json()
    # The admin sees every part: the test below is not vacuous.
    assert everything["records"] and everything["outlets"] and everything["permits"]
    assert everything["monitor_points"] and everything["latest"]
    assert everything["withheld"] == []
    analyst = client(door, "analyst")
    assert analyst.get(DETAIL).status_code == 404  # another district
    # A grant on the outlets alone does not open the register's row of the source.
    _grant(door, analyst, OUTLETS)
    assert analyst.get(DETAIL).status_code == 404
    # With the register granted too: the source, its outlets; nothing else.
    _grant(door, analyst, REGISTER)
    r = analyst.get(DETAIL)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["source"]["source_code"] == SRC_OUT
    assert body["outlets"] == everything["outlets"]
    for part in ("records", "permits", "monitor_points", "latest", "history"):
        assert body[part] == [], part
    assert body["withheld"] == ["records", "permits", "monitor_points", "latest", "history"]
    # The system records (不予共享, with the legal representative) are never in the answer.
    assert "legal_rep" not in r.text
