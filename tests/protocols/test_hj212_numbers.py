"""HJ 212 number syntax (``Nx.y``, 2017 6.3.3) plus the ``L`` below-detection convention.

Expected values are written by hand here from the grammar in ``numbers.py``'s docstring.
"""

from __future__ import annotations

import sys
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecohub.protocols.hj212 import MalformedNumber, Number, ProtocolError, parse_number
from ecohub.protocols.hj212.numbers import MAX_SIGNIFICANT_DIGITS


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("35.2", Number(35.2, False)),
        ("0", Number(0.0, False)),
        ("-12.5", Number(-12.5, False)),  # winter temperature a01001
        ("+7", Number(7.0, False)),
        ("0012.50", Number(12.5, False)),  # leading / trailing zeros are not significant
        ("0.01L", Number(0.01, True)),  # below the detection limit 0.01
        ("5L", Number(5.0, True)),
        ("-0.00", Number(0.0, False)),
        ("123456789012345", Number(123456789012345.0, False)),  # 15 significant digits
        ("0.000000000000000000000000000001", Number(1e-30, False)),
        ("100000000000000000000000000000", Number(1e29, False)),  # 1 significant digit
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_accepted(text: str, expected: Number) -> None:
    got = parse_number(text, "a34004-Rtd")
    assert got == expected
    assert isinstance(got.value, float)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("١٢", "syntax"),  # Arabic-Indic digits
        ("１２", "syntax"),  # full-width digits
        ("1_000", "syntax"),  # Python digit grouping
        ("1,000", "syntax"),
        (" 5 ", "syntax"),
        ("5 ", "syntax"),
        ("5\n", "syntax"),
        ("1e-400", "syntax"),  # the text has no exponent form
        ("1e5", "syntax"),
        ("1E5", "syntax"),
        ("inf", "syntax"),
        ("-Infinity", "syntax"),
        ("nan", "syntax"),
        ("NaN", "syntax"),
        ("0x10", "syntax"),
        ("", "syntax"),
        ("-", "syntax"),
        (".5", "syntax"),
        ("1.", "syntax"),
        ("1.2.3", "syntax"),
        ("--1", "syntax"),
        ("L", "syntax"),
        ("0.01l", "syntax"),
        ("0.01LL", "syntax"),
        ("-0.01L", "sign"),
        ("12345678901234567890", "significant"),  # 20 digits: a float keeps ~15-17
        ("1234567890123456", "significant"),  # 16 significant digits
        ("0.1234567890123456", "significant"),
        ("1" + "0" * 400, "large"),  # overflows to inf
        ("0." + "0" * 400 + "1", "small"),  # underflows to 0 from non-zero
        ("0." + "0" * 310 + "1", "small"),  # a subnormal loses digits
    ],
    ids=lambda v: v[:20] if isinstance(v, str) else "",
)
def test_rejected(text: str, reason: str) -> None:
    with pytest.raises(MalformedNumber) as info:
        parse_number(text, "a34004-Rtd")
    assert info.value.field == "a34004-Rtd"
    assert info.value.detail.startswith("a34004-Rtd: ")
    words = {
        "syntax": "not a number in HJ 212 syntax",
        "sign": "cannot carry a sign",
        "significant": "significant digits",
        "large": "too large",
        "small": "too small",
    }
    assert words[reason] in info.value.detail
    assert len(info.value.detail) < 200  # a huge value is quoted, not printed whole


def test_error_is_a_protocol_error() -> None:
    assert issubclass(MalformedNumber, ProtocolError)


# -- properties ---------------------------------------------------------------------------

SIGNIFICANT = st.integers(1, MAX_SIGNIFICANT_DIGITS)


@st.composite
def standard_numbers(draw: st.DrawFn) -> str:
    """Texts in the grammar with at most 15 significant digits and a sane exponent."""
    digits = draw(st.text(alphabet="0123456789", min_size=1, max_size=MAX_SIGNIFICANT_DIGITS))
    point = draw(st.integers(0, len(digits)))
    whole, frac = digits[:point] or "0", digits[point:]
    sign = draw(st.sampled_from(["", "-", "+"]))
    return f"{sign}{whole}.{frac}" if frac else f"{sign}{whole}"


@given(standard_numbers())
def test_value_is_the_decimal_written(text: str) -> None:
    """<= 15 significant digits: the float equals the decimal written, to 15 digits."""
    value, below = parse_number(text, "x")
    assert not below
    assert Decimal(repr(value)) == Decimal(text)  # repr is the shortest round-trip form


@given(standard_numbers().filter(lambda t: t[0] not in "+-"))
def test_l_suffix_is_the_same_value_below_detection(text: str) -> None:
    assert parse_number(text + "L", "x") == Number(parse_number(text, "x").value, True)


@given(st.text(max_size=30))
def test_junk_raises_only_malformed_number(text: str) -> None:
    try:
        value, _below = parse_number(text, "x")
    except MalformedNumber as exc:
        assert exc.field == "x"
        return
    # Whatever passes is in the grammar: ASCII digits, at most one point, sign, trailing L.
    assert set(text) <= set("0123456789.+-L")
    assert text.isascii()
    assert value == value and abs(value) < float("inf")  # finite, not NaN
    assert value == 0 or abs(value) >= sys.float_info.min


@given(st.text(alphabet="0123456789", min_size=MAX_SIGNIFICANT_DIGITS + 1, max_size=40))
def test_too_many_significant_digits_rejected(digits: str) -> None:
    stripped = digits.lstrip("0").rstrip("0")
    if len(stripped) <= MAX_SIGNIFICANT_DIGITS:
        return
    with pytest.raises(MalformedNumber, match="significant digits"):
        parse_number(digits, "x")
