"""``POST /api/v1/apikeys``: ``expires_days`` is a whole number of days from 1 to 3650, refused
with a 422 naming ``expires_days`` otherwise (walk C, finding 4: 0.0001 days was a key of 8.6
seconds, ``"5"`` and ``true`` were read as 5 and 1 days, NaN was a 400 and the field was named
``expires``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.api import door_data as d
from tests.api.door_data import Door

URL = "/api/v1/apikeys"


@pytest.fixture(scope="module")
def door(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Door]:
    yield from d.serve(Path(tmp_path_factory.mktemp("apikey-expiry")))


def _keys(door: Door) -> int:
    row = door.con.execute("SELECT count(*) FROM api_key").fetchone()
    assert row is not None
    return int(row[0])


@pytest.mark.parametrize(
    "days", ["0.0001", "0.5", "5.0", "0", "-1", "3651", "NaN", "Infinity", '"5"', "true", "[]"]
)
def test_expiry_that_is_not_whole_days_in_range_is_a_422(door: Door, days: str) -> None:
    c = d.client(door, "admin")
    before = _keys(door)
    # The body as text: NaN and Infinity are what a client's JSON encoder may send.
    body = f'{{"user": "u_analyst", "expires_days": {days}}}'
    r = c.post(URL, content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    problem = r.json()
    assert problem["errors"][0]["field"] == "expires_days", problem
    assert problem["detail"].startswith("expires_days: ")
    assert _keys(door) == before


@pytest.mark.parametrize("days", [1, 3650])
def test_whole_days_in_range_are_taken(door: Door, days: int) -> None:
    c = d.client(door, "admin")
    r = c.post(URL, json={"user": "u_analyst", "expires_days": days})
    assert r.status_code == 201, r.text
    assert r.json()["key"].startswith("ehk_")


def test_the_schema_says_whole_days_from_1_to_3650(door: Door) -> None:
    doc = d.client(door, "admin").get("/api/v1/openapi.json").json()
    prop = doc["components"]["schemas"]["KeyBody"]["properties"]["expires_days"]
    allowed = prop["anyOf"][0]
    assert allowed["type"] == "integer" and allowed["minimum"] == 1
    assert allowed["maximum"] == 3650
