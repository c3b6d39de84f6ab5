"""The server's one call into the codec (issue 9): one pass per frame, combined deviations,
the HJ/T 212-2005 Flag=3 requests, and DataTime reported as malformed, over real sockets."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Coroutine
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

from ecohub.protocols import hj212
from ecohub.protocols.hj212 import codec as codec_module
from tests.ingest.conftest import serving

pytestmark = pytest.mark.e2e

MN = "010000A8900016F000169DC0"
CODEC_FILE = codec_module.__file__


def crc_text(data: bytes) -> int:
    crc = 0xFFFF
    for byte in data:
        crc = (crc >> 8) ^ byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def crc_modbus(data: bytes) -> int:
    crc = 0xFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def frame(segment: str, *, modbus: bool = False, chars: bool = False) -> bytes:
    data = segment.encode("utf-8")
    crc = (crc_modbus if modbus else crc_text)(data)
    return b"##%04d%s%04X\r\n" % (len(segment) if chars else len(data), data, crc)


# No QN, a MODBUS CRC and a character-counted length at once (the real device).
COMBINED = frame(
    f"ST=31;CN=2051;PW=123456;MN={MN};Flag=5;"
    "CP=&&DataTime=20260101115000;a21026-Avg=12.5,a21026-Flag=N;i11001-Info=设备正常&&",
    modbus=True,
    chars=True,
)


class ReadCounter:
    """Counts passes of the codec (``codec._read``) in this thread while active."""

    def __init__(self) -> None:
        self.reads = 0

    def __call__(self, frame_: FrameType, event: str, arg: object) -> None:
        code = frame_.f_code
        if (
            event == "call"
            and code.co_name == "_read"
            and code.co_filename == codec_module.__file__
        ):
            self.reads += 1

    def __enter__(self) -> ReadCounter:
        self._old = sys.getprofile()
        sys.setprofile(self)
        return self

    def __exit__(self, *exc: object) -> None:
        sys.setprofile(self._old)


def run(coro: Coroutine[Any, Any, None]) -> None:
    asyncio.run(coro)


def test_rejected_frame_is_read_once_and_every_deviation_named(tmp_path: Path) -> None:
    async def go() -> None:
        async with serving(tmp_path) as srv:
            dev = await srv.device()
            with ReadCounter() as counter:
                await dev.send(COMBINED)
                assert await dev.no_answer()
                await srv.settle()
            assert counter.reads == 1  # was: strict, then strict again + a try per deviation
            rows = srv.query("SELECT error, mn, would_pass FROM packet_log")
            assert rows == [("LengthMismatch", MN, "length_chars+crc_modbus+no_qn")]
            await dev.close()

    run(go())


def test_lenient_device_combined_deviations_stored_and_named(tmp_path: Path) -> None:
    async def go() -> None:
        async with serving(tmp_path, hj212_lenient_mns=[MN]) as srv:
            dev = await srv.device()
            await dev.send(COMBINED)
            # The answer echoes the QN it got: none (so it reads back only leniently), under the
            # device's own CRC-16/MODBUS (its logger checks answers with it).
            answer = hj212.parse(await dev.answer(), lenient=True)
            assert answer.cn == "9014" and answer.deviations == ("crc_modbus", "no_qn")
            assert srv.query("SELECT pollutant, avg, deviation FROM emission ORDER BY 1") == [
                ("a21026", 12.5, "length_chars+crc_modbus+no_qn"),
                ("i11001", None, "length_chars+crc_modbus+no_qn"),
            ]
            assert srv.scalar("SELECT count(*) FROM packet_log") == 0
            await dev.close()

    run(go())


def test_hjt2005_flag3_request_is_accepted_strictly(tmp_path: Path) -> None:
    # HJ/T 212-2005's own example: Flag=3 (A and D bits) and no PNUM/PNO.
    example = frame(
        "QN=20040516010101001;ST=32;CN=1012;PW=123456;MN=88888880000001;Flag=3;"
        "CP=&&SystemTime=20040516010101&&"
    )

    async def go() -> None:
        async with serving(tmp_path) as srv:
            dev = await srv.device()
            await dev.send(example)
            # Wait for the row, not only for a quiet queue: a loaded machine shows a quiet queue
            # before the server has read the frame at all.
            for _ in range(250):
                if srv.scalar("SELECT count(*) FROM hj212_message"):
                    break
                await asyncio.sleep(0.02)
            await srv.settle()
            assert srv.scalar("SELECT count(*) FROM packet_log") == 0
            assert srv.query("SELECT cn, edition, deviation FROM hj212_message") == [
                ("1012", "2005", None)
            ]
            await dev.close()

    run(go())


@pytest.mark.parametrize("data_time", ["00010101000000", "99991231235959", "20261399000000"])
def test_malformed_data_time_is_reported_as_malformed_data_time(
    tmp_path: Path, data_time: str
) -> None:
    bad = frame(
        f"QN=20260101120000123;ST=31;CN=2051;PW=123456;MN={MN};Flag=5;"
        f"CP=&&DataTime={data_time};a21026-Avg=12.5&&"
    )

    async def go() -> None:
        async with serving(tmp_path) as srv:
            dev = await srv.device()
            await dev.send(bad)
            assert await dev.no_answer()
            await srv.settle()
            ((error, reason),) = srv.query("SELECT error, reason FROM packet_log")
            assert error == "MalformedField" and "DataTime" in reason
            assert srv.scalar("SELECT count(*) FROM emission") == 0
            await dev.close()

    run(go())
