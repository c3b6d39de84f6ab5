"""A ``region`` filter on the air routes means that region and the divisions below it, never
wider: an admin's district filter does not bring in the rest of the district's city (nor the
city's own rows, which aggregate the whole city)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.api import door_data as d
from tests.api.door_data import Door


@pytest.fixture(scope="module")
def door(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Door]:
    yield from d.serve(Path(tmp_path_factory.mktemp("air-region")))


def _admin(door: Door) -> TestClient:
    return d.client(door, "admin")


@pytest.mark.parametrize("kind", ["daily", "hourly"])
def test_a_district_filter_is_that_district(door: Door, kind: str) -> None:
    c = _admin(door)
    url = f"/api/v1/air/aqi/{kind}"
    # Both stations are in Beijing (110000): the city filter has both, a district one.
    beijing = {r["code"] for r in c.get(url, params={"region": "110000"}).json()["items"]}
    assert beijing == {d.ST_IN, d.ST_OUT}
    inside = {r["code"] for r in c.get(url, params={"region": d.INSIDE}).json()["items"]}
    assert inside == {d.ST_IN}
    # The city row aggregates all of Beijing: it is there for 110000, not for a district.
    city = c.get(url, params={"region": "110000", "scope": "city"}).json()["items"]
    assert {r["code"] for r in city} == {"110000"}
    assert c.get(url, params={"region": d.INSIDE, "scope": "city"}).json()["items"] == []


@pytest.mark.parametrize("edition", ["auto", "2026"])  # stored, and a what-if computed
def test_assessment_region_is_never_wider(door: Door, edition: str) -> None:
    c = _admin(door)
    params = {"year": 2024, "region": d.INSIDE, "edition": edition}
    body = c.get("/api/v1/air/assessments", params=params).json()
    for part in ("stats", "days", "index"):
        codes = {r["code"] for r in body[part]}
        assert codes <= {d.ST_IN}, (part, codes)
    assert body["monthly"] == []
    wide = c.get("/api/v1/air/assessments", params={**params, "region": "110000"}).json()
    assert {r["code"] for r in wide["stats"]} >= {d.ST_IN, d.ST_OUT}
