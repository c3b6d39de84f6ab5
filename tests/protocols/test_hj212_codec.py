"""parse / build / Packet behaviour beyond the vectors: editions, encodings, CP forms."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

import ecohub.protocols.hj212 as hj212
from ecohub.protocols.hj212 import (
    CrcMismatch,
    LengthMismatch,
    MalformedCP,
    MalformedField,
    Packet,
    ProtocolError,
    build,
    parse,
)
from ecohub.protocols.hj212.codec import frame_segment

MINUTE = (
    b"##0133QN=20260101120000123;ST=31;CN=2051;PW=123456;MN=EXAMPLE0000000001;Flag=5;"
    b"CP=&&DataTime=20260101115000;a21026-Avg=12.5,a21026-Flag=N&&E101\r\n"
)


def test_exported_members() -> None:
    assert set(hj212.__all__) == {
        "parse",
        "build",
        "Packet",
        "ProtocolError",
        "BadHeader",
        "LengthMismatch",
        "CrcMismatch",
        "MissingField",
        "MalformedField",
        "MalformedCP",
        "MalformedNumber",
        "Number",
        "parse_number",
        "analyse",
        "Analysis",
        "is_valid_mn",
        "Framer",
        "FramingError",
        "diagnose",
        "request_answer",
        "execution_result",
        "notification_answer",
        "data_answer",
        "answer_for",
        "EDITIONS",
        "DEVIATIONS",
    }
    for name in hj212.__all__:
        assert hasattr(hj212, name)
    assert hj212.EDITIONS == ("2005", "2017", "2025")


def test_error_family() -> None:
    for name in ("BadHeader", "LengthMismatch", "CrcMismatch", "MissingField"):
        assert issubclass(getattr(hj212, name), ProtocolError)
    assert issubclass(MalformedField, ProtocolError)
    assert issubclass(MalformedCP, ProtocolError)
    with pytest.raises(CrcMismatch) as info:
        parse(MINUTE.replace(b"E101", b"E102"))
    assert (info.value.expected, info.value.actual, info.value.field) == (0xE101, 0xE102, "crc")


def test_packet_fields() -> None:
    packet = parse(MINUTE)
    assert isinstance(packet, Packet)
    assert (packet.qn, packet.st, packet.cn, packet.pw, packet.mn) == (
        "20260101120000123",
        "31",
        "2051",
        "123456",
        "EXAMPLE0000000001",
    )
    assert packet.flag == 5 and packet.flag_info == (1, True, False) and packet.wants_answer
    assert packet.cp == {"DataTime": "20260101115000", "a21026-Avg": "12.5", "a21026-Flag": "N"}
    assert list(packet.cp) == ["DataTime", "a21026-Avg", "a21026-Flag"]
    assert packet.raw == MINUTE and packet.crc_ok and packet.deviation is None
    assert packet.data_time == datetime(2026, 1, 1, 11, 50, tzinfo=timezone(timedelta(hours=8)))
    assert packet.pollutants() == {"a21026": {"Avg": "12.5", "Flag": "N"}}
    with pytest.raises(AttributeError):
        packet.qn = "x"  # type: ignore[misc]


def test_to_json_is_the_cli_form() -> None:
    assert parse(MINUTE).to_json() == {
        "qn": "20260101120000123",
        "st": "31",
        "cn": "2051",
        "pw": "123456",
        "mn": "EXAMPLE0000000001",
        "flag": 5,
        "pnum": None,
        "pno": None,
        "crc_ok": True,
        "edition": "2017",
        "cp": {"DataTime": "20260101115000", "a21026": {"Avg": "12.5", "Flag": "N"}},
    }
    assert parse(MINUTE).to_json(include_deviation=True)["deviation"] is None


@pytest.mark.parametrize(
    "data_time",
    ["20261399000000", "00010101000000", "99991231235959", "2026010112000", "2026-01-01 12:00"],
)
def test_malformed_data_time_is_a_malformed_field(data_time: str) -> None:
    """DataTime is YYYYMMDDhhmmss (2017 6.3.3 / Appendix A), a real time in 1990..2099."""
    segment = (
        "QN=20260101120000123;ST=31;CN=2051;PW=1;MN=M1;Flag=4;"
        f"CP=&&DataTime={data_time};a21026-Rtd=1&&"
    )
    with pytest.raises(MalformedField) as info:
        parse(frame_segment(segment.encode()))
    assert info.value.field == "DataTime"
    assert "DataTime" in info.value.detail


def test_gbk_segment_decodes_and_counts_bytes() -> None:
    segment = (
        "QN=20260101120000123;ST=31;CN=2051;PW=123456;MN=EXAMPLE0000000001;Flag=4;"
        "CP=&&i11001-Info=//设备正常//&&"
    ).encode("gbk")
    packet = parse(frame_segment(segment))
    assert packet.cp["i11001-Info"] == "//设备正常//"


def test_neither_utf8_nor_gbk() -> None:
    segment = b"QN=20260101120000123;ST=31;CN=2051;PW=1;MN=M;Flag=4;CP=&&a=\xff\xff&&"
    with pytest.raises(MalformedField):
        parse(frame_segment(segment))


def test_length_chars_needs_lenient() -> None:
    segment = "QN=20260101120000123;ST=31;CN=2051;PW=1;MN=M;Flag=4;CP=&&a=污染&&"
    data = segment.encode("utf-8")
    frame = b"##%04d%s%s" % (len(segment), data, frame_segment(data)[-6:-2])
    with pytest.raises(LengthMismatch):
        parse(frame)
    assert parse(frame, lenient=True).deviation == "length_chars"


def test_repeated_cp_key_joins_values() -> None:
    segment = b"QN=20040516010101001;ST=32;CN=3014;PW=123456;MN=8888888;CP=&&CTime=04,CTime=10&&"
    packet = parse(frame_segment(segment))
    assert packet.cp == {"CTime": "04,10"} and packet.edition == "2005"


def test_build_round_trip_with_groups() -> None:
    cp = {
        "DataTime": "20260101115000",
        "a34004": {"Avg": "35.2", "Min": "30.1", "Max": "40.0", "Flag": "N"},
        "a21026": {"Avg": "12.5", "Flag": "N"},
    }
    frame = build(
        st="22", cn="2051", pw="123456", mn="AIR0001", cp=cp, qn="20260101120000123", flag=5
    )
    assert frame.endswith(b"\r\n")
    packet = parse(frame)
    assert packet.pollutants()["a34004"] == cp["a34004"]
    assert packet.to_json()["cp"] == cp
    assert b"a34004-Avg=35.2,a34004-Min=30.1,a34004-Max=40.0,a34004-Flag=N;a21026" in frame


def test_build_rejects_what_would_not_read_back() -> None:
    with pytest.raises(ProtocolError):
        build(st="31", cn="2051", pw="1", mn="M", cp={"a": "1;b=2"}, qn="20260101120000123", flag=4)
    with pytest.raises(ProtocolError):
        build(st="3", cn="2051", pw="1", mn="M", cp={})


def test_parse_rejects_other_types_with_protocol_error() -> None:
    with pytest.raises(ProtocolError):
        parse(12345)  # type: ignore[arg-type]
    with pytest.raises(ProtocolError):
        parse("\ud800")
    assert parse(bytearray(MINUTE)).cn == "2051"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("20260101115000", datetime(2026, 1, 1, 11, 50, tzinfo=timezone(timedelta(hours=8)))),
        ("20240229235959", datetime(2024, 2, 29, 23, 59, 59, tzinfo=timezone(timedelta(hours=8)))),
        ("20250229000000", None),  # not a leap year
        ("20260101246000", None),  # hour 24
        ("2026010111500", None),  # 13 digits
        ("2026010111500０", None),  # a full-width digit: isdigit() but not ASCII
    ],
)
def test_data_time_of_a_packet(text: str, expected: datetime | None) -> None:
    # A packet's CP as a lenient parse or a replayed log may hold it (a strict parse refuses
    # a malformed DataTime). Twice: the second read is a remembered conversion, the same.
    pkt = parse(MINUTE)._replace(cp={"DataTime": text, "a21026-Avg": "12.5"})
    for _ in range(2):
        assert pkt.data_time == expected
    assert parse(MINUTE)._replace(cp={"a21026-Avg": "12.5"}).data_time is None
