"""Query by region under a principal's scope, and aggregates over stored results (hand-worked)."""

from __future__ import annotations

from datetime import date, datetime

import duckdb
import pytest

from ecohub.access import Principal
from ecohub.access.principal import SYSTEM
from ecohub.cst import CST
from ecohub.geo import (
    air_summary,
    emission_totals,
    observation_means,
    outlets_in,
    source_counts,
    sources_in,
    stations_in,
    water_classes,
)
from ecohub.ingest.daysums import rebuild

TIANANMEN = (116.3975, 39.9087)  # 东城区 110101
GUOMAO = (116.4605, 39.9087)  # 国贸, 朝阳区 110105
OLYMPIC = (116.3956, 39.9929)  # 奥林匹克公园, 朝阳区 110105
TIANJIN = (117.2009, 39.0842)  # 天津 和平区 120101

ANALYST_CHAOYANG = Principal("ana", "analyst", "110105")


@pytest.fixture
def data(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    stations = [
        ("a_dc", "air", "110101", *TIANANMEN),
        ("a_gm", "air", "110105", *GUOMAO),
        ("a_oly", "air", "110105", *OLYMPIC),
        ("a_tj", "air", "120101", *TIANJIN),
        ("w1", "surface_water", "110105", 116.47, 39.95),
        ("w2", "surface_water", "110105", 116.48, 39.96),
        ("w3", "surface_water", "110105", 116.49, 39.97),
        ("w_dc", "surface_water", "110101", 116.40, 39.92),
    ]
    con.executemany(
        "INSERT INTO station (station_id, network, region_code, lon, lat) VALUES (?, ?, ?, ?, ?)",
        stations,
    )
    sources = [
        ("S_DC", "110101", "2511 原油加工", *TIANANMEN),
        ("S_GM", "110105", "4411 火力发电", *GUOMAO),
        ("S_OLY", "110105", "4411 火力发电", *OLYMPIC),
        ("S_OLY2", "110105", "3011 水泥制造", 116.3957, 39.9930),
        ("S_TJ", "120101", "4411 火力发电", *TIANJIN),
        ("S_NOPT", "110105", "4411 火力发电", None, None),
    ]
    con.executemany(
        "INSERT INTO source (source_code, region_code, industry, lon, lat) VALUES (?, ?, ?, ?, ?)",
        sources,
    )
    con.executemany(
        "INSERT INTO outlet (outlet_code, source_code, medium, lon, lat) VALUES (?, ?, ?, ?, ?)",
        [("DA001", "S_GM", "gas", None, None), ("DA001", "S_DC", "gas", None, None),
         ("DW001", "S_OLY", "water", 116.40, 39.99)],
    )  # fmt: skip
    # air_daily per station: (station, day, aqi, level, pm25_24h)
    for sid, day, aqi, level, pm in [
        ("a_gm", "2025-01-01", 40, 1, 20.0),
        ("a_gm", "2025-01-02", 120, 3, 90.0),
        ("a_oly", "2025-01-01", 60, 2, 40.0),
        ("a_oly", "2025-01-02", 220, 5, 170.0),
        # incomplete day: only CO left (AQI 13, level 1 over one pollutant): no good day
        ("a_oly", "2025-01-03", 13, 1, None),
        ("a_dc", "2025-01-01", 300, 5, 250.0),  # outside the analyst's scope
        ("a_gm", "2025-02-01", 10, 1, 5.0),  # outside the dates
    ]:
        con.execute(
            "INSERT INTO air_daily (scope, code, date, aqi, level, pm25_24h, complete) "
            "VALUES ('station', ?, ?, ?, ?, ?, ?)",
            [sid, day, aqi, level, pm, pm is not None],
        )
    for sid, grade, rank in [("w1", "II", 2), ("w2", "II", 2), ("w3", "IV", 4), ("w_dc", "V", 5)]:
        con.execute(
            "INSERT INTO water_class_annual (station_id, year, method, waterbody, grade, "
            "class_rank, status, computed_at) VALUES (?, 2025, 'gb3838', 'river', ?, ?, '-', "
            "now())",
            [sid, grade, rank],
        )
    con.executemany(
        "INSERT INTO monitor_point (mn, source_code) VALUES (?, ?)",
        [("MN_GM", "S_GM"), ("MN_OLY", "S_OLY"), ("MN_DC", "S_DC")],
    )
    for mn, t, pol, cou in [
        ("MN_GM", "2025-01-01 00:00", "a21026", 10.0),
        ("MN_GM", "2025-01-02 00:00", "a21026", 5.0),
        ("MN_OLY", "2025-01-01 00:00", "a21026", 2.5),
        ("MN_OLY", "2025-01-01 00:00", "a21002", 7.0),
        ("MN_GM", "2025-01-05 00:00", "a21026", 1000.0),  # after the period
        ("MN_DC", "2025-01-01 00:00", "a21026", 500.0),  # outside the analyst's scope
    ]:
        con.execute(
            "INSERT INTO emission (mn, cn, data_time, pollutant, cou, received_at) "
            "VALUES (?, '2031', CAST(? AS TIMESTAMP) AT TIME ZONE 'Asia/Shanghai', ?, ?, now())",
            [mn, t, pol, cou],
        )
    return con


def _ids(rows: list[dict], key: str) -> set[str]:
    return {r[key] for r in rows}


def test_analyst_of_a_district_asking_for_beijing_gets_only_the_district(
    data: duckdb.DuckDBPyConnection,
) -> None:
    p = ANALYST_CHAOYANG
    assert _ids(stations_in(data, p, "110000", network="air"), "station_id") == {"a_gm", "a_oly"}
    # S_NOPT has no point: it is in its district (and Beijing) by its registry code.
    assert _ids(sources_in(data, p, "110000"), "source_code") == {
        "S_GM", "S_OLY", "S_OLY2", "S_NOPT",
    }  # fmt: skip
    assert {(r["source_code"], r["outlet_code"]) for r in outlets_in(data, p, "110000")} == {
        ("S_GM", "DA001"), ("S_OLY", "DW001"),
    }  # fmt: skip
    # The whole 2+26 key region: still only the district's rows.
    assert _ids(stations_in(data, p, "jjj-2+26", network="air"), "station_id") == {"a_gm", "a_oly"}
    # Asking for another district gives nothing, not an error.
    assert stations_in(data, p, "110101") == []


def test_nationwide_sees_every_row_inside(data: duckdb.DuckDBPyConnection) -> None:
    assert _ids(stations_in(data, SYSTEM, "110000", network="air"), "station_id") == {
        "a_dc", "a_gm", "a_oly",
    }  # fmt: skip
    assert _ids(stations_in(data, SYSTEM, "jjj-2+26", network="air"), "station_id") == {
        "a_dc", "a_gm", "a_oly", "a_tj",
    }  # fmt: skip
    # A source without a point is in the divisions its registry code lies under, in no other
    # kind of area (a drawn shape or a distance cannot place it).
    assert "S_NOPT" in _ids(sources_in(data, SYSTEM, "110105"), "source_code")
    assert "S_NOPT" not in _ids(sources_in(data, SYSTEM, "110101"), "source_code")
    circle = {"point": list(GUOMAO), "distance_m": 50_000}
    assert "S_NOPT" not in _ids(sources_in(data, SYSTEM, circle), "source_code")


def test_enterprise_sees_only_its_sources(data: duckdb.DuckDBPyConnection) -> None:
    p = Principal("ent", "enterprise", "110105", sources=("S_GM",))
    assert _ids(sources_in(data, p, "110000"), "source_code") == {"S_GM"}


def test_air_summary(data: duckdb.DuckDBPyConnection) -> None:
    out = air_summary(data, ANALYST_CHAOYANG, "110000", start=date(2025, 1, 1),
                      end=date(2025, 1, 31))  # fmt: skip
    assert out["stations"] == 2
    assert out["station_days"] == 5  # a_gm x2, a_oly x3 (one incomplete)
    # Complete days only (HJ 663): a_oly's CO-only day at level 1 is not a good day.
    assert out["days_by_level"] == {1: 1, 2: 1, 3: 1, 5: 1}
    assert out["station_days_incomplete"] == 1
    assert out["good_ratio"] == pytest.approx(2 / 4)
    assert out["max_aqi"] == 220
    assert out["means"]["pm25_24h"] == pytest.approx((20 + 90 + 40 + 170) / 4)
    assert out["daily"] == [
        {"date": date(2025, 1, 1), "stations": 2, "aqi_mean": 50.0, "aqi_max": 60,
         "pm25_24h_mean": 30.0},
        {"date": date(2025, 1, 2), "stations": 2, "aqi_mean": 170.0, "aqi_max": 220,
         "pm25_24h_mean": 130.0},
        {"date": date(2025, 1, 3), "stations": 1, "aqi_mean": 13.0, "aqi_max": 13,
         "pm25_24h_mean": None},
    ]  # fmt: skip


def test_water_classes(data: duckdb.DuckDBPyConnection) -> None:
    out = water_classes(data, ANALYST_CHAOYANG, "110000", year=2025)
    assert out["sections"] == 3 and out["assessed"] == 3
    assert out["by_grade"] == {"I": 0, "II": 2, "III": 0, "IV": 1, "V": 0, "劣V": 0}
    assert out["share_i_iii"] == pytest.approx(2 / 3)


def test_source_counts(data: duckdb.DuckDBPyConnection) -> None:
    out = source_counts(data, ANALYST_CHAOYANG, "110000")
    assert out["by_industry"] == {"3011 水泥制造": 1, "4411 火力发电": 3}  # S_NOPT by its code
    out = source_counts(data, SYSTEM, {"point": list(OLYMPIC), "distance_m": 100})
    assert out["by_industry"] == {"3011 水泥制造": 1, "4411 火力发电": 1}


def test_emission_totals(data: duckdb.DuckDBPyConnection) -> None:
    out = emission_totals(
        data, ANALYST_CHAOYANG, "110000",
        start=datetime(2025, 1, 1, tzinfo=CST), end=datetime(2025, 1, 3, tzinfo=CST),
    )  # fmt: skip
    assert out["totals"] == {
        "a21002": {"cou": 7.0, "values": 1, "sources": 1},
        "a21026": {"cou": 10.0 + 5.0 + 2.5, "values": 3, "sources": 2},
    }


def test_observation_means(data: duckdb.DuckDBPyConnection) -> None:
    rows = [("a_gm", "2025-01-01 00:00", 10.0), ("a_gm", "2025-01-01 01:00", 30.0),
            ("a_oly", "2025-01-01 00:00", 50.0), ("a_dc", "2025-01-01 00:00", 900.0),
            ("a_gm", "2025-01-02 00:00", 4.0)]  # fmt: skip
    for sid, t, v in rows:
        data.execute(
            "INSERT INTO observation (station_id, parameter, period, time, value, unit, "
            "flag, source) VALUES (?, 'a34004', '1h', CAST(? AS TIMESTAMP) AT TIME "
            "ZONE 'Asia/Shanghai', ?, 'ug/m3', NULL, NULL)",
            [sid, t, v],
        )
    rebuild(data)  # rows written by SQL, not by the loader: the day sums are rebuilt
    out = observation_means(
        data, ANALYST_CHAOYANG, "110000", parameter="a34004",
        start=datetime(2025, 1, 1, tzinfo=CST), end=datetime(2025, 1, 3, tzinfo=CST),
    )  # fmt: skip
    assert out["daily"] == [
        {"date": date(2025, 1, 1), "mean": 30.0, "min": 10.0, "max": 50.0, "n": 3},
        {"date": date(2025, 1, 2), "mean": 4.0, "min": 4.0, "max": 4.0, "n": 1},
    ]
