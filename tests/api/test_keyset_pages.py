"""Every listing pages by a keyset cursor in SQL (``ecohub.queries.listing``): walking the
pages one row at a time gives exactly the whole listing, in order; a cursor is bound to its
caller and filters, so it never shows another scope's rows."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ecohub.store import lake
from tests.api import door_data as d
from tests.api.door_data import Door

LISTINGS = [
    ("/api/v1/observations", {}),
    ("/api/v1/stations", {}),
    ("/api/v1/air/aqi/daily", {}),
    ("/api/v1/air/aqi/hourly", {}),
    ("/api/v1/air/aqi/daily", {"scope": "city"}),
    ("/api/v1/air/aqi/daily", {"edition": "2026"}),  # computed (a what-if), then paged in SQL
    ("/api/v1/supervision/anomalies", {}),
    ("/api/v1/supervision/exceedances", {}),
    ("/api/v1/review/flags", {}),
]


@pytest.fixture(scope="module")
def door(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Door]:
    yield from d.serve(Path(tmp_path_factory.mktemp("keyset")))


def _client(door: Door, role: str) -> TestClient:
    return d.client(door, role)


def _walk(c: TestClient, url: str, params: dict[str, Any], limit: int) -> list[Any]:
    items: list[Any] = []
    cursor = None
    for _ in range(1000):
        r = c.get(url, params={**params, "limit": limit, "cursor": cursor})
        assert r.status_code == 200, r.text
        body = r.json()
        assert len(body["items"]) <= limit
        items += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError("no end of pages")


@pytest.mark.parametrize(("url", "params"), LISTINGS)
def test_pages_add_up_to_the_listing(door: Door, url: str, params: dict[str, Any]) -> None:
    c = _client(door, "admin")
    whole = c.get(url, params=params).json()
    assert whole["next_cursor"] is None and len(whole["items"]) >= 2, whole
    assert _walk(c, url, params, 1) == whole["items"]
    assert _walk(c, url, params, 3) == whole["items"]


@pytest.mark.parametrize(("url", "params"), LISTINGS)
def test_a_cursor_never_crosses_scopes(door: Door, url: str, params: dict[str, Any]) -> None:
    role = "enterprise" if "supervision" in url else "analyst"
    admin, scoped = _client(door, "admin"), _client(door, role)
    first = admin.get(url, params={**params, "limit": 1}).json()
    assert first["next_cursor"] is not None
    # The admin's cursor, replayed by a district user, is refused (it is not theirs).
    r = scoped.get(url, params={**params, "limit": 1, "cursor": first["next_cursor"]})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "cursor"
    # The district user's own pages hold only rows inside its scope.
    mine = _walk(scoped, url, params, 1)
    whole = admin.get(url, params=params).json()["items"]
    assert len(mine) < len(whole)
    assert all(row in whole for row in mine)
    outside = {d.ST_OUT, d.MN_OUT, d.SRC_OUT, d.OUTSIDE}
    assert not any(set(map(str, row.values())) & outside for row in mine)


def test_a_lake_file_gone_mid_read_is_a_503_to_retry(door: Door, tmp_path: Path) -> None:
    """A reader that listed a lake partition's files before a swap and opens one after it finds
    the file gone (store/lake_swap.py): a 503 with Retry-After, no path, never a 500."""
    gone = tmp_path / "month=2026-10" / "bucket=a" / "n1-b1-0.parquet"
    gone.parent.mkdir(parents=True)
    door.con.execute(
        f"COPY (SELECT *, '2026-10' AS month, 'a' AS bucket FROM observation LIMIT 1) "
        f"TO '{gone}' (FORMAT parquet)"
    )
    views = door.con.execute(
        "SELECT replace(sql, 'CREATE VIEW', 'CREATE OR REPLACE VIEW') FROM duckdb_views() "
        "WHERE view_name IN ('observation_lake', 'observation_all')"
    ).fetchall()
    # The view names the file, as a query that listed the partition before the swap holds it.
    door.con.execute(f"CREATE OR REPLACE VIEW observation_lake AS SELECT * FROM '{gone}'")
    door.con.execute(f"CREATE OR REPLACE VIEW observation_all AS {lake.history_sql('observation')}")
    gone.unlink()
    try:
        r = _client(door, "admin").get("/api/v1/observations")
        assert r.status_code == 503, r.text
        assert r.headers["retry-after"] == "1"
        assert r.headers["content-type"].startswith("application/problem+json")
        assert "try again" in r.json()["detail"] and str(tmp_path) not in r.text
    finally:
        for (sql,) in views:
            door.con.execute(sql)
    assert _client(door, "admin").get("/api/v1/observations").status_code == 200
