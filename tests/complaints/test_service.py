"""The scoped reads: region scope in the query, roles refused, keyset paging without gaps."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import duckdb
import pytest

from ecohub.access import AccessDenied, Principal
from ecohub.complaints.service import get_complaint, hotspots, list_complaints
from ecohub.queries import NotFound, QueryError
from ecohub.store.db import connect

CST = timezone(timedelta(hours=8))
ADMIN = Principal("a", "admin")
CHAOYANG = Principal("c", "analyst", "110105")


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    c = connect(":memory:")
    rows = [(f"Q{i:02d}", datetime(2026, 10, 1, 8, tzinfo=CST) + timedelta(hours=i % 5),
             "110105" if i % 3 else "110108") for i in range(30)]  # fmt: skip
    c.executemany(
        "INSERT INTO complaint (complaint_id, received_at, text, region_code, category, topic, "
        "row_hash, loaded_at) VALUES (?, ?, '油烟', ?, 'air', 'cooking_fumes', 'h', now())",
        rows,
    )
    c.execute(
        "INSERT INTO complaint_hotspot VALUES ('HQ01', 'air', 'cooking_fumes', '110108', 116.3, "
        "39.9, 50, TIMESTAMPTZ '2026-10-01 08:00:00+08', TIMESTAMPTZ '2026-10-01 12:00:00+08', "
        "4, now())"
    )
    yield c
    c.close()


def _all(con: duckdb.DuckDBPyConnection, p: Principal, **kw: object) -> list[str]:
    ids: list[str] = []
    cursor = None
    while True:
        page = list_complaints(con, p, limit=4, cursor=cursor, **kw)  # type: ignore[arg-type]
        ids += [r["complaint_id"] for r in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return ids


def test_paging_is_complete_newest_first_and_scoped(con: duckdb.DuckDBPyConnection) -> None:
    every = _all(con, ADMIN)
    assert sorted(every) == [f"Q{i:02d}" for i in range(30)] and len(set(every)) == 30
    # ties of time are broken by id, both descending
    assert every[:3] == ["Q29", "Q24", "Q19"]
    mine = _all(con, CHAOYANG)
    assert sorted(mine) == [f"Q{i:02d}" for i in range(30) if i % 3]
    assert _all(con, CHAOYANG, region="110108") == []


def test_a_cursor_belongs_to_its_filters(con: duckdb.DuckDBPyConnection) -> None:
    page = list_complaints(con, ADMIN, limit=2)
    with pytest.raises(QueryError, match="cursor"):
        list_complaints(con, ADMIN, limit=2, cursor=page["next_cursor"], category="air")
    with pytest.raises(QueryError, match="cursor"):
        list_complaints(con, CHAOYANG, limit=2, cursor=page["next_cursor"])


def test_out_of_scope_is_not_found_and_roles_are_refused(con: duckdb.DuckDBPyConnection) -> None:
    assert get_complaint(con, CHAOYANG, "Q01")["complaint_id"] == "Q01"
    with pytest.raises(NotFound):
        get_complaint(con, CHAOYANG, "Q03")  # Haidian
    assert hotspots(con, CHAOYANG)["items"] == []
    assert [h["hotspot_id"] for h in hotspots(con, ADMIN)["items"]] == ["HQ01"]
    for role in ("public", "enterprise"):
        who = Principal("x", role, "110105", ("H9110105000000001x001P",) if role == "enterprise"
                        else ())  # fmt: skip
        with pytest.raises(AccessDenied):
            list_complaints(con, who)
        with pytest.raises(AccessDenied):
            hotspots(con, who)


def test_bad_filters_name_the_field(con: duckdb.DuckDBPyConnection) -> None:
    for kw, field in (({"category": "smell"}, "category"), ({"topic": "x"}, "topic"),
                      ({"start": "2026-13-01"}, "from"), ({"q": " "}, "q"),
                      ({"start": "2026-10-02", "end": "2026-10-01"}, "to")):  # fmt: skip
        with pytest.raises(QueryError) as e:
            list_complaints(con, ADMIN, **kw)  # type: ignore[arg-type]
        assert e.value.field == field
    # The hot spots read the same period the same way (a reversed one was an empty answer).
    for kw, field in (({"start": "2026-10-02", "end": "2026-10-01"}, "to"),
                      ({"start": "2026-10-01T08:00", "end": "2026-10-01T08:00"}, "to"),
                      ({"category": "smell"}, "category")):  # fmt: skip
        with pytest.raises(QueryError) as e:
            hotspots(con, ADMIN, **kw)  # type: ignore[arg-type]
        assert e.value.field == field


def test_a_bare_day_as_to_is_through_its_end(con: duckdb.DuckDBPyConnection) -> None:
    # The fixture's complaints: 2026-10-01 08:00 + (i % 5) hours CST, i = 0..29; the hot spot
    # HQ01 runs 08:00-12:00 that day. "The complaints of 1 October" is from=to=that day.
    day = {"start": "2026-10-01", "end": "2026-10-01"}
    assert sorted(_all(con, ADMIN, **day)) == [f"Q{i:02d}" for i in range(30)]
    assert _all(con, ADMIN, start="2026-09-30", end="2026-09-30") == []
    # A time stays exclusive: before 10:00 are the 08:00 and 09:00 ones (i % 5 in 0, 1).
    early = _all(con, ADMIN, end="2026-10-01T10:00")
    assert sorted(early) == [f"Q{i:02d}" for i in range(30) if i % 5 < 2]
    assert [h["hotspot_id"] for h in hotspots(con, ADMIN, **day)["items"]] == ["HQ01"]
    with pytest.raises(QueryError, match="to"):
        list_complaints(con, ADMIN, start="2026-10-02", end="2026-10-01")
