"""The risk score on hand-built rows: every raw value counted by hand, the score recomputed by
hand from ``risk_factors.csv`` (read here with the csv module), caps, scope, the watch list."""

from __future__ import annotations

import csv
from importlib import resources

import duckdb
import pytest

from ecohub.access.principal import SYSTEM, Principal
from ecohub.enterprise import explain, risk, watchlist
from ecohub.queries import NotFound, QueryError
from tests.enterprise.conftest import add_case, add_eia, add_source

MONTH = "2025-03"  # 31 days: 744 hours
A, B, C = "SRC_A", "SRC_B", "SRC_C"


def _weights() -> dict[str, tuple[float, float | None]]:
    text = resources.files("ecohub.enterprise").joinpath("data", "risk_factors.csv")
    rows = csv.DictReader(text.read_text(encoding="utf-8").splitlines())
    return {r["factor"]: (float(r["weight"]), float(r["cap"]) if r["cap"] else None) for r in rows}


@pytest.fixture
def store(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    add_source(con, A, "130203", "3110")  # steel: EIA and permit required, key industry
    add_source(con, B, "130203", "5990")  # an industry that needs neither
    add_source(con, C, "110105", "2221")
    con.execute("INSERT INTO monitor_point (mn, source_code) VALUES ('MNA', ?), ('MNB', ?)",
                [A, B])  # fmt: skip
    # MNA: first data in February; in March 700 of the 744 hours have data -> 44 h offline.
    con.execute(
        "INSERT INTO emission (mn, cn, data_time, pollutant, avg, received_at) "
        "SELECT 'MNA', '2061', TIMESTAMPTZ '2025-02-20 00:00:00+08', 'a21026', 1, now() UNION ALL "
        "SELECT 'MNA', '2061', TIMESTAMPTZ '2025-03-01 00:00:00+08' + INTERVAL (h) HOUR, "
        "'a21026', 1, now() FROM range(700) r(h)"
    )
    # MNB: first data on 2025-03-31 10:00 (CST), then every hour to the month's end: 14 hours.
    con.execute(
        "INSERT INTO emission (mn, cn, data_time, pollutant, avg, received_at) "
        "SELECT 'MNB', '2061', TIMESTAMPTZ '2025-03-31 10:00:00+08' + INTERVAL (h) HOUR, "
        "'a21026', 1, now() FROM range(14) r(h)"
    )
    exc = ("INSERT INTO exceedance (mn, source_code, pollutant, period, start, \"end\", peak, "
           "\"limit\", multiple, open, found_at, updated_at) VALUES (?, ?, 'a21026', ?, ?, ?, ?, "
           "100, ?, false, now(), now())")  # fmt: skip
    # A: 5 h and 2 h in March, plus 3 of a 6 h event that began in February; a daily event
    # adds no hours; highest multiple 2.5.
    con.execute(
        exc, ["MNA", A, "hour", "2025-03-02 10:00:00+08", "2025-03-02 15:00:00+08", 200, 2.0]
    )
    con.execute(
        exc, ["MNA", A, "hour", "2025-03-09 20:00:00+08", "2025-03-09 22:00:00+08", 250, 2.5]
    )
    con.execute(
        exc, ["MNA", A, "hour", "2025-02-28 21:00:00+08", "2025-03-01 03:00:00+08", 120, 1.2]
    )
    con.execute(
        exc, ["MNA", A, "day", "2025-03-05 00:00:00+08", "2025-03-06 00:00:00+08", 110, 1.1]
    )
    con.execute(
        exc, ["MNA", A, "hour", "2025-04-02 10:00:00+08", "2025-04-02 15:00:00+08", 900, 9.0]
    )
    # B: 300 hours over the month's edge (cap 200).
    con.execute(
        exc, ["MNB", B, "hour", "2025-03-01 00:00:00+08", "2025-03-13 12:00:00+08", 130, 1.3]
    )
    anom = ("INSERT INTO anomaly (mn, source_code, pollutant, rule, severity, start, \"end\", "
            "found_at, updated_at) VALUES ('MNA', ?, '*', 'r', ?, ?, ?, now(), now())")  # fmt: skip
    con.execute(anom, [A, "high", "2025-03-03 00:00:00+08", "2025-03-03 05:00:00+08"])
    con.execute(anom, [A, "medium", "2025-03-04 00:00:00+08", "2025-03-04 05:00:00+08"])
    con.execute(anom, [A, "medium", "2025-02-27 00:00:00+08", "2025-03-01 05:00:00+08"])
    con.execute(anom, [A, "high", "2025-02-01 00:00:00+08", "2025-02-02 00:00:00+08"])  # February
    # A's cases: two violations in the 12 months to 2025-04-01 (50 000 + 30 000 yuan, one
    # open), one from 2024-03-15 (outside the 12 months, still open), one inspection.
    add_case(con, "K1", A, "2025-01-10", "超标排放", 50000, "open")
    add_case(con, "K2", A, "2024-06-01", "未批先建", 30000, "closed")
    add_case(con, "K3", A, "2024-03-15", "超标排放", 20000, "open")
    add_case(con, "K4", A, "2025-03-20", None, None, "closed")
    add_case(con, "K5", A, "2025-04-20", "超标排放", 99999, "open")  # after the month
    # A's complaints in March: scores 0.5 and none (counts 1); one in April.
    con.executemany(
        "INSERT INTO complaint_source VALUES (?, ?, ?, 'odour', 300, ?)",
        [["Q1", A, "2025-03-05 08:00:00", 0.5], ["Q2", A, "2025-03-31 23:59:00", None],
         ["Q3", A, "2025-04-01 00:00:00", 1.0]],
    )  # fmt: skip
    add_eia(con, "E_C", C, "2020-01-01")
    con.execute("INSERT INTO permit (permit_no, source_code) VALUES ('PC', ?)", [C])
    return con


def test_every_raw_value_and_the_score_by_hand(store: duckdb.DuckDBPyConnection) -> None:
    out = risk(store, SYSTEM, A, MONTH)
    raw = {f["factor"]: f["raw"] for f in out["factors"]}
    assert raw == {
        "exceedance_hours": 5 + 2 + 3,
        "exceedance_excess": 2.5 - 1,
        "anomaly_high": 1,
        "anomaly_medium": 2,
        "anomaly_low": 0,
        "offline_hours": 744 - 700,
        "violations": 2,
        "penalty_10k": (50000 + 30000 + 0) / 10000,  # K4 has no penalty; K3 is too old
        "open_cases": 2,  # K1 and K3 (open, a violation, before the month's end)
        "complaints": 0.5 + 1,
        "no_eia": 1,
        "built_before_approval": 0,
        "no_permit": 1,
        "key_industry": 1,
    }
    w = _weights()
    by_hand = (0.5 * 10 + 20 * 1.5 + 15 * 1 + 4 * 2 + 1 * 0 + 0.05 * 44 + 8 * 2 + 1 * 8
               + 12 * 2 + 3 * 1.5 + 25 * 1 + 30 * 0 + 10 * 1 + 5 * 1)  # fmt: skip
    assert by_hand == pytest.approx(152.7)
    assert out["score"] == pytest.approx(by_hand)
    # The same sum from what the answer shows, factor by factor, with the CSV's weights.
    again = sum(w[f["factor"]][0] * min(f["raw"], w[f["factor"]][1] or f["raw"])
                for f in out["factors"])  # fmt: skip
    assert again == pytest.approx(out["score"])
    for f in out["factors"]:
        assert f["weight"] == w[f["factor"]][0]
    assert set(out["serious"]) == {"anomaly_high", "exceedance_excess", "open_cases", "no_eia"}


def test_caps_and_a_device_heard_first_late_in_the_month(store: duckdb.DuckDBPyConnection) -> None:
    out = risk(store, SYSTEM, B, MONTH)
    f = {x["factor"]: x for x in out["factors"]}
    assert f["exceedance_hours"]["raw"] == 300
    assert f["exceedance_hours"]["contribution"] == pytest.approx(0.5 * 200)
    assert f["offline_hours"]["raw"] == 0  # from its first hour on it sent every hour
    assert f["no_eia"]["raw"] == 0 and f["no_permit"]["raw"] == 0  # 5990 needs neither
    assert out["score"] == pytest.approx(0.5 * 200 + 20 * 0.3)


def test_explain_is_the_sum_of_weight_times_capped_raw() -> None:
    row = {"source_code": "X", "name": "n", "region_code": None, "industry": None,
           "exceedance_hours": 1000, "anomaly_low": 3}  # fmt: skip
    w = _weights()
    factors = {k: (row.get(k) or 0) for k in w}
    out = explain({**row, **factors})
    assert out["score"] == pytest.approx(0.5 * 200 + 1 * 3)
    assert out["serious"] == ["exceedance_hours"]


def test_scope(store: duckdb.DuckDBPyConnection) -> None:
    own = Principal("e", "enterprise", "130203", (B,))
    with pytest.raises(NotFound):
        risk(store, own, A, MONTH)  # another unit's source: as unknown
    with pytest.raises(NotFound):
        risk(store, Principal("a", "analyst", "110105"), A, MONTH)  # another region
    assert risk(store, own, B, MONTH)["source_code"] == B
    with pytest.raises(QueryError, match=r"^month"):
        risk(store, SYSTEM, A, "2025-13")


def test_watch_list_holds_serious_sources_only_highest_first(
    store: duckdb.DuckDBPyConnection,
) -> None:
    out = watchlist(store, SYSTEM, region="130000", month=MONTH, limit=10)
    codes = [i["source_code"] for i in out["items"]]
    # A is serious; B has 300 h over the limit (serious at 24 h) at a lower score; C (another
    # province) is outside the region.
    assert codes == [A, B]
    assert out["items"][0]["top_factors"][0] == {"factor": "exceedance_excess", "raw": 1.5,
                                                 "contribution": 30.0}  # fmt: skip
    # Every factor code the items mention is named (risk_factors.csv), and no other.
    used = {c for i in out["items"] for c in i["serious"]}
    used |= {f["factor"] for i in out["items"] for f in i["top_factors"]}
    assert set(out["factors"]) == used
    assert out["factors"]["exceedance_excess"] == {
        "name_zh": "超标倍数", "name_en": "highest exceedance multiple above 1"}  # fmt: skip
    assert watchlist(store, Principal("a", "analyst", "110105"), month=MONTH)["items"] == []
    with pytest.raises(QueryError, match=r"^limit"):
        watchlist(store, SYSTEM, limit=0)


def test_profile_of_a_merged_code_is_the_live_source(store: duckdb.DuckDBPyConnection) -> None:
    from ecohub.enterprise import profile

    store.execute(
        "INSERT INTO source (source_code, region_code, status, merged_into) "
        "VALUES ('OLD', '130203', 'merged', ?)",
        [A],
    )
    out = profile(store, SYSTEM, "OLD", month=MONTH)
    assert (out["asked_for"], out["source"]["source_code"]) == ("OLD", A)
    assert [c["case_id"] for c in out["cases"]] == ["K5", "K4", "K1", "K2", "K3"]
    assert out["risk"]["score"] == pytest.approx(152.7)
    with pytest.raises(NotFound):
        profile(store, Principal("e", "enterprise", "130203", (B,)), "OLD")


def test_profile_names_the_pollutants_and_rules_of_its_lists(
    store: duckdb.DuckDBPyConnection,
) -> None:
    """A reader shows words, not codes: the profile names every pollutant code and anomaly
    rule its recent exceedances and anomalies use (HJ 212-2017 Appendix B: a21026 is SO2)."""
    from ecohub.enterprise import profile

    store.execute(
        'INSERT INTO anomaly (mn, source_code, pollutant, rule, start, "end", severity, '
        "found_at, updated_at) VALUES ('MNA', ?, 'a21026', 'constant', now() - INTERVAL 5 HOUR, "
        "now() - INTERVAL 1 HOUR, 'high', now(), now()), ('MNA', ?, '*', 'silent', "
        "now() - INTERVAL 3 HOUR, now() - INTERVAL 2 HOUR, 'medium', now(), now())",
        [A, A],
    )
    store.execute(
        'INSERT INTO exceedance (mn, source_code, pollutant, period, start, "end", peak, '
        "\"limit\", multiple, open, found_at, updated_at) VALUES ('MNA', ?, 'a34013', 'hour', "
        "now() - INTERVAL 2 HOUR, now() - INTERVAL 1 HOUR, 30, 20, 1.5, true, now(), now())",
        [A],
    )
    names = profile(store, SYSTEM, A, month=MONTH)["names"]
    assert names["rules"] == {
        "constant": {"name_zh": "数据恒定不变", "name_en": "constant value while the plant runs"},
        "silent": {"name_zh": "数据中断", "name_en": "device silent past its interval"},
    }
    # "*" (the whole device) is not a pollutant; a34013 is 烟尘 (smoke dust) in HJ 212-2017 B.1.
    assert set(names["pollutants"]) == {"a21026", "a34013"}
    assert names["pollutants"]["a21026"]["name_zh"] == "二氧化硫"
    assert names["pollutants"]["a34013"]["name_zh"] == "烟尘"
