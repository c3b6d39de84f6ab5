"""Issue 9 attacks on the HJ 212 exchange, each against a real server on a loopback port.

Each test failed on the code before issue 9 and passes after; none measures time (they count
bytes, rows and disconnects).
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

import pytest

from ecohub.protocols import hj212
from ecohub.protocols.hj212.codec import frame_segment
from tests.ingest.conftest import Device, Running, serving

pytestmark = pytest.mark.e2e

MN = "010000A8900016F000169DC0"


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def heartbeat(mn: str = MN) -> bytes:
    return hj212.build(st="32", cn="9015", pw="123456", mn=mn, qn="20260101120000001", flag=9,
                       cp={})  # fmt: skip


def upload(mn: str = MN, qn: str = "20260101120000123") -> bytes:
    return hj212.build(st="31", cn="2011", pw="123456", mn=mn, qn=qn, flag=5,
                       cp={"DataTime": "20260101115000", "a21026": {"Rtd": "12.5"}})  # fmt: skip


def bad_frame(size: int) -> bytes:
    """A well-framed packet of ``size`` bytes whose CRC is wrong."""
    seg = b"QN=20260101120000123;ST=31;CN=2011;PW=123456;MN=" + MN.encode() + b";Flag=5;CP=&&"
    seg += b"x" * (size - len(seg) - 14) + b"&&"
    return b"##%04d%s0000\r\n" % (len(seg), seg)


async def send_all(dev: Device, data: bytes) -> None:
    """Send, ignoring a reset: the server may cut the peer part-way."""
    with contextlib.suppress(ConnectionError):
        dev.writer.write(data)
        await dev.writer.drain()


def metric(srv: Running, name: str, **labels: str) -> float:
    return srv.server.metrics.registry.get_sample_value(name, labels or None) or 0.0


def test_bad_frames_among_good_ones_still_cut_the_peer(tmp_path: Path) -> None:
    # 49 bad frames and one heartbeat, repeated: a run counter reset on every heartbeat.
    round_ = bad_frame(2000) * 49 + heartbeat()

    async def go() -> None:
        async with serving(tmp_path) as srv:
            dev = await srv.device()
            await send_all(dev, round_ * 4)
            assert await dev.closed_by_server(timeout=30)
            await srv.settle()
            assert metric(srv, "ecohub_hj212_disconnects_total", reason="flood") == 1
            assert srv.scalar("SELECT count(*) FROM packet_log WHERE status = 'disconnected'") == 1
            # cut at the 50th bad frame of the window: not all 196 were read
            assert srv.scalar("SELECT count(*) FROM packet_log WHERE status = 'rejected'") == 50

    run(go())


@pytest.mark.parametrize("cap", ["hj212_raw_log_peer_bytes", "hj212_raw_log_total_bytes"])
def test_raw_bytes_of_bad_frames_are_capped(tmp_path: Path, cap: str) -> None:
    frames = [bad_frame(5000) for _ in range(10)]  # 50,000 bytes, under the flood limit
    limits = {"hj212_raw_log_peer_bytes": 10**9, "hj212_raw_log_total_bytes": 10**9, cap: 12_000}

    async def go() -> None:
        async with serving(tmp_path, hj212_raw_log_truncated_bytes=64, **limits) as srv:
            dev = await srv.device()
            await send_all(dev, b"".join(frames))
            await send_all(dev, upload())
            assert hj212.parse(await dev.answer()).cn == "9014"  # the peer is still served
            await srv.settle()
            stored, sizes, truncated = srv.query(
                "SELECT sum(octet_length(raw)), sum(raw_size), "
                "count(*) FILTER (WHERE octet_length(raw) < raw_size) FROM packet_log"
            )[0]
            assert sizes == 50_000  # every frame's full length is recorded
            assert stored == 2 * 5000 + 8 * 64  # two whole frames fit in 12,000 bytes
            assert truncated == 8
            assert metric(srv, "ecohub_hj212_raw_log_bytes_total", result="stored") == stored
            assert (
                metric(srv, "ecohub_hj212_raw_log_bytes_total", result="dropped") == 50_000 - stored
            )
            await dev.close()

    run(go())


def test_bytes_without_a_frame_start_cut_the_peer(tmp_path: Path) -> None:
    async def go() -> None:
        async with serving(tmp_path) as srv:
            dev = await srv.device()
            for _ in range(40):  # 400 kB, never a '##'
                await send_all(dev, b"x" * 10_000)
            assert await dev.closed_by_server(timeout=30)
            assert metric(srv, "ecohub_hj212_disconnects_total", reason="no_frame") == 1

    run(go())


def test_a_frame_that_never_completes_is_cut_at_its_deadline(tmp_path: Path) -> None:
    frame = upload()

    async def go() -> None:
        async with serving(tmp_path, hj212_frame_deadline_s=0.2) as srv:
            dev = await srv.device()
            closed = False
            for i in range(len(frame) - 2):  # a byte at a time, never the last two
                await send_all(dev, frame[i : i + 1])
                if await dev.no_answer(0.05) and dev.reader.at_eof():
                    closed = True
                    break
            assert closed or await dev.closed_by_server(timeout=30)
            assert metric(srv, "ecohub_hj212_disconnects_total", reason="slow") == 1
            assert srv.scalar("SELECT count(*) FROM emission") == 0

    run(go())


def test_connections_beyond_the_limit_are_refused_and_counted(tmp_path: Path) -> None:
    async def go() -> None:
        async with serving(tmp_path, hj212_max_connections=2) as srv:
            first, second = await srv.device(), await srv.device()
            await first.send(heartbeat())
            await first.answer()  # both are accepted before the third arrives
            extra = await srv.device()
            assert await extra.closed_by_server(timeout=30)
            assert metric(srv, "ecohub_hj212_connections_refused_total") == 1
            await second.send(upload())
            assert hj212.parse(await second.answer()).cn == "9014"
            assert srv.server.connection_count == 2
            await first.close()
            await second.close()

    run(go())


def test_reject_unknown_mn_refuses_seen_and_policy_mns(tmp_path: Path) -> None:
    seen_mn, policy_mn = "SEEN0000000000000000000A", "POLICY000000000000000000"

    def setup(con: Any) -> None:  # a device seen before: its row, not registered
        con.execute("INSERT INTO monitor_point (mn, registered) VALUES (?, FALSE)", [seen_mn])

    async def go() -> None:
        async with serving(tmp_path, setup=setup, hj212_reject_unknown_mn=True) as srv:
            srv.server.set_policy(policy_mn, lenient=True)
            dev = await srv.device()
            await dev.send(upload(mn=seen_mn) + upload(mn=policy_mn))
            assert await dev.no_answer()
            await srv.settle()
            assert srv.query("SELECT mn, error FROM packet_log ORDER BY mn") == [
                (policy_mn, "UnknownMN"), (seen_mn, "UnknownMN")
            ]  # fmt: skip
            assert srv.scalar("SELECT count(*) FROM emission") == 0
            await dev.close()

    run(go())


def seg_2005(cp: str) -> bytes:
    return frame_segment(
        b"ST=32;CN=2011;PW=123456;MN=88888880000001;Flag=1;CP=&&DataTime=20040516010000;"
        + cp.encode() + b"&&"
    )  # fmt: skip


def test_2005_converted_z_codes_are_stored_as_zs_fields(tmp_path: Path) -> None:
    async def go() -> None:
        async with serving(tmp_path) as srv:
            dev = await srv.device()
            await dev.send(seg_2005("02-Rtd=10,02-Flag=N;02z-Rtd=20;01-Avg=3;01z-Avg=4"))
            ans = hj212.parse(await dev.answer())
            assert ans.cn == "9014"
            rows = srv.query(
                "SELECT pollutant, rtd, zs_rtd, avg, zs_avg, flag FROM emission ORDER BY 1"
            )
            # 2005 01 = smoke dust a34013, 02 = SO2 a21026; z = the converted (折算) value
            assert rows == [("a21026", 10.0, 20.0, None, None, "N"),
                            ("a34013", None, None, 3.0, 4.0, None)]  # fmt: skip
            await dev.close()

    run(go())


def test_2005_field_that_cannot_be_stored_rejects_the_packet(tmp_path: Path) -> None:
    # 02 and a21026 are the same pollutant: Rtd 10 and Rtd 30 cannot both be stored.
    async def go() -> None:
        async with serving(tmp_path) as srv:
            dev = await srv.device()
            await dev.send(seg_2005("02-Rtd=10;02z-Rtd=20;a21026-Rtd=30"))
            assert await dev.no_answer()
            await srv.settle()
            ((error, reason),) = srv.query("SELECT error, reason FROM packet_log")
            assert error == "MalformedCP" and "a21026-Rtd" in reason
            assert srv.scalar("SELECT count(*) FROM emission") == 0
            await dev.close()

    run(go())


def test_value_below_detection_limit_is_stored_with_its_limit(tmp_path: Path) -> None:
    pkt = hj212.build(st="32", cn="2061", pw="123456", mn=MN, qn="20260101120000123", flag=5,
                      cp={"DataTime": "20260101110000",
                          "w21003": {"Min": "0.025L", "Avg": "0.031", "Max": "0.06", "Flag": "N"},
                          "w01018": {"Avg": "4L", "Flag": "N"}})  # fmt: skip

    async def go() -> None:
        async with serving(tmp_path) as srv:
            dev = await srv.device()
            await dev.send(pkt)
            assert hj212.parse(await dev.answer()).cn == "9014"
            rows = srv.query(
                "SELECT pollutant, min, avg, below_detection, fields->>'Min', fields->>'Avg' "
                "FROM emission ORDER BY 1"
            )
            assert rows == [("w01018", None, 4.0, True, None, "4L"),
                            ("w21003", 0.025, 0.031, True, "0.025L", "0.031")]  # fmt: skip
            await dev.close()

    run(go())
