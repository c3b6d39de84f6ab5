"""Split uploads (PNUM/PNO, HJ 212-2017 6.3.2): the reassembler alone, then over a real server."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecohub.cst import CST
from ecohub.ingest.emission_rows import Rejected
from ecohub.ingest.subpackets import Reassembler
from ecohub.protocols import hj212
from ecohub.protocols.hj212.codec import frame_segment
from tests.ingest.conftest import Running, serving

MN = "010000A8900016F000169DC0"
T0 = datetime(2026, 1, 1, 12, 0, tzinfo=CST)
KEY = (MN, "2011", T0, 3)


def reassembler(**limits: int) -> Reassembler:
    args = {"timeout_s": 60.0, "max_open_per_peer": 4, "max_open": 8, "max_parts": 20, **limits}
    return Reassembler(**args)  # type: ignore[arg-type]


def add(r: Reassembler, key: Any, pno: int, code: str, value: str, *, host: str = "h",
        at: datetime = T0) -> str:  # fmt: skip
    return r.add(key, pno, {code: {"Rtd": value}}, peer_host=host, at=at, meta={}).state


def test_parts_in_any_order_complete_once_every_pno_is_in() -> None:
    r = reassembler()
    assert add(r, KEY, 3, "a21026", "1") == "held"  # the last part first
    assert add(r, KEY, 1, "a21002", "2") == "held"
    assert add(r, KEY, 1, "a21002", "2") == "duplicate"  # resent before its answer
    added = r.add(KEY, 2, {"a34013": {"Rtd": "3"}}, peer_host="h", at=T0, meta={})
    assert added.state == "complete"
    assert added.reassembly.groups == {
        "a21026": {"Rtd": "1"}, "a21002": {"Rtd": "2"}, "a34013": {"Rtd": "3"}
    }  # fmt: skip
    assert r.open_count == 0 and r.parts_held == 0


def test_a_part_contradicting_an_earlier_one_is_refused_naming_both() -> None:
    r = reassembler()
    add(r, KEY, 1, "a21026", "1")
    with pytest.raises(Rejected, match=r"a21026-Rtd: part 2 gives '9', part 1 gave '1'"):
        add(r, KEY, 2, "a21026", "9")
    assert add(r, KEY, 2, "a21026", "1") == "held"  # the same text again is no conflict


@pytest.mark.parametrize(
    ("limits", "setting"),
    [({"max_open_per_peer": 2}, "per_peer"), ({"max_open": 2}, "max_open"),
     ({"max_parts": 2}, "max_parts")],
)  # fmt: skip
def test_limits_refuse_a_new_reassembly(limits: dict[str, int], setting: str) -> None:
    r = reassembler(**limits)
    for minute in range(2):
        add(r, (MN, "2011", T0 + timedelta(minutes=minute), 3), 1, "a21026", "1")
    with pytest.raises(Rejected, match=setting):
        add(r, (MN, "2011", T0 + timedelta(minutes=5), 3), 1, "a21026", "1")
    assert r.open_count == 2


def test_per_peer_limit_leaves_other_peers_alone() -> None:
    r = reassembler(max_open_per_peer=1)
    add(r, KEY, 1, "a21026", "1", host="a")
    assert add(r, (MN, "2011", T0, 2), 1, "a21026", "1", host="b") == "held"


def test_expire_returns_what_is_older_than_the_timeout() -> None:
    r = reassembler()
    add(r, KEY, 2, "a21026", "1")
    later = (MN, "2011", T0 + timedelta(minutes=1), 3)
    add(r, later, 1, "a21026", "1", at=T0 + timedelta(seconds=30))
    assert r.expire(T0 + timedelta(seconds=59)) == []
    (gone,) = r.expire(T0 + timedelta(seconds=60))
    assert gone.key == KEY and gone.pnos == {2}
    assert r.open_count == 1 and r.parts_held == 1


def test_pno_outside_pnum_is_refused() -> None:
    with pytest.raises(Rejected, match="PNO"):
        add(reassembler(), KEY, 4, "a21026", "1")


# -- over a real server -----------------------------------------------------------------------


def part(pno: int, pnum: int, values: str, *, qn: str = "20260101120000123",
         data_time: str = "20260101115000", flag: int = 7) -> bytes:  # fmt: skip
    """Part ``pno`` of ``pnum`` with PNO written before PNUM in the header (the order is free)."""
    seg = (f"QN={qn};ST=31;CN=2011;PW=123456;MN={MN};Flag={flag};PNO={pno};PNUM={pnum};"
           f"CP=&&DataTime={data_time};{values}&&")  # fmt: skip
    return frame_segment(seg.encode())


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def rows(srv: Running) -> list[tuple[Any, ...]]:
    return srv.query("SELECT pollutant, rtd, incomplete FROM emission ORDER BY 1")


@pytest.mark.e2e
def test_split_upload_stored_whole_when_the_last_part_arrives(tmp_path: Path) -> None:
    async def go() -> None:
        async with serving(tmp_path) as srv:
            dev = await srv.device()
            for pno, values in ((3, "a34013-Rtd=3"), (1, "a21026-Rtd=1")):
                await dev.send(part(pno, 3, values, qn=f"2026010112000012{pno}"))
                ans = hj212.parse(await dev.answer())  # each part answered (Flag A bit)
                assert (ans.cn, ans.qn) == ("9014", f"2026010112000012{pno}")
            # answered after commit: the parts are stored, no row yet
            assert srv.scalar("SELECT count(*) FROM hj212_subpacket_part") == 2
            assert rows(srv) == []
            await dev.send(part(2, 3, "a21002-Rtd=2,a21002-Flag=N", qn="20260101120000122"))
            assert hj212.parse(await dev.answer()).qn == "20260101120000122"
            assert rows(srv) == [("a21002", 2.0, False), ("a21026", 1.0, False),
                                 ("a34013", 3.0, False)]  # fmt: skip
            assert srv.scalar("SELECT count(*) FROM hj212_subpacket_part") == 0
            await dev.close()

    run(go())


@pytest.mark.e2e
def test_parts_arriving_together_are_stored_with_other_devices_packets(tmp_path: Path) -> None:
    # Both parts in one TCP write land in one commit batch, with another device's packet: the
    # batch then both stores a part and deletes the finished upload's parts (it once failed
    # whole, every packet of the batch unanswered and lost).
    other = "010000A8900016F000169DC1"
    seg = (f"QN=20260101120000200;ST=31;CN=2011;PW=123456;MN={other};Flag=5;"
           "CP=&&DataTime=20260101115000;a21026-Rtd=7&&")  # fmt: skip

    async def go() -> None:
        async with serving(tmp_path) as srv:
            dev, dev2 = await srv.device(), await srv.device()
            await dev2.send(frame_segment(seg.encode()))
            await dev.send(
                part(2, 2, "a21002-Rtd=2", qn="20260101120000102")
                + part(1, 2, "a21026-Rtd=1", qn="20260101120000101")
            )
            got = {hj212.parse(await dev.answer()).qn, hj212.parse(await dev.answer()).qn}
            assert got == {"20260101120000101", "20260101120000102"}
            assert hj212.parse(await dev2.answer()).qn == "20260101120000200"
            assert srv.query("SELECT mn, pollutant, rtd FROM emission ORDER BY mn, pollutant") == [
                (MN, "a21002", 2.0),
                (MN, "a21026", 1.0),
                (other, "a21026", 7.0),
            ]
            assert srv.scalar("SELECT count(*) FROM hj212_subpacket_part") == 0
            await dev.close()
            await dev2.close()

    run(go())


@pytest.mark.e2e
def test_part_without_answer_bit_is_not_answered(tmp_path: Path) -> None:
    async def go() -> None:
        async with serving(tmp_path) as srv:
            dev = await srv.device()
            await dev.send(part(1, 2, "a21026-Rtd=1", flag=6))  # D bit, no A bit
            assert await dev.no_answer()
            await dev.send(part(2, 2, "a21002-Rtd=2", flag=7))
            assert hj212.parse(await dev.answer()).cn == "9014"
            assert rows(srv) == [("a21002", 2.0, False), ("a21026", 1.0, False)]
            await dev.close()

    run(go())


@pytest.mark.e2e
def test_incomplete_split_upload_kept_after_the_timeout(tmp_path: Path) -> None:
    async def go() -> None:
        async with serving(tmp_path, hj212_subpacket_timeout_s=0.2) as srv:
            dev = await srv.device()
            await dev.send(part(1, 3, "a21026-Rtd=1") + part(3, 3, "a34013-Rtd=3"))
            await dev.answer()
            await dev.answer()
            for _ in range(200):  # the server's expiry timer stores it
                if rows(srv):
                    break
                await asyncio.sleep(0.02)
            assert rows(srv) == [("a21026", 1.0, True), ("a34013", 3.0, True)]
            assert srv.scalar("SELECT count(*) FROM hj212_subpacket_part") == 0
            m = srv.server.metrics.registry.get_sample_value(
                "ecohub_hj212_split_uploads_total", {"result": "incomplete"}
            )
            assert m == 1
            await dev.close()

    run(go())


@pytest.mark.e2e
def test_reassembly_limit_refuses_parts_without_answering(tmp_path: Path) -> None:
    async def go() -> None:
        async with serving(tmp_path, hj212_subpacket_max_open_per_peer=2) as srv:
            dev = await srv.device()
            for minute in range(2):
                await dev.send(part(1, 2, "a21026-Rtd=1", data_time=f"202601011{minute}0000"))
                await dev.answer()
            await dev.send(part(1, 2, "a21026-Rtd=1", data_time="20260101115000"))
            assert await dev.no_answer()
            await srv.settle()
            assert srv.query("SELECT error FROM packet_log") == [("SubpacketLimit",)]
            assert srv.scalar("SELECT count(*) FROM hj212_subpacket_part") == 2
            await dev.close()

    run(go())


@pytest.mark.e2e
def test_parts_stored_before_a_restart_complete_after_it(tmp_path: Path) -> None:
    async def go() -> None:
        async with serving(tmp_path) as srv:
            dev = await srv.device()
            await dev.send(part(2, 2, "a21002-Rtd=2"))
            await dev.answer()
            await dev.close()
        async with serving(tmp_path) as srv:
            dev = await srv.device()
            await dev.send(part(1, 2, "a21026-Rtd=1"))
            await dev.answer()
            assert rows(srv) == [("a21002", 2.0, False), ("a21026", 1.0, False)]
            await dev.close()

    run(go())


@given(st.integers(2, 12).flatmap(
    lambda n: st.tuples(st.just(n), st.lists(st.integers(1, n), min_size=1, max_size=3 * n))
))  # fmt: skip
def test_any_arrival_order_with_resends_completes_exactly_once(case: tuple[int, list[int]]) -> None:
    pnum, arrivals = case
    r = reassembler(max_parts=1000)
    key = (MN, "2011", T0, pnum)
    held: set[int] = set()  # the model: PNOs of the open reassembly
    for pno in arrivals:
        added = r.add(key, pno, {f"c{pno}": {"Rtd": str(pno)}}, peer_host="h", at=T0, meta={})
        if pno in held:
            assert added.state == "duplicate"
            continue
        held.add(pno)
        if len(held) == pnum:
            assert added.state == "complete"
            assert set(added.reassembly.groups) == {f"c{p}" for p in range(1, pnum + 1)}
            held = set()
        else:
            assert added.state == "held"
    assert r.parts_held == len(held) and r.open_count == (1 if held else 0)


@pytest.mark.e2e
def test_an_upload_dated_days_ahead_is_refused_naming_the_clock(tmp_path: Path) -> None:
    ahead = (datetime.now(CST) + timedelta(days=3)).strftime("%Y%m%d%H%M%S")
    near = (datetime.now(CST) + timedelta(hours=2)).strftime("%Y%m%d%H%M%S")
    seg = f"QN=20260101120000300;ST=31;CN=2011;PW=123456;MN={MN};Flag=5;CP=&&DataTime={{}};" \
          "a21026-Rtd=1&&"  # fmt: skip

    async def go() -> None:
        async with serving(tmp_path) as srv:
            dev = await srv.device()
            await dev.send(frame_segment(seg.format(ahead).encode()))
            assert await dev.no_answer()
            await dev.send(frame_segment(seg.format(near).encode()))  # a fast clock: kept
            assert hj212.parse(await dev.answer()).cn == "9014"
            await srv.settle()
            assert srv.query("SELECT error, reason FROM packet_log") == [
                ("FutureDataTime", f"CP.DataTime {ahead[:4]}-{ahead[4:6]}-{ahead[6:8]} "
                 f"{ahead[8:10]}:{ahead[10:12]}:{ahead[12:]} is more than 1 day after the packet "
                 "was received; check the device clock")
            ]  # fmt: skip
            assert srv.scalar("SELECT count(*) FROM emission") == 1
            await dev.close()

    run(go())
