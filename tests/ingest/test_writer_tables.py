"""The `emission` rows of a batch, column by column: each value under its packet's fields."""

from __future__ import annotations

from datetime import datetime

import pyarrow as pa

from ecohub.cst import CST
from ecohub.ingest.work import Work
from ecohub.ingest.writer_tables import EMISSION_SCHEMA, emission_table

T1 = datetime(2026, 11, 26, 10, 0, tzinfo=CST)
T2 = datetime(2026, 11, 26, 10, 1, tzinfo=CST)


def _work(mn: str, data_time: datetime, values: list[tuple[object, ...]], **extra: object) -> Work:
    return Work(
        "data", data_time.replace(second=7), "127.0.0.1:9", b"", mn=mn, st="31", cn="2051",
        qn=f"Q{mn}", edition="2017", data_time=data_time, values=values, **extra,  # type: ignore[arg-type]
    )  # fmt: skip


def test_rows_carry_their_own_packet_fields() -> None:
    a = _work("MNA", T1, [
        ("a21026", 1.5, 2.0, None, 3.0, None, None, 4.25, "N", '{"a21026-Rtd":"1.5"}', False),
        ("a34013", None, 0, 0.0, None, 12.0, None, None, None, '{"a34013-Avg":"0"}', True),
    ], deviation="sparse", registered=False)  # fmt: skip
    b = _work("MNB", T2, [
        ("a19001", 20.0, None, None, None, None, 7.0, None, "D", '{"a19001-Rtd":"20"}', False),
    ], incomplete=True)  # fmt: skip
    got = emission_table([a, b]).to_pylist()
    # Expected rows written out by hand, one per value, in the batch's order.
    expected = [
        {"mn": "MNA", "cn": "2051", "data_time": T1, "pollutant": "a21026", "rtd": 1.5,
         "avg": 2.0, "min": None, "max": 3.0, "cou": None, "zs_rtd": None, "zs_avg": 4.25,
         "flag": "N", "fields": '{"a21026-Rtd":"1.5"}', "below_detection": False, "qn": "QMNA",
         "st": "31", "edition": "2017", "deviation": "sparse", "registered": False,
         "received_at": T1.replace(second=7), "incomplete": False},
        {"mn": "MNA", "cn": "2051", "data_time": T1, "pollutant": "a34013", "rtd": None,
         "avg": 0.0, "min": 0.0, "max": None, "cou": 12.0, "zs_rtd": None, "zs_avg": None,
         "flag": None, "fields": '{"a34013-Avg":"0"}', "below_detection": True, "qn": "QMNA",
         "st": "31", "edition": "2017", "deviation": "sparse", "registered": False,
         "received_at": T1.replace(second=7), "incomplete": False},
        {"mn": "MNB", "cn": "2051", "data_time": T2, "pollutant": "a19001", "rtd": 20.0,
         "avg": None, "min": None, "max": None, "cou": None, "zs_rtd": 7.0, "zs_avg": None,
         "flag": "D", "fields": '{"a19001-Rtd":"20"}', "below_detection": False, "qn": "QMNB",
         "st": "31", "edition": "2017", "deviation": None, "registered": True,
         "received_at": T2.replace(second=7), "incomplete": True},
    ]  # fmt: skip
    assert got == expected


def test_no_packets_make_an_empty_table_of_the_schema() -> None:
    empty = emission_table([])
    assert empty.num_rows == 0
    assert empty.schema == EMISSION_SCHEMA
    assert isinstance(empty, pa.Table)
