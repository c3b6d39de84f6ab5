"""Lenient reading: any combination of known deviations, named; one pass per frame; bounded.

Frames are written here by hand (segment text) and framed with a bit-by-bit CRC written from
the standard's text (and CRC-16/MODBUS's), not with the codec's own CRC code.
"""

from __future__ import annotations

import itertools
import sys
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ecohub.protocols import hj212
from ecohub.protocols.hj212 import (
    DEVIATIONS,
    LengthMismatch,
    MalformedCP,
    MissingField,
    ProtocolError,
    analyse,
    diagnose,
    parse,
)
from ecohub.protocols.hj212 import codec as codec_module
from ecohub.protocols.hj212.constants import MAX_CP_ITEMS

HERE = Path(codec_module.__file__).parent  # the codec package


def crc_text(data: bytes) -> int:
    """HJ 212-2017 6.3.1 appendix, bit by bit."""
    crc = 0xFFFF
    for byte in data:
        crc = (crc >> 8) ^ byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def crc_modbus(data: bytes) -> int:
    """CRC-16/MODBUS, bit by bit: the byte is XORed into the low byte, no shift first."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def frame(segment: str, *, modbus: bool = False, chars: bool = False) -> bytes:
    data = segment.encode("utf-8")
    length = len(segment) if chars else len(data)
    crc = (crc_modbus if modbus else crc_text)(data)
    return b"##%04d%s%04X\r\n" % (length, data, crc)


# -- HJ/T 212-2005: the D bit without PNUM/PNO ---------------------------------------------

# HJ/T 212-2005's appendix example of an upper-computer request (set the field unit's time).
EXAMPLE_2005 = (
    "QN=20040516010101001;ST=32;CN=1012;PW=123456;MN=88888880000001;Flag=3;"
    "CP=&&SystemTime=20040516010101&&"
)


def test_2005_example_flag3_is_strictly_valid_and_marked() -> None:
    packet = parse(frame(EXAMPLE_2005))
    assert packet.edition == "2005"
    assert packet.flag == 3 and packet.pnum is None and packet.pno is None
    assert packet.d_without_pnum is True
    assert packet.deviations == () and packet.deviation is None
    assert packet.wants_answer


def test_2005_split_packet_with_numbers_is_not_marked() -> None:
    segment = EXAMPLE_2005.replace("Flag=3;", "Flag=3;PNUM=2;PNO=1;")
    packet = parse(frame(segment))
    assert (packet.pnum, packet.pno, packet.d_without_pnum) == (2, 1, False)


@pytest.mark.parametrize("flag", [6, 7, 10, 11])
def test_2017_2025_d_bit_without_numbers_is_a_named_deviation(flag: int) -> None:
    segment = (
        f"QN=20260101120000123;ST=31;CN=2051;PW=123456;MN=M1;Flag={flag};"
        "CP=&&DataTime=20260101115000;a21026-Rtd=1&&"
    )
    with pytest.raises(MissingField) as info:
        parse(frame(segment))
    assert info.value.field == "PNUM"
    packet = parse(frame(segment), lenient=True)
    assert packet.deviations == ("flag_d_without_pnum",) and packet.d_without_pnum
    assert packet.edition == ("2017" if flag < 8 else "2025")


def test_one_packet_number_without_the_other_is_never_accepted() -> None:
    segment = EXAMPLE_2005.replace("Flag=3;", "Flag=3;PNO=1;")
    for lenient in (False, True):
        with pytest.raises(MissingField, match="PNUM"):
            parse(frame(segment), lenient=lenient)


# -- any combination of deviations ---------------------------------------------------------

CODE_COLLISION = "g11901-Avg=95.1"  # 2017 Appendix B prints g119xx with two meanings


def deviant_segment(names: frozenset[str], flag_version: int) -> str:
    """A 2017/2025 upload showing exactly the deviations in ``names`` (except the frame-level
    ``crc_modbus`` and ``length_chars``, applied by ``frame``)."""
    flag = (flag_version << 2) | 1 | (2 if "flag_d_without_pnum" in names else 0)
    head = [] if "no_qn" in names else ["QN=20260101120000123"]
    st_code = "032" if "st_3digit" in names else "32"
    head += [f"ST={st_code}", "CN=2051", "PW=123456", "MN=EXAMPLE0000000001", f"Flag={flag}"]
    sep = "," if "comma_separator" in names else ";"
    cp = ["DataTime=20260101115000", "a21026-Avg=12.5,a21026-Flag=N"]
    if "code_collision" in names:
        cp.append(CODE_COLLISION)
    if "length_chars" in names:
        cp.append("i11001-Info=设备正常")  # non-ASCII: bytes and characters differ
    return sep.join(head) + sep + "CP=&&" + ";".join(cp) + "&&"


@settings(max_examples=200, deadline=None)
@given(st.sets(st.sampled_from(DEVIATIONS)), st.sampled_from([1, 2]))
def test_any_combination_is_accepted_and_every_deviation_named(
    chosen: set[str], version: int
) -> None:
    names = frozenset(chosen)
    segment = deviant_segment(names, version)
    data = segment.encode("utf-8")
    assume(crc_modbus(data) != crc_text(data))  # else the MODBUS CRC is no deviation
    raw = frame(segment, modbus="crc_modbus" in names, chars="length_chars" in names)
    expected = tuple(name for name in DEVIATIONS if name in names)

    packet = parse(raw, lenient=True)
    assert packet.deviations == expected
    assert packet.deviation == ("+".join(expected) or None)
    assert packet.cn == "2051" and packet.mn == "EXAMPLE0000000001"
    assert packet.cp["a21026-Avg"] == "12.5" and packet.cp["DataTime"] == "20260101115000"
    assert packet.crc_ok is ("crc_modbus" not in names)
    assert packet.raw == raw

    result = analyse(raw)
    assert result.packet == packet
    assert diagnose(raw) == result.would_pass == (("+".join(expected)) if expected else None)
    if expected:
        with pytest.raises(ProtocolError) as info:
            parse(raw)
        # analyse's strict verdict is exactly what a strict parse raises.
        assert result.error is not None
        assert type(result.error) is type(info.value)
        assert result.error.detail == info.value.detail
    else:
        assert result.error is None and parse(raw) == packet


def test_issue_example_no_qn_modbus_and_character_length() -> None:
    segment = deviant_segment(frozenset({"no_qn", "length_chars"}), 1)
    raw = frame(segment, modbus=True, chars=True)
    with pytest.raises(LengthMismatch):
        parse(raw)
    packet = parse(raw, lenient=True)
    assert packet.deviations == ("length_chars", "crc_modbus", "no_qn")
    assert packet.deviation == "length_chars+crc_modbus+no_qn"
    assert diagnose(raw) == "length_chars+crc_modbus+no_qn"


def test_deviation_plus_real_error_is_rejected_with_the_strict_error() -> None:
    segment = deviant_segment(frozenset({"no_qn"}), 1).replace("CN=2051", "CN=20X1")
    raw = frame(segment, modbus=True)
    result = analyse(raw)
    assert result.packet is None and result.would_pass is None
    assert isinstance(result.error, hj212.CrcMismatch)  # the first failure, as strict says
    with pytest.raises(hj212.CrcMismatch):
        parse(raw, lenient=True)


# -- one pass per frame ---------------------------------------------------------------------


def count_calls(func: Callable[[], Any], name: str) -> int:
    """How many times the codec function ``name`` runs while ``func`` runs."""
    seen = 0

    def tracer(frame_: FrameType, event: str, arg: object) -> None:
        nonlocal seen
        code = frame_.f_code
        if event == "call" and code.co_name == name and Path(code.co_filename).parent == HERE:
            seen += 1

    old = sys.getprofile()
    sys.setprofile(tracer)
    try:
        func()
    finally:
        sys.setprofile(old)
    return seen


@pytest.mark.parametrize("names", [frozenset(), frozenset({"st_3digit"}), frozenset(DEVIATIONS)])
def test_a_rejected_frame_is_read_once(names: frozenset[str]) -> None:
    segment = deviant_segment(names, 1)
    raw = frame(segment, modbus="crc_modbus" in names, chars="length_chars" in names)
    # analyse: one pass (_read), one CP parse, whatever the outcome.
    assert count_calls(lambda: analyse(raw), "_read") == 1
    assert count_calls(lambda: analyse(raw), "parse_cp") == 1
    assert count_calls(lambda: diagnose(raw), "_read") == 1
    assert count_calls(lambda: parse(raw, lenient=True), "_read") == 1


# -- bounded work ---------------------------------------------------------------------------


def count_lines(func: Callable[[], Any]) -> int:
    """Python lines executed in the codec package while ``func`` runs (work, not time)."""
    here = Path(codec_module.__file__).parent
    lines = 0

    def local(frame_: FrameType, event: str, arg: object) -> Any:
        nonlocal lines
        if event == "line":
            lines += 1
        return local

    def tracer(frame_: FrameType, event: str, arg: object) -> Any:
        return local if Path(frame_.f_code.co_filename).parent == here else None

    old = sys.gettrace()
    sys.settrace(tracer)
    try:
        func()
    finally:
        sys.settrace(old)
    return lines


def hostile(items: int, sep: str = ",") -> bytes:
    """``items`` CP items: one key and bare ``,x`` continuations (the fuzzing session's
    frame), or ``a=//x//;`` items that only the item-by-item reader can read."""
    cp = "a=1" + ",x" * (items - 1) if sep == "," else ";".join(["a=//x//"] * items)
    return frame(f"QN=20260101120000123;ST=31;CN=2051;PW=1;MN=M;Flag=4;CP=&&{cp}&&")


# The largest frame of each kind that fits the 4-digit length (about 10 kB).
LARGEST = {",": 4900, ";": 1240}


@pytest.mark.parametrize("sep", [",", ";"])
def test_cp_items_are_capped(sep: str) -> None:
    assert parse(hostile(MAX_CP_ITEMS, sep))  # at the cap: read
    with pytest.raises(MalformedCP, match="MAX_CP_ITEMS") as info:
        parse(hostile(MAX_CP_ITEMS + 1, sep))
    assert info.value.field == "CP"
    # A 10 kB frame stops at the cap: its work is that of MAX_CP_ITEMS + 1 items.
    big = hostile(LARGEST[sep], sep)
    assert 9000 < len(big) < 10011
    at_cap = count_lines(lambda: analyse(hostile(MAX_CP_ITEMS + 1, sep)))
    assert count_lines(lambda: analyse(big)) <= at_cap + 5


@pytest.mark.parametrize("sep", [",", ";"])
def test_work_grows_linearly_with_items(sep: str) -> None:
    small = count_lines(lambda: analyse(hostile(200, sep)))
    large = count_lines(lambda: analyse(hostile(800, sep)))
    assert large <= 4.2 * small  # 4x the items: at most ~4x the work, never 16x


@pytest.mark.parametrize("sep", [",", ";"])
def test_worst_frame_costs_a_fixed_amount_per_item(sep: str) -> None:
    # About 26 traced lines per item at most, whatever the frame.
    for raw in (hostile(MAX_CP_ITEMS, sep), hostile(LARGEST[sep], sep)):
        assert count_lines(lambda: analyse(raw)) <= 30 * MAX_CP_ITEMS  # noqa: B023


def test_lenient_reading_of_a_valid_packet_costs_no_more() -> None:
    minute = frame(
        "QN=20260101120000123;ST=22;CN=2051;PW=123456;MN=010000A8900016F000169DC0;Flag=5;"
        "CP=&&DataTime=20260101115000;"
        + ";".join(
            f"{code}-Avg=10.25,{code}-Min=5.10,{code}-Max=20.75,{code}-Flag=N"
            for code in ("a34004", "a34002", "a21026", "a21004", "a21005", "a05024")
        )
        + "&&"
    )
    assert count_lines(lambda: analyse(minute)) <= count_lines(lambda: parse(minute)) + 10


def test_combinations_listed_in_docs_order() -> None:
    # Every pair of deviations keeps DEVIATIONS order in the joined name.
    for a, b in itertools.combinations(DEVIATIONS, 2):
        raw = frame(
            deviant_segment(frozenset({a, b}), 1),
            modbus="crc_modbus" in (a, b),
            chars="length_chars" in (a, b),
        )
        assert diagnose(raw) == f"{a}+{b}"
