"""``load_complaints``: headers in Chinese and English, three formats, rejects, reloads."""

from __future__ import annotations

import csv
from datetime import datetime, timedelta, timezone
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ecohub.complaints.load import load_complaints
from ecohub.complaints.places import haversine_m
from ecohub.ingest.report import LoadError
from ecohub.store.db import connect

CST = timezone(timedelta(hours=8))
ZH = """工单号,投诉时间,投诉内容,事发地址,经度,纬度,投诉渠道,办理结果
T1,2026-10-01 08:00,化工厂异味刺鼻,北京市朝阳区酒仙桥路10号,116.49,39.97,12369热线,已办结
T2,2026/10/02 09:30,半夜施工噪音扰民,北京市海淀区中关村大街1号,,,微信,
T3,yesterday,有人倾倒建筑垃圾,北京市丰台区,,,,
T4,2026-10-03 10:00,,北京市丰台区,,,,
T5,2026-10-03 11:00,河水发黑,北京市通州区,116.6,,,
T6,2026-10-03 12:00,河水发黑,北京市通州区,39.9,116.6,,
"""


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    c = connect(":memory:")
    yield c
    c.close()


def _write(tmp: Path, name: str, text: str) -> Path:
    p = tmp / name
    p.write_text(text, encoding="utf-8")
    return p


def test_chinese_headers_rows_and_rejects(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    r = load_complaints(con, _write(tmp_path, "c.csv", ZH))
    assert (r.rows_read, r.new, r.rejected) == (6, 2, 4)
    assert r.columns["投诉内容"] == "text" and r.columns["投诉渠道"] == "channel"
    rows = con.execute(
        "SELECT complaint_id, category, topic, region_code, region_from, channel, result, lon "
        "FROM complaint ORDER BY 1"
    ).fetchall()
    assert rows == [
        ("T1", "air", "odour", "110105", "point", "12369热线", "已办结", 116.49),
        ("T2", "noise", "night_construction_noise", "110108", "address", "微信", None, None),
    ]
    t1 = con.execute("SELECT received_at FROM complaint WHERE complaint_id = 'T1'").fetchone()
    assert t1 is not None and t1[0] == datetime(2026, 10, 1, 8, tzinfo=CST)
    assert (tmp_path / "c.csv.rejects.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    with (tmp_path / "c.csv.rejects.csv").open(encoding="utf-8-sig") as fh:
        rejects = [(r["row"], r["column"], r["reason"]) for r in csv.DictReader(fh)]
    assert rejects == [
        ("4", "投诉时间", "time is not a date-time"),
        ("5", "投诉内容", "text is empty"),
        ("6", "纬度", "lon and lat must both be given or both be empty"),
        ("7", "经度", "point outside China (lon 72..138, lat 0.8..56); swapped lon and lat?"),
    ]


def test_reload_is_idempotent_and_a_change_is_one_update(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = _write(tmp_path, "c.csv", ZH)
    load_complaints(con, path, write_rejects=False)
    again = load_complaints(con, path, write_rejects=False)
    assert again.already_loaded
    forced = load_complaints(con, path, write_rejects=False, force=True)
    assert (forced.new, forced.updated, forced.unchanged) == (0, 0, 2)
    changed = _write(tmp_path, "c2.csv", ZH.replace("化工厂异味刺鼻", "化工厂臭味"))
    r = load_complaints(con, changed, write_rejects=False)
    assert (r.new, r.updated, r.unchanged) == (0, 1, 1)
    assert con.execute("SELECT count(*), min(text) FROM complaint").fetchone() == (2, "化工厂臭味")


def test_rows_without_id_get_a_stable_one(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    text = "time,text,address\n2026-10-01 08:00,油烟扰民,北京市西城区\n"
    load_complaints(con, _write(tmp_path, "a.csv", text), write_rejects=False)
    load_complaints(con, _write(tmp_path, "b.csv", text + "\n"), write_rejects=False)
    (cid,) = con.execute("SELECT complaint_id FROM complaint").fetchone() or ("",)
    assert cid.startswith("C") and len(cid) == 17
    assert con.execute("SELECT count(*) FROM complaint").fetchone() == (1,)


def test_duplicate_ids_in_one_file(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    text = ("id,time,text\nX,2026-10-01 08:00,油烟扰民\nX,2026-10-01 08:00,油烟扰民\n"
            "X,2026-10-01 09:00,工地扬尘\n")  # fmt: skip
    r = load_complaints(con, _write(tmp_path, "d.csv", text))
    assert (r.new, r.rejected) == (1, 1)
    assert r.first_rejects[0].row == 4
    assert "rows 2, 4" in r.first_rejects[0].reason


def test_english_xlsx_with_gcj02_points(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["Ticket", "Received_At", "Content", "Address", "Lng", "Latitude", "Channel"])
    ws.append(
        ["E1", datetime(2026, 10, 1, 8, 0), "工厂冒黑烟", "Beijing", 116.4039, 39.9151, "web"]
    )
    path = tmp_path / "e.xlsx"
    wb.save(path)
    r = load_complaints(con, path, crs="gcj02", mapping={"Ticket": "id"})
    assert (r.new, r.rejected) == (1, 0)
    lon, lat, cat = con.execute("SELECT lon, lat, category FROM complaint").fetchone() or (0, 0, "")
    # GCJ-02 lies a few hundred metres from WGS84 in Beijing (north-east of it).
    moved = float(haversine_m(116.4039, 39.9151, lon, lat))
    assert 100 < moved < 1000 and lon < 116.4039 and lat < 39.9151
    assert cat == "air"


def test_parquet_typed_columns(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    table = pa.table({
        "received_at": pa.array([datetime(2026, 10, 1, 8, 0)], pa.timestamp("us")),
        "text": ["基站辐射"], "lon": [116.30], "lat": [39.98],
    })  # fmt: skip
    pq.write_table(table, tmp_path / "p.parquet")
    r = load_complaints(con, tmp_path / "p.parquet")
    assert (r.new, r.rejected) == (1, 0)
    got = con.execute("SELECT received_at, category, region_code FROM complaint").fetchone()
    assert got == (datetime(2026, 10, 1, 8, tzinfo=CST), "radiation", "110108")


def test_missing_columns_and_bad_options(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="no text column"):
        load_complaints(con, _write(tmp_path, "n.csv", "time,address\n2026-10-01,x\n"))
    with pytest.raises(LoadError, match="--crs"):
        load_complaints(con, _write(tmp_path, "o.csv", "time,text\n"), crs="bd09")
    with pytest.raises(LoadError, match="--map nope"):
        load_complaints(con, _write(tmp_path, "m.csv", "time,text\n"), mapping={"nope": "text"})
    assert con.execute("SELECT count(*) FROM complaint").fetchone() == (0,)


def test_a_region_code_that_is_no_division_gives_way_to_the_point(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    # 116.49, 39.97 lies in Chaoyang (110105), as T1 above; 110501 is 110105 mistyped.
    text = """工单号,投诉时间,投诉内容,事发地址,经度,纬度,行政区划代码
R1,2026-10-01 08:00,化工厂异味,北京市朝阳区酒仙桥路10号,116.49,39.97,000000
R2,2026-10-01 08:05,化工厂异味,北京市朝阳区酒仙桥路10号,116.49,39.97,110501
R3,2026-10-01 08:10,化工厂异味,北京市朝阳区酒仙桥路10号,,,999999
R4,2026-10-01 08:15,化工厂异味,北京市朝阳区酒仙桥路10号,116.49,39.97,110105
R5,2026-10-01 08:20,工地噪声,北京市海淀区中关村大街1号,,,110108
"""
    r = load_complaints(con, _write(tmp_path, "rc.csv", text))
    assert (r.new, r.rejected) == (4, 1)
    rows = con.execute(
        "SELECT complaint_id, region_code, region_from FROM complaint ORDER BY 1"
    ).fetchall()
    assert rows == [
        ("R1", "110105", "point; given 000000 is no GB/T 2260 division"),
        ("R2", "110105", "point; given 110501 is no GB/T 2260 division"),
        ("R4", "110105", "given"),
        ("R5", "110108", "given"),
    ]
    with (tmp_path / "rc.csv.rejects.csv").open(encoding="utf-8-sig") as fh:  # BOM: for Excel
        rejects = [(x["row"], x["column"], x["value"], x["reason"]) for x in csv.DictReader(fh)]
    assert rejects == [
        (
            "4",
            "行政区划代码",
            "999999",
            "not a GB/T 2260 division, and no lon/lat to place the complaint by",
        )
    ]


def test_full_width_digits_and_hotline_time_forms(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    text = """工单号,受理时间,投诉内容,经度,纬度,行政区划代码
W1,2026年11月22日 14时30分,油烟扰民,,,110105
W2,2026年11月22日14:30,油烟扰民,,,110105
W3,2026-11-22 14:30,油烟扰民,１１６．５１２,３９．９２,110105
W4,2026-11-22 14:30,工地扬尘,,,１１０１０５
W5,２０２６－１１－２２　１４：３０,工地扬尘,,,110105
"""
    r = load_complaints(con, _write(tmp_path, "w.csv", text))
    assert (r.new, r.rejected) == (5, 0), r.first_rejects
    rows = con.execute(
        "SELECT complaint_id, received_at, lon, lat, region_code FROM complaint ORDER BY 1"
    ).fetchall()
    at = datetime(2026, 11, 22, 14, 30, tzinfo=CST)
    assert rows == [
        ("W1", at, None, None, "110105"),
        ("W2", at, None, None, "110105"),
        ("W3", at, 116.512, 39.92, "110105"),
        ("W4", at, None, None, "110105"),
        ("W5", at, None, None, "110105"),
    ]


def test_excel_serial_times_in_xlsx_number_cells(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    from openpyxl import Workbook

    # Excel 1900 system by hand: 2024-01-01 is serial 45292, so 2026-01-01 is 45292 + 366 + 365
    # = 46023, and 46336 is 313 days later: 304 days to 1 November, 9 more, 10 November 2026.
    # .5 is noon; 14:30 is 14.5 / 24 = 0.6041666… of a day.
    wb = Workbook()
    ws = wb.active
    ws.append(["工单号", "受理时间", "投诉内容"])
    ws.append(["X1", 46336.5, "油烟扰民"])
    ws.append(["X2", 46336 + 14.5 / 24, "油烟扰民"])
    ws.append(["X3", 46336, "油烟扰民"])
    path = tmp_path / "x.xlsx"
    wb.save(path)
    r = load_complaints(con, path)
    assert (r.new, r.rejected) == (3, 0), r.first_rejects
    rows = con.execute("SELECT complaint_id, received_at FROM complaint ORDER BY 1").fetchall()
    assert rows == [
        ("X1", datetime(2026, 11, 10, 12, 0, tzinfo=CST)),
        ("X2", datetime(2026, 11, 10, 14, 30, tzinfo=CST)),
        ("X3", datetime(2026, 11, 10, 0, 0, tzinfo=CST)),
    ]
