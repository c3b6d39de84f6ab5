"""Junk fed to every entry point: parse / diagnose / Framer never raise anything else."""

from __future__ import annotations

import contextlib

import pytest

from ecohub.protocols.hj212 import DEVIATIONS, Framer, ProtocolError, answer_for, diagnose, parse

GOOD = (
    "##0133QN=20260101120000123;ST=31;CN=2051;PW=123456;MN=EXAMPLE0000000001;Flag=5;"
    "CP=&&DataTime=20260101115000;a21026-Avg=12.5,a21026-Flag=N&&E101\r\n"
)
JUNK: list[object] = [
    b"",
    "",
    b"#",
    b"##",
    b"##0000",
    b"##00000000",
    b"##0000FFFF\r\n",
    b"##9999",
    b"\r\n",
    b"##-001QN=1&&0000",
    b"##\xff\xfe\xfd\xfc",
    "##0004CP=&&0000",
    "##0005CP=&&&0000",
    b"\x00" * 64,
    GOOD[:-3],
    GOOD.replace("CP=&&", "CP=&&&&"),
    GOOD.replace(";", ""),
    GOOD.replace("=", ""),
    GOOD.replace("&&", "&"),
    GOOD * 2,
    "##0010QN=;ST=;CN=&&0000",
    "##0020" + "=" * 20 + "0000",
    "##0020" + ";" * 20 + "0000",
    "##0020" + "," * 20 + "0000",
    "##0020" + "/" * 20 + "0000",
    "##0012CP=&&a=//&&0000",
    "##0011CP=&&,,,,&&0000",
    "##٣٣٣٣CP=&&&&0000",
    "##0008CP=&&&&٣٣٣٣",
    bytearray(b"##"),
    memoryview(b"##0000"),
    None,
    1.5,
]


@pytest.mark.parametrize("junk", JUNK, ids=range(len(JUNK)))
@pytest.mark.parametrize("lenient", [False, True])
def test_parse_junk(junk: object, lenient: bool) -> None:
    try:
        parse(junk, lenient=lenient)  # type: ignore[arg-type]
    except ProtocolError as exc:
        assert isinstance(exc.detail, str)
    # diagnose never raises: it answers None for what it cannot place, else known names.
    named = diagnose(junk)  # type: ignore[arg-type]
    assert named is None or set(named.split("+")) <= set(DEVIATIONS)


@pytest.mark.parametrize("junk", [j for j in JUNK if isinstance(j, bytes | str)])
def test_framer_junk(junk: bytes | str) -> None:
    data = junk.encode() if isinstance(junk, str) else junk
    framer = Framer()
    for item in framer.feed(data) + framer.feed(GOOD.encode()):
        if isinstance(item, bytes):
            with contextlib.suppress(ProtocolError):
                answer_for(parse(item))
