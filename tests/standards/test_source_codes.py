"""HJ 608-2017 fixed-pollution-source and outlet codes, and the provisional H9 form."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecohub.standards import source_codes as sc
from ecohub.standards import uscc
from ecohub.standards.errors import InvalidCode, InvalidValue

from ._vectors import cases


@pytest.mark.parametrize("case", cases("source_code_cases.csv"))
def test_source_code_cases(case: dict[str, str]) -> None:
    source = case["kind"] == "source"
    validate = sc.validate_source_code if source else sc.validate_outlet_code
    is_valid = sc.is_valid_source_code if source else sc.is_valid_outlet_code
    if case["valid"] == "1":
        assert validate(case["input"]) == case["normalized"]
        assert is_valid(case["input"])
        if source:
            parsed = sc.parse_source_code(case["input"])
            assert (parsed.uscc, parsed.seq, parsed.letter) == (
                case["main"],
                int(case["seq"]),
                case["letter"],
            )
            assert str(parsed) == case["normalized"]
        else:
            outlet = sc.parse_outlet_code(case["input"])
            assert (outlet.medium, outlet.seq) == (case["main"], int(case["seq"]))
            assert str(outlet) == case["normalized"]
    else:
        assert not is_valid(case["input"])
        with pytest.raises(InvalidCode) as err:
            validate(case["input"])
        assert err.value.field == case["error_field"]


def test_build_examples() -> None:
    assert sc.build_source_code("91130200699229617X", 1) == "91130200699229617X001P"
    assert sc.build_outlet_code("air", 1) == "DA001"
    assert sc.build_outlet_code("废水", 1) == "DW001"
    code = sc.build_provisional_code("130203", 42)
    assert code == "H9130203000000042m001P"
    assert sc.parse_source_code(code).provisional
    assert not sc.parse_source_code("91130200699229617X001P").provisional
    with pytest.raises(InvalidValue):
        sc.build_outlet_code("noise", 1)
    with pytest.raises(InvalidValue):
        sc.build_source_code("91130200699229617X", 1000)
    with pytest.raises(InvalidCode):
        sc.build_provisional_code("1302", 1)


def test_provisional_check_letter_catches_single_substitutions() -> None:
    main = sc.build_provisional_code("130203", 42)[:18]
    for pos in range(2, 17):
        for digit in "0123456789":
            if digit == main[pos]:
                continue
            wrong = main[:pos] + digit + main[pos + 1 : 17]
            assert sc.provisional_check_letter(wrong) != main[17]


regions = st.from_regex(r"[1-8][0-9]{5}", fullmatch=True)


@given(regions, st.integers(1, 99_999), st.integers(1, 999))
def test_provisional_round_trip_and_never_a_uscc(region: str, seq: int, source_seq: int) -> None:
    code = sc.build_provisional_code(region, seq, source_seq)
    assert len(code) == 22
    parsed = sc.parse_source_code(code)
    assert (parsed.seq, parsed.letter) == (source_seq, "P")
    assert sc.compact(code) == code
    # The main code can never be taken for a USCC, typed in any case.
    assert not uscc.is_valid(parsed.uscc)
    assert not uscc.is_valid(parsed.uscc.upper())


@given(
    st.text(alphabet="0123456789", min_size=6, max_size=6),
    st.text(alphabet=uscc.ALPHABET, min_size=9, max_size=9),
    st.integers(1, 999),
)
def test_uscc_round_trip(region: str, org: str, seq: int) -> None:
    body = "91" + region + org
    code = body + uscc.check_char(body)
    built = sc.build_source_code(code, seq)
    assert sc.parse_source_code(built) == sc.SourceCode(code, seq, "P")


@given(st.sampled_from(["air", "water", "gas", "废气", "废水"]), st.integers(1, 999))
def test_outlet_round_trip(medium: str, seq: int) -> None:
    parsed = sc.parse_outlet_code(sc.build_outlet_code(medium, seq))
    assert parsed.seq == seq and parsed.medium in ("air", "water")


@given(st.text(max_size=30))
def test_compact_idempotent_and_never_raises(text: str) -> None:
    once = sc.compact(text)
    assert sc.compact(once) == once
    assert sc.is_valid_source_code(text) in (True, False)
    assert sc.is_valid_outlet_code(text) in (True, False)
