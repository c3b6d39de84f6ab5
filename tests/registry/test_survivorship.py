"""The master record of a source shows its newest record's name, address and point (the record's
own date, else when it was loaded), the place fields from one record - never a name or address
picked by Unicode order, nor one site's address with another site's point."""

from __future__ import annotations

from datetime import datetime, timedelta

import duckdb
import pandas as pd

from ecohub.registry import records, service
from ecohub.store.db import connect
from tests.registry import steward_lists as lists
from tests.registry.steward_lists import PAPER, PRINTING, hj608

RENAMED = hj608(PAPER)  # 红星造纸厂 (E02, old) → 绿源纸业 (P04, new)
MOVED = hj608(PRINTING)  # 坝河路99号 (E03, old, no point) → 将台路5号 (P05, new, point)
NEW_SITE = ("北京蓝天印刷有限公司", "北京市朝阳区将台路5号", 116.5007, 39.9808)  # P05
OLD_SITE = ("北京蓝天印刷有限公司", "北京市朝阳区东坝乡坝河路99号", None, None)  # E03


def _source(con: duckdb.DuckDBPyConnection, code: str) -> tuple[object, ...]:
    rows = con.execute(
        "SELECT name, address, lon, lat FROM source WHERE source_code = ?", [code]
    ).fetchall()
    return tuple(rows[0])


def _load(con: duckdb.DuckDBPyConnection, order: list[str], dates: dict[str, str]) -> None:
    for system in order:
        frame = lists.LISTS[system]
        if system in dates:
            frame = frame.assign(更新日期=dates[system])
        records.load_frame(con, system, frame)


def test_the_records_own_dates_decide_against_load_order() -> None:
    """Permit records dated 2024-06-01, enforcement records 2019-03-01, enforcement loaded
    last. By hand: the permit records are newer, so 绿源纸业 (P04) and 将台路5号 with its point
    (P05: 116.5007, 39.9808). Before: 红星 (U+7EA2 sorts before 绿 U+7EFF) and 坝河路99号
    (东 before 将) beside P05's point."""
    con = connect(":memory:")
    dates = {"permit": "2024-06-01", "enforcement": "2019/3/1"}
    _load(con, ["permit", "enforcement", "eia"], dates)
    service.link(con)
    assert _source(con, RENAMED) == (
        "北京绿源纸业有限公司",
        "北京市海淀区温泉镇白家疃路1号",
        116.2005,
        40.0506,
    )
    assert _source(con, MOVED) == NEW_SITE


def test_without_dates_the_later_load_is_newer_and_the_point_follows_the_address() -> None:
    """No dates: the list loaded last is the newer. Enforcement last: 红星 and 坝河路99号, and
    no point - the only point (P05) is at the other address. Permit last: P04's and P05's."""
    con = connect(":memory:")
    _load(con, ["permit", "enforcement", "eia"], {})
    # Loads a second apart at least (the store's clock); the order is what matters.
    con.execute(
        "UPDATE source_record SET loaded_at = loaded_at + INTERVAL 1 MINUTE "
        "WHERE system = 'enforcement'"
    )
    service.link(con)
    assert _source(con, RENAMED)[0] == "北京红星造纸厂"
    assert _source(con, MOVED) == OLD_SITE

    con.execute(
        "UPDATE source_record SET loaded_at = loaded_at + INTERVAL 1 HOUR WHERE system = 'permit'"
    )
    service.link(con)
    assert _source(con, RENAMED)[0] == "北京绿源纸业有限公司"
    assert _source(con, MOVED) == NEW_SITE


def test_master_by_hand() -> None:
    """Three records of source S, worked by hand:
    r1 2024 (newest): name N1, no address, no point;
    r2 2023: address A2 (norm a2), no point;
    r3 2022: address A3 (norm a3), point (1, 1); r4 2021: no address, point (2, 2).
    Name N1 (r1); address A2 (r2, the newest with one); point: r3 is at another address, r4
    has none - so r4's point (2, 2). A withdrawn record (r0, 2025) ranks after listed ones."""
    from ecohub.registry.survivorship import master

    t = datetime(2024, 1, 1).astimezone()
    rows = [
        ("r0", "N0", "A0", "a0", None, None, t + timedelta(days=400), t),
        ("r1", "N1", None, None, None, None, t, None),
        ("r2", "N2", "A2", "a2", None, None, t - timedelta(days=365), None),
        ("r3", "N3", "A3", "a3", 1.0, 1.0, t - timedelta(days=730), None),
        ("r4", "N4", None, None, 2.0, 2.0, t - timedelta(days=1095), None),
    ]
    df = pd.DataFrame(
        rows,
        columns=["unique_id", "name", "address", "address_norm", "lon_wgs", "lat_wgs", "as_of",
                 "withdrawn_at"],
    ).assign(key="S", loaded_at=t, region_code=None, industry=None)  # fmt: skip
    got = master(df, "key").loc["S"]
    assert (got["name"], got["address"], got["lon"], got["lat"]) == ("N1", "A2", 2.0, 2.0)
