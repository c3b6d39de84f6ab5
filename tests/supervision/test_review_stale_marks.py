"""Defect 1: an operator's decision (and a review run) after ``air compute`` consumed the stale
marks. DuckDB refuses to insert a key whose row was deleted while an older transaction still
sees it, and an idle cursor whose last SELECT was read with ``fetchone()`` keeps one open (as
`ecohub up` has): the decision answered 500 (``Duplicate key "station_id: …, day: …"``)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from ecohub.access import Principal
from ecohub.analytics import air_results
from ecohub.cst import CST
from ecohub.supervision.review import decide, run
from tests.api import door_data as d
from tests.api.door_data import Door

from .review.conftest import at, put

INSPECTOR = Principal("insp", "inspector", "110000", via="password")


def _consumed_under_old_reader(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """A cursor left holding a transaction (a fetchone() on a table), then the marks consumed
    as a compute run does; returns the reader (close it to end its transaction)."""
    reader = con.cursor()
    reader.execute("SELECT * FROM air_stale").fetchone()
    con.execute("DELETE FROM air_stale")
    return reader


@pytest.fixture
def store() -> Iterator[duckdb.DuckDBPyConnection]:
    from ecohub.store.db import connect

    con = connect(":memory:")
    con.execute(
        "INSERT INTO station (station_id, network, region_code) VALUES ('s1', 'air', '110105')"
    )
    yield con
    con.close()


def _marks(con: duckdb.DuckDBPyConnection) -> list[tuple[str, object]]:
    return con.execute("SELECT station_id, day FROM air_stale ORDER BY ALL").fetchall()


def test_decision_after_the_marks_were_consumed(store: duckdb.DuckDBPyConnection) -> None:
    put(store, [("s1", "a34004", h, v) for h, v in enumerate([10, 12, -1, 0, 11])])
    run(store)
    day = at(2).date()
    assert _marks(store) == [("s1", day)]
    reader = _consumed_under_old_reader(store)
    n = decide(store, INSPECTOR, station_id="s1", parameter="PM2.5", time=at(2),
               status="overruled")  # fmt: skip
    assert n == 1
    assert store.execute("SELECT status FROM review_flag").fetchone() == ("overruled",)
    # The mark could not be written while the reader lives: the stored results are invalid
    # (the next compute is full), never silently fresh.
    assert air_results.state(store).get("edition") == air_results.INVALIDATED
    reader.close()
    # With the old transaction gone the mark is written as usual, twice over the same key.
    decide(store, INSPECTOR, station_id="s1", parameter="PM2.5", time=at(2), status="flagged")
    decide(store, INSPECTOR, station_id="s1", parameter="PM2.5", time=at(2), status="confirmed")
    assert _marks(store) == [("s1", day)]


def test_review_run_after_the_marks_were_consumed(store: duckdb.DuckDBPyConnection) -> None:
    put(store, [("s1", "a34004", h, v) for h, v in enumerate([10, 12, -1, 0, 11])])
    run(store)
    reader = _consumed_under_old_reader(store)
    put(store, [("s1", "a34004", 3, -2.0)])  # a second negative value, same day
    out = run(store)
    assert out["new"] == 1
    assert air_results.state(store).get("edition") == air_results.INVALIDATED
    reader.close()


def test_mark_days_same_keys_twice_in_one_transaction(store: duckdb.DuckDBPyConnection) -> None:
    t = datetime(2024, 5, 1, 6, tzinfo=CST)
    store.execute("BEGIN")
    assert air_results.mark_days(store, ["s1", "s1"], t, t) == 1
    assert air_results.mark_days(store, ["s1"], t, t) == 1
    store.execute("COMMIT")
    assert _marks(store) == [("s1", t.date())]


@pytest.fixture(scope="module")
def door(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Door]:
    yield from d.serve(Path(tmp_path_factory.mktemp("review-stale")))


def test_decision_route_after_air_compute(door: Door) -> None:
    when = datetime.fromisoformat(d.FLAG_TIME)
    air_results.mark_days(door.con, [d.ST_IN], when, when)
    reader = _consumed_under_old_reader(door.con)
    c = d.client(door, "inspector")
    body = {"station": d.ST_IN, "parameter": "PM2.5", "time": d.FLAG_TIME.replace(" ", "T"),
            "status": "overruled"}  # fmt: skip
    r = c.post("/api/v1/review/flags/decision", json=body)
    assert r.status_code == 200, r.text
    assert r.json() == {"changed": 1, "status": "overruled"}
    reader.close()
    r = c.post("/api/v1/review/flags/decision", json={**body, "status": "flagged"})
    assert r.status_code == 200, r.text
    assert _marks(door.con) == [(d.ST_IN, when.date())]
