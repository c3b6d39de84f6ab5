"""Framer: every input whole, one byte at a time, and with trailing bytes (h11 style)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecohub.protocols.hj212 import Framer, FramingError

A = (
    b"##0080QN=20260101120000123;ST=91;CN=9014;PW=123456;MN=EXAMPLE0000000001;Flag=4;"
    b"CP=&&&&C0C1\r\n"
)
B = (
    b"##0087QN=20240601085857223;ST=32;CN=9015;PW=123456;MN=010000A8900016F000169DC0;Flag=9;"
    b"CP=&&&&F001\r\n"
)
A_NO_CRLF = A[:-2]


def run(stream: bytes, mode: str, max_frame: int = 10011) -> list[object]:
    framer = Framer(max_frame=max_frame)
    out: list[object] = []
    if mode == "whole":
        out += framer.feed(stream)
    elif mode == "bytes":
        for i in range(len(stream)):
            out += framer.feed(stream[i : i + 1])
    else:  # two halves
        half = len(stream) // 2
        out += framer.feed(stream[:half])
        out += framer.feed(stream[half:])
    return out


CASES = [
    ("one_frame", A, [A]),
    ("two_frames", A + B, [A, B]),
    ("junk_before", b"xyz" + A, [FramingError("junk", b"xyz", 3), A]),
    ("junk_between", A + b"\x00\xff#" + B, [A, FramingError("junk", b"\x00\xff#", 3), B]),
    ("missing_crlf_then_frame", A_NO_CRLF + B, [A_NO_CRLF, B]),
    ("lone_hash_junk", b"#" + A, [FramingError("junk", b"#", 1), A]),
    ("empty", b"", []),
]


@pytest.mark.parametrize("mode", ["whole", "bytes", "halves"])
@pytest.mark.parametrize(("name", "stream", "expected"), CASES, ids=[c[0] for c in CASES])
def test_framing(name: str, stream: bytes, expected: list[object], mode: str) -> None:
    assert run(stream, mode) == expected


@pytest.mark.parametrize("mode", ["whole", "bytes", "halves"])
@pytest.mark.parametrize(("name", "stream", "expected"), CASES, ids=[c[0] for c in CASES])
def test_trailing_bytes_are_held(
    name: str, stream: bytes, expected: list[object], mode: str
) -> None:
    framer = Framer()
    out = []
    for piece in [stream + b"##00"] if mode == "whole" else [bytes([c]) for c in stream + b"##00"]:
        out += framer.feed(piece)
    assert out == expected
    assert framer.buffered == 4
    assert framer.feed(A[4:]) == [A]


OVERSIZE = b"##0300" + b"x" * 300 + b"\r\n"


@pytest.mark.parametrize("mode", ["whole", "bytes", "halves"])
def test_oversize_then_recover(mode: str) -> None:
    stream = OVERSIZE + A + b"##9" + b"y" * 400 + B
    out = run(stream, mode, max_frame=200)
    assert out[0] == FramingError("oversize", OVERSIZE[:256], len(OVERSIZE))
    assert out[1] == A
    assert isinstance(out[2], FramingError) and out[2].reason == "oversize"
    assert out[2].size == 403 and len(out[2].discarded) == 256
    assert out[3] == B
    assert len(out) == 4


def test_oversize_error_caps_discarded_bytes() -> None:
    out = Framer(max_frame=100).feed(b"##" + b"z" * 5000 + b"\r\n" + A)
    assert out[0].size == 5004 and len(out[0].discarded) == 256  # type: ignore[union-attr]
    assert out[1] == A


def test_junk_is_capped() -> None:
    out = Framer().feed(b"j" * 1000 + A)
    assert out == [FramingError("junk", b"j" * 256, 1000), A]


# -- flush: what the buffer holds when the stream pauses or ends --------------------------------


def test_last_frame_without_crlf_is_taken_when_the_stream_pauses_or_ends() -> None:
    framer = Framer()
    assert framer.feed(A_NO_CRLF) == []  # could still be followed by CR LF
    assert framer.complete_without_terminator()
    assert framer.flush(final=False) == [A_NO_CRLF]
    assert framer.buffered == 0 and not framer.complete_without_terminator()
    framer.feed(A_NO_CRLF)
    assert framer.flush(final=True) == [A_NO_CRLF]


def test_a_frame_cut_short_is_reported_only_when_the_stream_ends() -> None:
    framer = Framer()
    cut = A[:40]
    assert framer.feed(cut) == [] and not framer.complete_without_terminator()
    assert framer.flush(final=False) == []  # a pause: the rest may still come
    assert framer.buffered == 40
    assert framer.flush(final=True) == [FramingError("truncated", cut, 40)]
    assert framer.buffered == 0 and framer.flush(final=True) == []


def test_a_frame_longer_than_declared_is_not_taken_early() -> None:
    # 0080 declares 80 characters; one more byte means it is not the logger without CR LF.
    framer = Framer()
    framer.feed(A_NO_CRLF + b"X")
    assert not framer.complete_without_terminator() and framer.flush(final=False) == []
    assert framer.flush(final=True) == [FramingError("truncated", A_NO_CRLF + b"X", 91)]


def test_junk_and_an_oversize_frame_are_reported_at_the_end() -> None:
    framer = Framer()
    assert framer.feed(b"hello") == []  # junk is reported when the next '##' shows its end
    assert framer.flush(final=True) == [FramingError("junk", b"hello", 5)]
    framer = Framer(max_frame=100)
    out = framer.feed(b"##" + b"z" * 300)
    assert out == []  # skipping until '##' or CR LF
    (err,) = framer.flush(final=True)
    assert isinstance(err, FramingError) and err.reason == "oversize" and err.size == 302


PIECES = st.sampled_from([A, B, A_NO_CRLF, A[:30], b"##", b"#", b"\r\n", b"\r", b"xyz"])


@given(
    st.lists(PIECES | st.binary(max_size=20), max_size=12).map(b"".join),
    st.lists(st.integers(1, 50), max_size=20),
)
def test_split_then_flush_equals_whole_then_flush(stream: bytes, cuts: list[int]) -> None:
    whole = Framer()
    expected = whole.feed(stream) + whole.flush(final=True)
    split, out, at = Framer(), [], 0
    for n in cuts:
        out += split.feed(stream[at : at + n])
        at += n
    out += split.feed(stream[at:]) + split.flush(final=True)
    assert out == expected
    # Nothing is lost: every byte is in a frame or counted in an error.
    assert sum(len(x) if isinstance(x, bytes) else x.size for x in out) == len(stream)
