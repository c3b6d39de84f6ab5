"""Built before approval on hand-built rows: each kind of evidence, its date, the approval it
is judged against, and the sources that must not be listed."""

from __future__ import annotations

import duckdb
import pytest

from ecohub.access.principal import SYSTEM, Principal
from ecohub.enterprise import unapproved
from ecohub.queries import QueryError
from tests.enterprise.conftest import add_case, add_eia, add_source


@pytest.fixture
def store(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    add_source(con, "DATA", "130203", "2221")
    con.execute("INSERT INTO monitor_point (mn, source_code) VALUES ('MN1', 'DATA')")
    # 2024-03-04 23:30 UTC is 2024-03-05 07:30 in China: the evidence day is 03-05.
    con.execute(
        "INSERT INTO emission (mn, cn, data_time, pollutant, avg, received_at) VALUES "
        "('MN1', '2061', TIMESTAMPTZ '2024-03-04 23:30:00+00', 'a21026', 1, now())"
    )
    add_eia(con, "EIA-DATA", "DATA", "2024-06-01")
    add_eia(con, "EIA-DATA-2", "DATA", "2025-06-01")  # a later expansion: the first one counts

    add_source(con, "FINE", "130203", "3110")  # approval, then permit, then inspection
    add_eia(con, "EIA-FINE", "FINE", "2022-05-01")
    con.execute("INSERT INTO permit (permit_no, source_code, valid_from) "
                "VALUES ('P-FINE', 'FINE', DATE '2023-01-01')")  # fmt: skip
    add_case(con, "K-FINE", "FINE", "2023-02-01", None, None, "closed")

    add_source(con, "NOEIA", "130208", "3011")  # cement, never approved
    add_source(con, "SHOP", "130208", "5990")  # needs no approval
    add_source(con, "INSP", "110105", "3360")
    add_case(con, "K-INSP", "INSP", "2024-01-10", None, None, "closed")
    add_eia(con, "EIA-INSP", "INSP", "2024-02-01")
    add_source(con, "LIMIT", "130203", "4412")  # a permit dated only by its limit
    con.execute("INSERT INTO permit (permit_no, source_code) VALUES ('P-L', 'LIMIT')")
    con.execute("INSERT INTO permit_limit (permit_no, outlet_code, pollutant, period, valid_from) "
                "VALUES ('P-L', 'DA001', 'a21026', 'hour', DATE '2019-07-01')")  # fmt: skip
    add_eia(con, "EIA-L", "LIMIT", "2019-09-30")
    return con


def test_listed_with_evidence_and_dates(store: duckdb.DuckDBPyConnection) -> None:
    rows = {r["source_code"]: r for r in unapproved(store, SYSTEM)}
    assert set(rows) == {"DATA", "NOEIA", "INSP", "LIMIT"}
    data = rows["DATA"]
    assert (data["status"], data["first_approval"], data["approval_no"]) == (
        "before_approval",
        "2024-06-01",
        "EIA-DATA",
    )
    # 2024-03-05 .. 2024-06-01: 26 (to Mar 31) + 30 + 31 + 1 = 88 days.
    assert data["evidence"] == [{"kind": "hj212_data", "day": "2024-03-05", "ref": "MN1",
                                 "days_before": 88}]  # fmt: skip
    assert rows["INSP"]["evidence"] == [{"kind": "inspection", "day": "2024-01-10",
                                         "ref": "K-INSP", "days_before": 22}]  # fmt: skip
    assert rows["LIMIT"]["evidence"][0]["kind"] == "permit"
    assert rows["LIMIT"]["evidence"][0]["days_before"] == 91  # 30 (to Jul 31) + 31 + 30 (to Sep 30)
    assert rows["NOEIA"]["status"] == "no_approval"
    assert rows["NOEIA"]["first_approval"] is None and rows["NOEIA"]["evidence"] == []


def test_region_and_scope(store: duckdb.DuckDBPyConnection) -> None:
    assert {r["source_code"] for r in unapproved(store, SYSTEM, region="130208")} == {"NOEIA"}
    chaoyang = Principal("a", "analyst", "110105")
    assert [r["source_code"] for r in unapproved(store, chaoyang)] == ["INSP"]
    assert unapproved(store, chaoyang, region="130000") == []
    with pytest.raises(QueryError, match=r"^region"):
        unapproved(store, SYSTEM, region="13")
