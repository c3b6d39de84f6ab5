"""A catalogue read never fails because refreshing the cached coverage failed.

DuckDB refuses to commit a transaction that deletes and re-inserts a key an older, still open
transaction can see ("write-write conflict on key"); the coverage and derived lineage are
therefore written in place (upserts), and a read whose refresh fails anyway serves the stored
coverage. Exercised with a second cursor holding an open transaction (as the HJ 212 writer's
does) and with concurrent requests against the real app.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import duckdb
import httpx
import pytest

from ecohub.access import apikeys, users
from ecohub.access.principal import SYSTEM
from ecohub.api.app import close_app, create_app
from ecohub.catalog import _db, coverage, service
from ecohub.catalog.produce import note
from ecohub.settings import Settings
from tests.catalog.conftest import Sample
from tests.loopback import on_loopback

STATION = "30100101-00001"


@pytest.fixture
def always_stale(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every read finds the stored coverage too old (as after five quiet minutes)."""
    monkeypatch.setattr(coverage, "STALE_AFTER_S", -1.0)


def _old_transaction(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    old = con.cursor()
    old.execute("BEGIN")
    old.execute("SELECT count(*) FROM catalog_coverage").fetchall()
    return old


def test_full_refreshes_beside_an_open_transaction(
    small: duckdb.DuckDBPyConnection, always_stale: None
) -> None:
    first = service.list_resources(small, SYSTEM)["total"]
    old = _old_transaction(small)
    try:
        for _ in range(3):  # the second delete + insert of a key conflicted
            assert service.list_resources(small, SYSTEM)["total"] == first
            assert service.show(small, SYSTEM, STATION)["coverage"]["rows"] == 0
    finally:
        old.execute("ROLLBACK")


def test_changed_resources_refresh_beside_an_open_transaction(
    small: duckdb.DuckDBPyConnection,
) -> None:
    service.list_resources(small, SYSTEM)
    old = _old_transaction(small)
    try:
        for n in range(1, 4):
            small.execute(
                "INSERT INTO station (station_id, region_code, lon, lat) "
                f"VALUES ('S{n}', '110105', 116.4, 39.9)"
            )
            note(small, "station", "load")  # a producer wrote: the next read measures again
            assert service.show(small, SYSTEM, STATION)["coverage"]["rows"] == n
    finally:
        old.execute("ROLLBACK")


def test_a_failed_refresh_serves_the_stored_coverage(
    small: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    service.list_resources(small, SYSTEM)
    small.execute("INSERT INTO station (station_id, region_code) VALUES ('S1', '110105')")
    note(small, "station", "load")  # the next read measures the station table again

    def conflict(con: duckdb.DuckDBPyConnection, codes: list[str] | None = None) -> int:
        con.execute("BEGIN")
        con.execute("UPDATE catalog_coverage SET rows = 99")
        raise duckdb.TransactionException("Failed to commit: write-write conflict on key")

    monkeypatch.setattr(coverage, "refresh", conflict)
    assert service.show(small, SYSTEM, STATION)["coverage"]["rows"] == 0  # as stored
    monkeypatch.undo()
    # The failed attempt was rolled back (no transaction left open): the next read measures.
    assert service.show(small, SYSTEM, STATION)["coverage"]["rows"] == 1


def test_a_failed_commit_leaves_no_transaction_open(small: duckdb.DuckDBPyConnection) -> None:
    small.execute("CREATE TABLE t (k VARCHAR PRIMARY KEY, v INTEGER)")
    small.execute("INSERT INTO t VALUES ('a', 0)")
    old = _old_transaction(small)
    try:
        for v in (1, 2):  # the second delete and insert of 'a' fails at COMMIT
            try:
                with _db.transaction(small):
                    small.execute("DELETE FROM t WHERE k = 'a'")
                    small.execute("INSERT INTO t VALUES ('a', ?)", [v])
            except duckdb.TransactionException:
                assert v == 2
        with _db.transaction(small):  # BEGIN inside an open transaction would fail
            _db.replace_rows(small, "t", ["k", "v"], ["k"], [["a", 3], ["b", 4]])
    finally:
        old.execute("ROLLBACK")
    assert small.execute("SELECT * FROM t ORDER BY k").fetchall() == [("a", 3), ("b", 4)]


@pytest.fixture(scope="module")
def base(sample: Sample) -> Iterator[str]:
    users.add_user(sample.con, "refresh-admin", "admin", None, [], "correct horse battery")
    key = apikeys.create(sample.con, "refresh-admin")[0]
    settings = Settings(data_dir=sample.dir, open_burst=1000, open_rate_per_s=1000)
    app = create_app(sample.con, settings=settings, data_dir=sample.dir)
    with on_loopback(app) as url:
        yield f"{url}|{key}"
    close_app(app)
    coverage.refresh(sample.con)  # the session's sample as the other modules expect it


def test_concurrent_reads_all_answer(base: str, sample: Sample, always_stale: None) -> None:
    url, key = base.split("|")
    paths = [
        ("/api/v1/catalog", True),
        (f"/api/v1/catalog/{STATION}", True),
        ("/api/v1/catalog/dcat?format=ttl", True),
        ("/open/v1/catalog", False),
    ] * 6
    old = _old_transaction(sample.con)

    def get(path_auth: tuple[str, bool]) -> int:
        path, auth = path_auth
        headers = {"Authorization": f"Bearer {key}"} if auth else {}
        with httpx.Client(base_url=url, timeout=120) as c:
            return c.get(path, headers=headers).status_code

    try:
        with ThreadPoolExecutor(8) as pool:
            codes = list(pool.map(get, paths))
    finally:
        old.execute("ROLLBACK")
    assert codes == [200] * len(paths)
