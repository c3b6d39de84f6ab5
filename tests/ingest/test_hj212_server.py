"""The HJ 212 exchange over real loopback sockets and a real DuckDB file."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from ecohub.ingest.devices import deviations, device_status, register_device
from ecohub.protocols import hj212
from ecohub.protocols.hj212.codec import frame_segment
from ecohub.protocols.hj212.crc import crc16, crc16_modbus
from tests.ingest.conftest import serving

pytestmark = pytest.mark.e2e

MN = "010000A8900016F000169DC0"


def frame(cn: str = "2051", data_time: str = "20260101115000", *, mn: str = MN, flag: int = 5,
          qn: str = "20260101120000123", pw: str = "123456", st: str = "31",
          values: dict[str, dict[str, str]] | None = None) -> bytes:  # fmt: skip
    cp: dict[str, object] = {"DataTime": data_time}
    cp.update(
        values or {"a21026": {"Avg": "12.5", "Flag": "N"}, "a21002": {"Avg": "40", "Flag": "N"}}
    )
    return hj212.build(st=st, cn=cn, pw=pw, mn=mn, qn=qn, flag=flag, cp=cp)  # type: ignore[arg-type]


def modbus(data: bytes) -> int:
    crc = 0xFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def with_modbus_crc(good: bytes) -> bytes:
    segment = good[6:-6]
    return good[:-6] + f"{modbus(segment):04X}".encode() + b"\r\n"


def run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(coro)


def test_upload_is_stored_and_answered_after_commit(tmp_path: Path) -> None:
    async def go() -> None:
        async with serving(tmp_path) as srv:
            dev = await srv.device()
            await dev.send(frame())
            ans = hj212.parse(await dev.answer())
            assert ans.cn == "9014" and ans.qn == "20260101120000123" and ans.mn == MN
            # the answer came after the commit: the rows are there already
            rows = srv.query("SELECT pollutant, avg, flag, registered FROM emission ORDER BY 1")
            assert rows == [("a21002", 40.0, "N", False), ("a21026", 12.5, "N", False)]
            await dev.close()

    run(go())


def test_resent_packet_never_doubles_rows(tmp_path: Path) -> None:
    async def go() -> None:
        async with serving(tmp_path) as srv:
            dev = await srv.device()
            for _ in range(3):
                await dev.send(frame())
                await dev.answer()
            assert srv.scalar("SELECT count(*) FROM emission") == 2
            await srv.settle()
            assert srv.scalar("SELECT count(*) FROM packet_log") == 0  # same values: no conflict
            await dev.close()

    run(go())


@pytest.mark.parametrize("chunk", [1, 7, 10_000])
def test_framing_split_and_coalesced_reads(tmp_path: Path, chunk: int) -> None:
    frames = [frame(data_time=f"202601011{m}0000", qn=f"2026010112000012{m}") for m in range(3)]
    stream = b"".join(frames)

    async def go() -> None:
        async with serving(tmp_path) as srv:
            dev = await srv.device()
            for i in range(0, len(stream), chunk):
                dev.writer.write(stream[i : i + chunk])
                await dev.writer.drain()
            qns = {hj212.parse(await dev.answer()).qn for _ in frames}
            assert qns == {f"2026010112000012{m}" for m in range(3)}
            assert srv.scalar("SELECT count(*) FROM emission") == 6
            await dev.close()

    run(go())


def test_bad_packet_logged_verbatim_and_connection_stays_open(tmp_path: Path) -> None:
    good = frame()
    bad_crc = good[:-6] + b"0000\r\n"

    async def go() -> None:
        async with serving(tmp_path) as srv:
            dev = await srv.device()
            await dev.send(bad_crc)
            assert await dev.no_answer()
            await dev.send(good)  # the same connection still works
            assert hj212.parse(await dev.answer()).cn == "9014"
            await srv.settle()
            log = srv.query("SELECT raw, error, mn FROM packet_log")
            assert log == [(bad_crc, "CrcMismatch", MN)]
            metrics = srv.server.metrics.rejected.labels("CrcMismatch")._value.get()
            assert metrics == 1
            await dev.close()

    run(go())


def test_flood_of_garbage_disconnects_and_is_logged(tmp_path: Path) -> None:
    async def go() -> None:
        async with serving(tmp_path, hj212_max_bad_frames=5) as srv:
            dev = await srv.device()
            for i in range(20):
                dev.writer.write(b"##9999garbage-" + str(i).encode() + b"\r\n")
            await dev.writer.drain()
            assert await dev.closed_by_server()
            await srv.settle()
            assert srv.scalar("SELECT count(*) FROM packet_log WHERE status = 'disconnected'") == 1
            assert srv.scalar("SELECT count(*) FROM packet_log WHERE status = 'rejected'") >= 5

    run(go())


def test_oversize_frame_rejected(tmp_path: Path) -> None:
    async def go() -> None:
        async with serving(tmp_path, hj212_max_frame=600) as srv:
            dev = await srv.device()
            await dev.send(b"##0900" + b"A" * 900 + b"\r\n")
            await dev.send(frame())
            assert hj212.parse(await dev.answer()).cn == "9014"
            await srv.settle()
            assert srv.scalar("SELECT count(*) FROM packet_log") >= 1
            await dev.close()

    run(go())


def test_unknown_mn_rejected_when_configured(tmp_path: Path) -> None:
    async def go() -> None:
        async with serving(tmp_path, hj212_reject_unknown_mn=True) as srv:
            dev = await srv.device()
            await dev.send(frame())
            assert await dev.no_answer()
            await srv.settle()
            assert srv.query("SELECT error FROM packet_log") == [("UnknownMN",)]
            assert srv.scalar("SELECT count(*) FROM emission") == 0
            await dev.close()

    run(go())


def test_registered_device_password_checked(tmp_path: Path) -> None:
    def setup(con) -> None:  # type: ignore[no-untyped-def]
        register_device(con, MN, pw="654321", name="1# boiler stack")

    async def go() -> None:
        async with serving(tmp_path, setup=setup) as srv:
            dev = await srv.device()
            await dev.send(frame(pw="123456"))
            assert await dev.no_answer()
            await dev.send(frame(pw="654321"))
            assert hj212.parse(await dev.answer()).cn == "9014"
            await srv.settle()
            assert srv.query("SELECT error FROM packet_log") == [("BadPassword",)]
            assert srv.query("SELECT DISTINCT registered FROM emission") == [(True,)]
            await dev.close()

    run(go())


def test_modbus_crc_device_listed_then_switched_to_lenient(tmp_path: Path) -> None:
    mb = with_modbus_crc(frame())

    async def go() -> None:
        async with serving(tmp_path) as srv:
            dev = await srv.device()
            await dev.send(mb)
            assert await dev.no_answer()
            await srv.settle()
            found = deviations(srv.con.cursor())
            assert [(d["mn"], d["deviation"], d["packets"]) for d in found] == [
                (MN, "crc_modbus", 1)
            ]
            srv.server.set_policy(MN, lenient=True)
            await dev.send(mb)
            # Answered in its own dialect: a logger that checks with CRC-16/MODBUS would
            # reject the standard's CRC and send the packet again and again.
            answer = await dev.answer()
            segment = answer[6:-6]
            assert int(answer[-6:-2], 16) == crc16_modbus(segment) != crc16(segment)
            assert hj212.parse(frame_segment(segment)).cn == "9014"
            assert srv.query("SELECT DISTINCT deviation FROM emission") == [("crc_modbus",)]
            await dev.close()

    run(go())


def test_heartbeat_and_last_seen(tmp_path: Path) -> None:
    hb = hj212.build(st="32", cn="9015", pw="123456", mn=MN, qn="20240601085857223", flag=9, cp={})

    async def go() -> None:
        async with serving(tmp_path) as srv:
            dev = await srv.device()
            await dev.send(hb)
            ans = hj212.parse(await dev.answer())
            assert ans.cn == "9014"
            from datetime import datetime, timedelta, timezone

            now = datetime.now(timezone(timedelta(hours=8)))
            status = device_status(srv.con.cursor(), now, 60)
            assert status[0]["mn"] == MN and status[0]["online"] and not status[0]["registered"]
            later = device_status(srv.con.cursor(), now + timedelta(seconds=120), 60)
            assert not later[0]["online"]
            assert srv.scalar("SELECT count(*) FROM emission") == 0
            await dev.close()

    run(go())


def test_unhandled_messages_kept_verbatim(tmp_path: Path) -> None:
    ident = hj212.build(
        st="32", cn="1001", pw="123456", mn=MN, qn="20260101120000123", flag=9,
        cp={"DataTime": "20260101120000", "i23005-Info": "LOGGER-01", "i23006-Info": "CPU-77"},
    )  # fmt: skip

    async def go() -> None:
        async with serving(tmp_path) as srv:
            dev = await srv.device()
            await dev.send(ident)
            await dev.answer()
            await srv.settle()
            assert srv.query("SELECT cn, raw FROM hj212_message") == [("1001", ident.decode())]
            await dev.close()

    run(go())


def test_non_numeric_value_rejected_naming_the_field(tmp_path: Path) -> None:
    bad = frame(values={"a21026": {"Avg": "12.5x", "Flag": "N"}})

    async def go() -> None:
        async with serving(tmp_path) as srv:
            dev = await srv.device()
            await dev.send(bad)
            assert await dev.no_answer()
            await srv.settle()
            (reason,) = srv.query("SELECT reason FROM packet_log")[0]
            assert "a21026-Avg" in reason
            await dev.close()

    run(go())


def test_shutdown_answers_what_was_committed(tmp_path: Path) -> None:
    async def go() -> None:
        async with serving(tmp_path) as srv:
            dev = await srv.device()
            for m in range(50):
                dev.writer.write(frame(data_time=f"20260101{m // 60:02d}{m % 60:02d}00",
                                       qn=f"202601011200{m:05d}"))  # fmt: skip
            await dev.writer.drain()
            await asyncio.sleep(0.05)
        # the server stopped: every answer the device got has its rows in the store
        answers = []
        with pytest.raises((asyncio.IncompleteReadError, ConnectionError, TimeoutError)):
            while True:
                answers.append(hj212.parse(await dev.answer(timeout=2)))
        from ecohub.store.db import connect

        con = connect(tmp_path / "t.duckdb")
        stored = con.execute("SELECT count(DISTINCT data_time) FROM emission").fetchone()[0]
        assert len(answers) <= stored
        con.close()

    run(go())


def test_idle_connection_closed(tmp_path: Path) -> None:
    async def go() -> None:
        async with serving(tmp_path, hj212_idle_timeout_s=0.3) as srv:
            dev = await srv.device()
            assert await dev.closed_by_server(timeout=3)
            assert srv.server.metrics.disconnects.labels("idle")._value.get() == 1

    run(go())


def test_answers_of_one_commit_come_in_the_order_sent(tmp_path: Path) -> None:
    # Several packets of one device in one commit: answered in one write, in the sent order.
    async def go() -> None:
        async with serving(tmp_path) as srv:
            dev = await srv.device()
            qns = [f"2026010112000012{i}" for i in range(5)]
            await dev.send(b"".join(
                frame(data_time=f"2026010111{i:02d}00", qn=qn) for i, qn in enumerate(qns)
            ))  # fmt: skip
            got = [hj212.parse(await dev.answer()).qn for _ in qns]
            assert got == qns
            assert srv.scalar("SELECT count(DISTINCT data_time) FROM emission") == 5

    run(go())


def test_active_connection_stays_open_and_is_closed_once_quiet(tmp_path: Path) -> None:
    # Reads push the idle deadline back (the timer, when it fires, looks at the last read).
    async def go() -> None:
        async with serving(tmp_path, hj212_idle_timeout_s=0.4) as srv:
            dev = await srv.device()
            loop = asyncio.get_running_loop()
            began = loop.time()
            # A packet every 0.15 s, answers read at the end: the gaps between the server's
            # reads are the device's, not the time an answer took (a loaded machine's commit
            # took over 0.25 s, and with the answer awaited in between, 0.15 s + that exceeded
            # the timeout).
            for minute in range(8):  # 8 x 0.15 s = 1.2 s, three times the timeout
                last_sent = loop.time()
                await dev.send(frame(data_time=f"202601011{minute:d}0000"))
                await asyncio.sleep(0.15)
            for _ in range(8):
                await dev.answer()
            assert srv.server.metrics.disconnects.labels("idle")._value.get() == 0
            assert await dev.closed_by_server(timeout=3)
            # The server read the last packet after it was sent: the close comes the timeout
            # (0.4 s) after that read, so at least 0.4 s after the send (less the event loop's
            # clock resolution). Measured from the end of the last sleep instead, the bound
            # depended on how long the answer took (the writer's group commit waits up to 50 ms).
            closed_after = loop.time() - last_sent
            assert srv.server.metrics.disconnects.labels("idle")._value.get() == 1
            assert loop.time() - began > 1.2
            assert 0.39 <= closed_after < 1.5  # the timeout after the last read, not before

    run(go())


def test_2005_device_codes_mapped_and_answered_in_2005_form(tmp_path: Path) -> None:
    # HJ/T 212-2005 (Flag version bits 0): its codes (02 = SO2, 011 = COD) map to 2017 codes
    seg = (
        b"QN=20040516010101001;ST=32;CN=2051;PW=123456;MN=88888880000001;Flag=1;"
        b"CP=&&DataTime=20040516010000;011-Avg=231.0,011-Flag=N;02-Avg=12.0,02-Flag=N&&"
    )
    from ecohub.protocols.hj212.codec import frame_segment

    async def go() -> None:
        async with serving(tmp_path) as srv:
            dev = await srv.device()
            await dev.send(frame_segment(seg))
            ans = hj212.parse(await dev.answer())
            assert ans.edition == "2005" and ans.cn == "9014"
            assert ans.cp.get("QN") == "20040516010101001"  # 2005 answers carry QN in CP
            rows = srv.query("SELECT pollutant, avg, edition FROM emission ORDER BY 1")
            assert rows == [("a21026", 12.0, "2005"), ("w01018", 231.0, "2005")]
            await dev.close()

    run(go())


def test_frame_without_crlf_is_answered_while_the_device_waits(tmp_path: Path) -> None:
    # A logger that omits CR LF and waits for its answer: answered after a short grace, not
    # only when its next frame arrives.
    async def go() -> None:
        async with serving(tmp_path) as srv:
            dev = await srv.device()
            await dev.send(frame()[:-2])
            ans = hj212.parse(await dev.answer(timeout=3.0))
            assert ans.cn == "9014" and ans.qn == "20260101120000123"
            assert srv.scalar("SELECT count(*) FROM emission") == 2
            await dev.send(frame(data_time="20260101120000", qn="20260101120100000"))
            assert hj212.parse(await dev.answer()).qn == "20260101120100000"
            assert srv.scalar("SELECT count(*) FROM emission") == 4
            await dev.close()

    run(go())


def test_last_frame_without_crlf_is_stored_when_the_device_hangs_up(tmp_path: Path) -> None:
    async def go() -> None:
        async with serving(tmp_path) as srv:
            dev = await srv.device()
            await dev.send(frame()[:-2])
            await dev.close()  # at once: no grace, no answer wanted
            await asyncio.sleep(0.1)
            await srv.settle()
            rows = srv.query("SELECT pollutant, avg FROM emission ORDER BY 1")
            assert rows == [("a21002", 40.0), ("a21026", 12.5)]
            assert srv.scalar("SELECT count(*) FROM packet_log") == 0

    run(go())


def test_frame_cut_short_by_a_hang_up_is_logged(tmp_path: Path) -> None:
    good = frame()
    cut = good[: good.index(b"CP=") + 10]  # past the MN field, inside CP

    async def go() -> None:
        async with serving(tmp_path) as srv:
            dev = await srv.device()
            await dev.send(cut)
            await dev.close()
            await asyncio.sleep(0.1)
            await srv.settle()
            log = srv.query("SELECT raw, error, reason, mn, status FROM packet_log")
            assert log == [
                (cut, "FramingError", f"truncated: discarded {len(cut)} bytes", MN, "rejected")
            ]
            assert srv.scalar("SELECT count(*) FROM emission") == 0
            # Cut inside the MN field: the device is not guessed.
            dev = await srv.device()
            await dev.send(good[: good.index(b"MN=") + 6])
            await dev.close()
            await asyncio.sleep(0.1)
            await srv.settle()
            assert srv.query("SELECT mn FROM packet_log ORDER BY id")[1:] == [(None,)]

    run(go())


def test_a_resend_that_changes_stored_values_is_kept_as_evidence(tmp_path: Path) -> None:
    # The stored value stays (first copy wins); the packet that would have changed it is kept
    # verbatim with what it would have changed, and the device is answered.
    first = frame()
    changed = frame(
        qn="20260101120500000",
        values={"a21026": {"Avg": "99", "Flag": "N"}, "a21002": {"Avg": "40", "Flag": "N"}},
    )

    async def go() -> None:
        async with serving(tmp_path) as srv:
            dev = await srv.device()
            await dev.send(first)
            await dev.answer()
            await dev.send(changed)
            assert hj212.parse(await dev.answer()).cn == "9014"
            await srv.settle()
            rows = srv.query("SELECT pollutant, avg FROM emission ORDER BY 1")
            assert rows == [("a21002", 40.0), ("a21026", 12.5)]
            log = srv.query("SELECT raw, status, error, reason, mn FROM packet_log")
            assert log == [
                (
                    changed,
                    "conflict",
                    "ConflictingResend",
                    "resent with other values than stored (the stored ones kept): "
                    "a21026 Avg=12.5,Flag=N -> Avg=99.0,Flag=N",
                    MN,
                )
            ]
            assert srv.server.writer._metrics.conflicts._value.get() == 1
            await dev.close()

    run(go())


def test_a_conflicting_resend_is_counted_only_once_its_evidence_is_committed(
    tmp_path: Path,
) -> None:
    # The evidence cannot be stored (here packet_log refuses a row without `would_pass`, which
    # a conflict's entry has not):
    # the writer tries the batch three times and answers nothing. Nothing was committed, so
    # no conflicting resend may be counted, let alone one per try.
    changed = frame(qn="20260101120500000", values={"a21026": {"Avg": "99", "Flag": "N"}})

    async def go() -> None:
        async with serving(tmp_path) as srv:
            dev = await srv.device()
            await dev.send(frame())
            await dev.answer()
            await srv.settle()
            for (index,) in srv.query(
                "SELECT index_name FROM duckdb_indexes() WHERE table_name = 'packet_log'"
            ):
                srv.query(f"DROP INDEX {index}")  # DuckDB alters no table with an index
            srv.query("ALTER TABLE packet_log ALTER COLUMN would_pass SET NOT NULL")
            await dev.send(changed)
            assert await dev.no_answer(wait=1.0)
            assert srv.server.writer._metrics.conflicts._value.get() == 0
            assert srv.server.writer._metrics.write_errors._value.get() == 3
            await dev.close()

    run(go())
