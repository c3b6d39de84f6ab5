"""CRC of HJ 212 (hj212_crc.md): worked examples, table vs the bitwise text, C vs Python."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecohub.protocols.hj212 import crc

EXAMPLES = [
    (
        b"QN=20260101120000123;ST=31;CN=2051;PW=123456;MN=EXAMPLE0000000001;Flag=5;"
        b"CP=&&DataTime=20260101115000;a21026-Avg=12.5,a21026-Flag=N&&",
        0xE101,
        0xDA7A,
    ),
    (
        b"QN=20260101120000123;ST=91;CN=9014;PW=123456;MN=EXAMPLE0000000001;Flag=4;CP=&&&&",
        0xC0C1,
        None,
    ),
]


def bitwise(data: bytes) -> int:
    """The algorithm exactly as hj212_crc.md writes it."""
    value = 0xFFFF
    for byte in data:
        value = (value >> 8) ^ byte
        for _ in range(8):
            carry = value & 1
            value >>= 1
            if carry:
                value ^= 0xA001
    return value


def bitwise_modbus(data: bytes) -> int:
    value = 0xFFFF
    for byte in data:
        value ^= byte
        for _ in range(8):
            value = (value >> 1) ^ 0xA001 if value & 1 else value >> 1
    return value


@pytest.mark.parametrize(("segment", "expected", "modbus"), EXAMPLES, ids=["e101", "c0c1"])
def test_worked_examples(segment: bytes, expected: int, modbus: int | None) -> None:
    assert crc.crc16(segment) == expected
    assert crc._crc16_py(segment) == expected
    assert crc.crc16_hex(segment) == f"{expected:04X}"
    if modbus is not None:
        assert crc.crc16_modbus(segment) == modbus


def test_worked_example_lengths() -> None:
    assert len(EXAMPLES[0][0]) == 133
    assert len(EXAMPLES[1][0]) == 80


def test_accelerator_is_built_and_used() -> None:
    from ecohub.protocols.hj212 import _crc_c  # type: ignore[attr-defined]

    assert crc.ACCELERATED
    assert crc.crc16 is _crc_c.crc16


@given(st.binary(max_size=300))
def test_all_implementations_agree(data: bytes) -> None:
    expected = bitwise(data)
    assert crc._crc16_py(data) == expected
    assert crc.crc16(data) == expected
    modbus = bitwise_modbus(data)
    assert crc._crc16_modbus_py(data) == modbus
    assert crc.crc16_modbus(data) == modbus


def test_accepts_buffers() -> None:
    data = EXAMPLES[1][0]
    assert crc.crc16(bytearray(data)) == crc.crc16(memoryview(data)) == 0xC0C1
