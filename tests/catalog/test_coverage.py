"""Coverage is kept current, undescribed tables are discovered, definitions are checked."""

from __future__ import annotations

from datetime import datetime

import duckdb
import pytest

from ecohub.access.principal import SYSTEM
from ecohub.catalog import coverage, definitions, resources, service
from ecohub.cst import CST

OBS = "30100101-00002"


def _obs(con: duckdb.DuckDBPyConnection, station: str, hour: str, value: float) -> None:
    con.execute(
        "INSERT INTO observation (station_id, parameter, period, time, value, unit) "
        "VALUES (?, 'a34004', '1h', ?, ?, 'µg/m³')",
        [station, datetime.fromisoformat(hour).replace(tzinfo=CST), value],
    )


def test_refresh_follows_new_rows(small: duckdb.DuckDBPyConnection) -> None:
    small.execute(
        "INSERT INTO station (station_id, region_code, lon, lat) VALUES "
        "('A', '110105', 116.4, 39.9), ('B', '130203', 118.2, 39.6)"
    )
    _obs(small, "A", "2024-01-01 00:00", 10)
    _obs(small, "A", "2024-01-01 01:00", 12)
    coverage.refresh(small)
    c = coverage.get(small, OBS)
    assert c is not None
    assert (c["rows"], c["regions"]) == (2, ["110105"])
    assert c["time_to"] == "2024-01-01T01:00:00+08:00"
    assert c["bbox"] == [116.4, 39.9, 116.4, 39.9]
    _obs(small, "B", "2024-03-01 05:00", 30)
    coverage.refresh(small)
    c = coverage.get(small, OBS)
    assert c is not None
    assert (c["rows"], c["regions"], c["n_regions"]) == (3, ["110105", "130203"], 2)
    assert c["time_to"] == "2024-03-01T05:00:00+08:00"
    assert c["bbox"] == [116.4, 39.6, 118.2, 39.9]
    # The PM2.5 product selects parameter a34004 only.
    _obs(small, "B", "2024-03-01 06:00", 31)
    small.execute("UPDATE observation SET parameter = 'a34002' WHERE value = 31")
    coverage.refresh(small)
    assert (coverage.get(small, "30100101-00003") or {})["rows"] == 3


def test_stale_coverage_is_recomputed_when_read(small: duckdb.DuckDBPyConnection) -> None:
    service.ensure(small)
    assert (coverage.get(small, OBS) or {})["rows"] == 0
    small.execute("INSERT INTO station (station_id, region_code) VALUES ('A', '110105')")
    _obs(small, "A", "2024-01-01 00:00", 10)
    coverage.current(small, max_age_s=3600)  # fresh enough: not recomputed
    assert (coverage.get(small, OBS) or {})["rows"] == 0
    coverage.current(small, max_age_s=0)
    assert (coverage.get(small, OBS) or {})["rows"] == 1


def test_an_undescribed_table_is_discovered_and_never_shared(
    small: duckdb.DuckDBPyConnection,
) -> None:
    small.execute("CREATE TABLE field_notes (station_id VARCHAR, note VARCHAR)")
    resources.sync(small, force=True)
    found = [
        s for s in service.list_resources(small, SYSTEM)["items"] if s["table"] == "field_notes"
    ]
    assert len(found) == 1
    r = resources.get(small, found[0]["code"]) or {}
    assert r["origin"] == "discovered" and r["sharing_type"] == "不予共享"
    assert found[0]["code"].startswith(definitions.UNDESCRIBED_CLASS + "-")
    assert [i["name"] for i in resources.items(small, found[0]["code"])] == ["station_id", "note"]
    # Its code is stable: a second sync keeps it.
    resources.sync(small, force=True)
    again = [
        s["code"]
        for s in service.list_resources(small, SYSTEM)["items"]
        if s["table"] == "field_notes"
    ]
    assert again == [found[0]["code"]]


def test_builtin_definitions_follow_the_guide() -> None:
    defs = definitions.definitions()
    codes = [d["code"] for d in defs]
    assert len(codes) == len(set(codes))
    for d in defs:
        assert d["class_code"][0] == "3" and len(d["class_code"]) == 8  # 部门信息资源目录
        for field in ("name_zh", "name_en", "abstract_zh", "abstract_en", "format", "provider"):
            assert d[field], (d["code"], field)
    with pytest.raises(ValueError, match="sharing_type"):
        definitions.check({**defs[0], "sharing_type": "随便共享"})
    with pytest.raises(ValueError, match="sharing_conditions"):
        definitions.check({**defs[0], "sharing_type": "有条件共享", "sharing_conditions": None})


def test_rows_go_out_as_json_even_bytes(small: duckdb.DuckDBPyConnection) -> None:
    import json

    small.execute(
        "INSERT INTO packet_log (received_at, raw, status) "
        "VALUES (TIMESTAMPTZ '2024-01-01 08:00:00+08', '\\xFF\\x00'::BLOB, 'rejected')"
    )
    out = service.data(small, SYSTEM, "30100202-00003")  # 不予共享: the admin reads it
    assert out["items"][0]["raw"] == "FF00"
    assert out["items"][0]["received_at"] == "2024-01-01T08:00:00+08:00"
    json.dumps(out)
