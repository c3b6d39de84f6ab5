"""Data uploads as `emission` rows: below-detection values and the 2005 converted (z) codes."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecohub.ingest.emission_rows import Rejected, emission_values, rows_of
from ecohub.protocols import hj212
from ecohub.protocols.hj212.codec import frame_segment
from ecohub.protocols.hj212.errors import MalformedNumber
from ecohub.protocols.hj212.numbers import parse_number

# Row layout: pollutant, rtd, avg, min, max, cou, zs_rtd, zs_avg, flag, fields, below_detection.
BELOW = 10


def packet(cp: str, *, flag: str = "Flag=5;", qn: str = "QN=20260101120000123;") -> hj212.Packet:
    seg = f"{qn}ST=31;CN=2011;PW=123456;MN=88888880000001;{flag}CP=&&DataTime=20260101120000;{cp}&&"
    return hj212.parse(frame_segment(seg.encode()))


def test_below_detection_value_keeps_its_limit_and_marks_the_row() -> None:
    (row,) = rows_of({"w21003": {"Min": "0.025L", "Avg": "0.031", "Max": "0.06L"}})
    assert row[3] == 0.025 and row[2] == 0.031 and row[4] == 0.06
    assert row[BELOW] is True and len(row) == 11
    (plain,) = rows_of({"w21003": {"Avg": "0.031"}})
    assert plain[BELOW] is False


@pytest.mark.parametrize(
    ("text", "why"),
    [("L", "not a number"), ("-0.1L", "cannot carry a sign"), ("0.1LL", "not a number"),
     ("nanL", "not a number"), ("1e-400", "not a number"), ("١٢", "not a number"),
     ("１２", "not a number"), ("1_000", "not a number"), (" 5 ", "not a number"),
     ("12345678901234567890", "19 significant digits"), ("1e1", "not a number"),
     ("5\n6", "not a number")],
)  # fmt: skip
def test_values_outside_hj212_number_syntax_are_rejected_naming_the_field(
    text: str, why: str
) -> None:
    with pytest.raises(Rejected, match=rf"CP\.w21003-Avg: .*{why}"):
        rows_of({"w21003": {"Avg": text}})


@given(st.decimals(min_value=0, max_value=Decimal("1e6"), places=4, allow_nan=False))
def test_any_decimal_limit_reads_back(limit: Decimal) -> None:
    (row,) = rows_of({"a21026": {"Rtd": f"{limit}L"}})
    assert row[1] == float(limit) and row[BELOW]


def test_2005_z_codes_become_the_zs_fields_of_their_pollutant() -> None:
    pkt = packet("02-Rtd=10,02-Flag=N;02z-Rtd=20,02z-Min=1,02z-Flag=N", flag="", qn="")
    assert pkt.edition == "2005"
    _, rows = emission_values(pkt)
    (row,) = rows
    assert row[0] == "a21026" and row[1] == 10.0 and row[6] == 20.0 and row[8] == "N"
    assert '"ZsMin":"1"' in row[9] and '"ZsFlag":"N"' in row[9]


def test_two_items_on_one_2005_field_reject_the_packet() -> None:
    pkt = packet("02-Rtd=10;02z-Rtd=20;a21026-Rtd=30", flag="", qn="")
    with pytest.raises(Rejected, match=r"CP\.a21026-Rtd: a21026 Rtd is given twice"):
        emission_values(pkt)
    same = packet("02-Rtd=10;a21026-Rtd=10", flag="", qn="")  # the same text twice is stored
    assert [r[1] for r in emission_values(same)[1]] == [10.0]


def test_2017_codes_are_not_mapped() -> None:
    _, rows = emission_values(packet("a21026-Rtd=1;a21026z-Rtd=2"))
    assert [r[0] for r in rows] == ["a21026", "a21026z"]


numeric_text = st.one_of(
    st.from_regex(r"\A[+-]?[0-9]{1,20}(\.[0-9]{1,20})?L?\Z"),
    st.text(alphabet="0123456789.-+L eE_\n١", max_size=20),
)


@given(st.lists(numeric_text, min_size=1, max_size=6))
def test_the_fast_path_gives_exactly_what_parse_number_gives(texts: list[str]) -> None:
    # rows_of converts a packet's plain numbers with float() after one regex pass: the result
    # (value, or rejection) must be parse_number's for every text.
    groups = {f"c{i}": {"Rtd": t} for i, t in enumerate(texts)}
    try:
        expected: list[float | None] | None = [parse_number(t).value if t else None for t in texts]
    except MalformedNumber:
        expected = None
    try:
        got: list[float | None] | None = [row[1] for row in rows_of(groups)]
    except Rejected:
        got = None
    assert got == expected
    if got is not None and expected is not None:  # -0 is stored as 0, never as -0.0
        assert [math.copysign(1, v) for v in got if v is not None] == [
            math.copysign(1, v) for v in expected if v is not None
        ]


def test_a_cp_key_that_cannot_be_stored_rejects_the_upload() -> None:
    with pytest.raises(Rejected, match=r"CP\.SNO: not a code-Field item"):
        emission_values(packet("SNO=1;a21026-Rtd=1"))
