"""The per-connection and per-server counters behind the exchange limits (issue 9)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ecohub.ingest.connection import BadFrameWindow, RawLogBudget
from ecohub.ingest.subpackets import peer_host


def test_bad_frame_window_counts_the_last_frames_only() -> None:
    w = BadFrameWindow(4)
    assert [w.add(b) for b in (True, True, False, True)] == [1, 2, 2, 3]
    assert w.add(False) == 2  # the first bad frame left the window
    assert w.add(True) == 2 and w.add(True) == 3  # a good one between does not reset it


def test_raw_log_budget_per_peer_total_and_refill() -> None:
    now = [0.0]
    b = RawLogBudget(per_peer=100, total=150, window_s=10, keep=8, clock=lambda: now[0])
    assert b.allow("a", 60) == 60
    assert b.allow("a", 60) == 8  # the peer's 100 would be exceeded: truncated copy
    assert b.allow("b", 60) == 60
    assert b.allow("c", 60) == 8  # the total's 150 would be exceeded
    assert b.allow("c", 5) == 5  # keeps what still fits
    now[0] = 10.0
    assert b.allow("a", 100) == 100  # a new window


def test_peer_host_drops_the_port() -> None:
    assert peer_host("127.0.0.1:5000") == "127.0.0.1"
    assert peer_host("::1:5000") == "::1"
    assert peer_host("?") == "?"


@given(st.lists(st.booleans(), max_size=300), st.integers(1, 20))
def test_bad_frame_window_equals_counting_the_last_frames(frames: list[bool], size: int) -> None:
    w = BadFrameWindow(size)
    for i, bad in enumerate(frames):
        assert w.add(bad) == sum(frames[max(0, i + 1 - size) : i + 1])
