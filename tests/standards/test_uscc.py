"""GB 32100-2015 unified social credit codes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecohub.standards import uscc
from ecohub.standards.errors import InvalidCode

from ._vectors import cases

GOOD = "91130200699229617X"


@pytest.mark.parametrize("case", cases("uscc_cases.csv"))
def test_uscc_cases(case: dict[str, str]) -> None:
    code = case["input"]
    if case["valid"] == "1":
        assert uscc.validate(code) == case["normalized"]
        # is_valid is strict: only the code exactly as the standard writes it.
        assert uscc.is_valid(code) is (code == case["normalized"])
        assert uscc.is_valid(case["normalized"])
        assert uscc.explain(code) == ""
    else:
        assert not uscc.is_valid(code)
        with pytest.raises(InvalidCode) as err:
            uscc.validate(code)
        assert err.value.field == case["error_field"]
        assert uscc.explain(code) == str(err.value)


@pytest.mark.parametrize("position", range(18))
def test_every_wrong_position_is_caught(position: int) -> None:
    """Any single substituted character, at any position, makes the code invalid (4.5)."""
    for c in uscc.ALPHABET:
        if c == GOOD[position]:
            continue
        wrong = GOOD[:position] + c + GOOD[position + 1 :]
        assert not uscc.is_valid(wrong), wrong


def test_check_char_and_parts() -> None:
    assert uscc.check_char(GOOD[:17]) == "X"
    assert uscc.registration_authority(GOOD) == "9"
    assert uscc.authority_name(GOOD) == "工商"
    assert uscc.organisation_type(GOOD) == "1"
    assert uscc.organisation_type_name(GOOD) == "企业"
    assert uscc.admin_division(GOOD) == "130200"
    assert uscc.organisation_code(GOOD) == "699229617"
    with pytest.raises(InvalidCode):
        uscc.check_char("9113")


@given(st.text())
def test_normalize_idempotent(text: str) -> None:
    once = uscc.normalize(text)
    assert uscc.normalize(once) == once


@given(st.text(max_size=30))
def test_is_valid_never_raises(text: str) -> None:
    assert uscc.is_valid(text) in (True, False)
    assert isinstance(uscc.explain(text), str)


@given(
    st.text(alphabet=uscc.ALPHABET[:10], min_size=6, max_size=6),
    st.text(alphabet=uscc.ALPHABET, min_size=9, max_size=9),
)
def test_built_codes_validate(region: str, org: str) -> None:
    body = "91" + region + org
    assert uscc.is_valid(body + uscc.check_char(body))


@pytest.mark.parametrize(
    "written",
    ["91130200699229617x", " 91130200699229617X", "91130200699229617X ", "9113-0200699229617X",
     "９１１３０２００６９９２２９６１７Ｘ", "9113\u30000200699229617X", "91130200699229617X\n"],
    ids=["lower-case", "leading-space", "trailing-space", "hyphen", "full-width",
         "ideographic-space", "newline"],
)  # fmt: skip
def test_is_valid_is_strict_but_validate_cleans(written: str) -> None:
    """GB 32100-2015 4.1: 18 characters of the upper-case set; is_valid folds nothing."""
    assert not uscc.is_valid(written)
    assert uscc.validate(written) == GOOD
    assert uscc.is_valid(uscc.normalize(written))


@given(st.text(max_size=20))
def test_is_valid_implies_exactly_as_written(text: str) -> None:
    if uscc.is_valid(text):
        assert len(text) == 18 and all(c in uscc.ALPHABET for c in text)
        assert uscc.validate(text) == text
