"""Answers in the sender's edition, and which packets want which answer."""

from __future__ import annotations

import pytest

from ecohub.protocols.hj212 import (
    answer_for,
    build,
    data_answer,
    execution_result,
    notification_answer,
    parse,
    request_answer,
)

QN = "20260101120000123"


def packet(cn: str, flag: int | None, *, st: str = "31", qn: str | None = QN):
    return parse(build(st=st, cn=cn, pw="123456", mn="EXAMPLE0000000001", cp={}, qn=qn, flag=flag))


def segment(frame: bytes) -> bytes:
    assert frame.endswith(b"\r\n")
    parse(frame)  # every answer is itself a valid frame
    return frame[6:-6]


def test_data_answer_2017_is_the_worked_example() -> None:
    frame = data_answer(packet("2051", 5))
    assert frame == (
        b"##0080QN=20260101120000123;ST=91;CN=9014;PW=123456;MN=EXAMPLE0000000001;Flag=4;"
        b"CP=&&&&C0C1\r\n"
    )


def test_2025_answers_keep_version_bits() -> None:
    assert b";Flag=8;" in data_answer(packet("9015", 9))
    assert parse(data_answer(packet("9015", 9))).edition == "2025"


def test_2005_answers_carry_qn_in_cp() -> None:
    pkt = packet("1012", 1, st="32")
    assert pkt.edition == "2005"
    assert segment(request_answer(pkt)) == (
        b"ST=91;CN=9011;PW=123456;MN=EXAMPLE0000000001;Flag=0;CP=&&QN=20260101120000123;QnRtn=1&&"
    )
    assert segment(execution_result(pkt, 2)) == (
        b"ST=91;CN=9012;PW=123456;MN=EXAMPLE0000000001;CP=&&QN=20260101120000123;ExeRtn=2&&"
    )
    assert segment(notification_answer(pkt)) == (
        b"ST=91;CN=9013;PW=123456;MN=EXAMPLE0000000001;CP=&&QN=20260101120000123&&"
    )
    assert segment(data_answer(pkt)).endswith(
        b"CN=9014;PW=123456;MN=EXAMPLE0000000001;CP=&&QN=20260101120000123&&"
    )


def test_2017_request_and_execution() -> None:
    pkt = packet("1014", 9)
    assert b"CN=9011" in request_answer(pkt) and b"CP=&&QnRtn=1&&" in request_answer(pkt)
    assert b"CP=&&ExeRtn=1&&" in execution_result(pkt)
    assert b"CN=9013" in notification_answer(pkt)


@pytest.mark.parametrize(
    ("cn", "flag", "st", "expected"),
    [
        ("2051", 5, "31", "9014"),  # upload, A set
        ("2051", 4, "31", None),  # upload, A clear
        ("2061", 9, "32", "9014"),  # 2025 upload
        ("9015", 9, "32", "9014"),  # 2025 heartbeat wants 9014 when A set
        ("9015", 8, "32", None),
        ("1014", 8, "32", "9011"),  # 2025 key exchange request from the logger
        ("1013", 5, "31", "9013"),  # 2017 time-calibration notification
        ("1013", 4, "31", None),
        ("9011", 5, "91", None),  # answers are not answered
        ("9014", 5, "91", None),
        ("2072", None, "32", "9013"),  # 2005 alarm event notification
        ("2011", None, "32", None),  # 2005 upload without Flag
        ("2011", 1, "32", "9014"),  # 2005 upload with A bit
        ("4321", 5, "31", "9014"),  # unknown CN, A set
    ],
)
def test_answer_for(cn: str, flag: int | None, st: str, expected: str | None) -> None:
    qn = None if flag is None else QN
    answer = answer_for(packet(cn, flag, st=st, qn=qn))
    if expected is None:
        assert answer is None
    else:
        assert answer is not None and parse(answer).cn == expected
