"""CRC of HJ 212 (HJ 212-2017 6.3.1 and its appendix; unchanged in 2025), and CRC-16/MODBUS.

The standard's CRC, per byte ``b``: ``crc = (crc >> 8) ^ b`` then eight shift-and-XOR steps with
0xA001. After the first step the state is a single byte (``crc >> 8`` is at most 0xFF), so the
eight steps depend on that byte alone: one lookup in a 256-entry table replaces them.
CRC-16/MODBUS, which some loggers use by mistake, XORs the byte into the low byte without the
shift; it is kept for the ``crc_modbus`` deviation.

The C accelerator ``_crc_c`` does the same table walk in C; the pure-Python loops below are the
fallback when it is not built. ``ACCELERATED`` says which one is in use.
"""

from __future__ import annotations

from collections.abc import Callable


def _hj212_step_table() -> tuple[int, ...]:
    table = []
    for index in range(256):
        crc = index
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


#: ``TABLE[i]`` is the state after the eight shift steps starting from ``i``; the same table
#: serves CRC-16/MODBUS (reflected 0x8005 = 0xA001).
TABLE = _hj212_step_table()


def _crc16_py(data: bytes) -> int:
    """HJ 212 CRC of ``data`` (pure Python, one table lookup per byte)."""
    crc = 0xFFFF
    table = TABLE
    for byte in data:
        crc = table[(crc >> 8) ^ byte]
    return crc


def _crc16_modbus_py(data: bytes) -> int:
    """CRC-16/MODBUS of ``data`` (pure Python)."""
    crc = 0xFFFF
    table = TABLE
    for byte in data:
        crc = (crc >> 8) ^ table[(crc ^ byte) & 0xFF]
    return crc


crc16: Callable[[bytes], int] = _crc16_py
crc16_modbus: Callable[[bytes], int] = _crc16_modbus_py
ACCELERATED = False
try:
    from ecohub.protocols.hj212 import _crc_c  # type: ignore[attr-defined,unused-ignore]
except ImportError:  # the optional extension was not built: keep the Python fallback
    pass
else:
    crc16 = _crc_c.crc16
    crc16_modbus = _crc_c.crc16_modbus
    ACCELERATED = True


def crc16_hex(data: bytes) -> str:
    """The HJ 212 CRC of ``data`` as the 4 upper-case hex digits written in a frame."""
    return f"{crc16(data):04X}"


__all__ = ["ACCELERATED", "TABLE", "crc16", "crc16_hex", "crc16_modbus"]
