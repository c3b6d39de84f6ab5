"""Property tests: build -> parse round trip, and nothing but ProtocolError from parse."""

from __future__ import annotations

import contextlib
import string
from datetime import datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecohub.protocols.hj212 import Framer, ProtocolError, build, diagnose, parse

DIGITS = string.digits
ALNUM = string.ascii_letters + string.digits
# CP values: anything without the separators ; , & = (those would not read back), incl. CJK.
VALUE = st.text(alphabet=st.sampled_from(ALNUM + ".-+:/ 设备正常污染"), max_size=12).filter(
    lambda v: not v.startswith("//")
)
KEY = st.text(alphabet=st.sampled_from(ALNUM), min_size=1, max_size=10)
FIELD = st.sampled_from(["Rtd", "Avg", "Min", "Max", "Cou", "Flag", "ZsAvg", "Info"])
CODE = st.sampled_from(["a34004", "a21026", "w01018", "w21003", "a19001", "LA", "B01", "011"])


# QN and DataTime are times (2017 6.3.2 table 4, 6.3.3) in the codec's plausible range.
TIMES = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2099, 12, 31, 23, 59, 59))


@st.composite
def packets(draw: st.DrawFn) -> dict[str, object]:
    flag = draw(st.one_of(st.none(), st.integers(0, 11)))
    qn: str | None = draw(TIMES).strftime("%Y%m%d%H%M%S") + draw(
        st.text(DIGITS, min_size=3, max_size=3)
    )
    if flag is None or flag >> 2 == 0:
        qn = draw(st.one_of(st.none(), st.just(qn)))
    pnum = pno = None
    if flag is not None and flag & 2:
        pnum = draw(st.integers(1, 9999))
        pno = draw(st.integers(1, pnum))
    cp: dict[str, object] = {}
    if draw(st.booleans()):
        cp["DataTime"] = draw(TIMES).strftime("%Y%m%d%H%M%S")
    for _ in range(draw(st.integers(0, 4))):
        key = draw(KEY)
        if draw(st.booleans()):
            cp[key] = draw(VALUE)
        else:
            cp[draw(CODE)] = draw(st.dictionaries(FIELD, VALUE, min_size=1, max_size=4))
    return {
        "st": draw(st.sampled_from(["21", "22", "31", "32", "51", "91"])),
        "cn": draw(st.text(alphabet=DIGITS, min_size=4, max_size=4)),
        "pw": draw(st.text(alphabet=ALNUM, max_size=9)),
        "mn": draw(st.text(alphabet=ALNUM + "_-", min_size=1, max_size=27)),
        "cp": cp,
        "qn": qn,
        "flag": flag,
        "pnum": pnum,
        "pno": pno,
    }


def flatten(cp: dict[str, object]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in cp.items():
        if isinstance(value, dict):
            for name, text in value.items():
                out[f"{key}-{name}"] = text
        else:
            out[key] = str(value)
    return out


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(packets())
def test_build_parse_round_trip(fields: dict[str, object]) -> None:
    flat = flatten(fields["cp"])  # type: ignore[arg-type]
    if any(k[:4] in ("g119", "e701") for k in flat) or len(flat) != sum(
        len(v) if isinstance(v, dict) else 1
        for v in fields["cp"].values()  # type: ignore[attr-defined]
    ):
        return
    frame = build(**fields)  # type: ignore[arg-type]
    packet = parse(frame)
    assert packet.cp == flat and list(packet.cp) == list(flat)
    for name in ("st", "cn", "pw", "mn", "qn", "flag", "pnum", "pno"):
        assert getattr(packet, name) == fields[name]
    assert packet.crc_ok and packet.deviation is None and packet.raw == frame
    assert diagnose(frame) is None
    assert Framer().feed(frame) == [frame]


@settings(max_examples=500)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_raise_only_protocol_error(data: bytes) -> None:
    for candidate in (data, b"##" + data, b"##%04d" % len(data) + data):
        with contextlib.suppress(ProtocolError):
            parse(candidate, lenient=True)
        diagnose(candidate)


@settings(max_examples=500)
@given(st.text(max_size=200))
def test_arbitrary_text_raises_only_protocol_error(text: str) -> None:
    for candidate in (text, "##" + text, f"##{len(text):04d}{text}0000"):
        with contextlib.suppress(ProtocolError):
            parse(candidate)


@settings(max_examples=200)
@given(st.lists(st.binary(max_size=40), max_size=10))
def test_framer_never_raises_and_is_split_independent(chunks: list[bytes]) -> None:
    whole = Framer(max_frame=64).feed(b"".join(chunks))
    framer = Framer(max_frame=64)
    pieces: list[object] = []
    for chunk in chunks:
        pieces += framer.feed(chunk)
    assert pieces == whole
