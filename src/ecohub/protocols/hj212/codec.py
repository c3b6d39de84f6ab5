"""HJ 212 frame codec: read bytes into a :class:`Packet` in one pass, strict or lenient.

Reads HJ 212-2025, HJ 212-2017 and HJ/T 212-2005 (same frame, 2017 clause 6.3):

    ## dddd <data segment> HHHH CR LF
    data segment = QN=..;ST=..;CN=..;PW=..;MN=..;Flag=..;PNUM=..;PNO=..;CP=&&..&&

Encoding rule (ours; the standard assumes ASCII and does not say): the length and the CRC are
over the data segment's raw bytes as transmitted; the text is decoded as UTF-8, and if that
fails as GBK (Chinese loggers' other encoding); ``Packet.raw`` keeps the bytes. A ``str`` given
to ``parse`` is encoded as UTF-8 first.

One pass, two verdicts. Each check of the standard either passes, fails outright, or fails in
a way one of the known ``DEVIATIONS`` explains. A strict reading stops at the first failure;
a lenient reading notes the deviation and reads on, so one pass gives both the strict error
(the first failure, exactly what a strict parse raises) and the lenient packet naming every
deviation it needed. :func:`analyse` returns both; :func:`parse` and :func:`diagnose` are
views of it. Work per frame is linear in its size and bounded (``MAX_CP_ITEMS``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ecohub.protocols.hj212 import codes
from ecohub.protocols.hj212.constants import HEADER, TERMINATOR
from ecohub.protocols.hj212.cp_text import parse_cp
from ecohub.protocols.hj212.crc import crc16, crc16_modbus
from ecohub.protocols.hj212.errors import (
    BadHeader,
    CrcMismatch,
    LengthMismatch,
    MalformedCP,
    MalformedField,
    MissingField,
    ProtocolError,
)
from ecohub.protocols.hj212.header import (
    Notes,
    check_header,
    check_time,
    deviate,
    header_fields,
    is_valid_mn,
)
from ecohub.protocols.hj212.packet import Packet

__all__ = [
    "DEVIATIONS",
    "Analysis",
    "analyse",
    "diagnose",
    "frame_segment",
    "is_valid_mn",
    "parse",
]

#: Known deviations of real loggers, accepted by a lenient reading in any combination and
#: named on the packet in this order:
#: - ``length_chars``: the length counts characters of a non-ASCII segment, not bytes;
#: - ``crc_modbus``: CRC-16/MODBUS instead of the standard's CRC (see hj212_crc.md);
#: - ``comma_separator``: ``,`` between header fields where 6.3.2 puts ``;``;
#: - ``st_3digit``: a 3-digit ST;
#: - ``flag_d_without_pnum``: a 2017/2025 Flag with the D bit (split packet) but no
#:   PNUM/PNO - what the HJ/T 212-2005 examples do, copied into later loggers (in a 2005
#:   packet it is accepted strictly, see ``Packet.d_without_pnum``);
#: - ``no_qn``: a 2017/2025 packet without QN (2017 6.3.2 table 4 makes QN required);
#: - ``code_collision``: a CP code the 2017 tables print with two meanings (``g119xx``,
#:   ``e701xx``; ``codes.code_collision``) - readable only once the operator says which.
DEVIATIONS = (
    "length_chars",
    "crc_modbus",
    "comma_separator",
    "st_3digit",
    "flag_d_without_pnum",
    "no_qn",
    "code_collision",
)

_HEX = b"0123456789ABCDEFabcdef"
_COLLISION_PREFIXES = ("g119", "e701")


@dataclass(frozen=True, slots=True)
class Analysis:
    """One frame read once: the strict verdict and the lenient reading.

    ``error`` is what a strict parse raises (None when the frame is strictly valid).
    ``packet`` is the strictly valid packet, or, when ``error`` is set, the packet a lenient
    parse accepts (its ``deviations`` name every known deviation it needed), or None when no
    combination of known deviations explains the frame.
    """

    packet: Packet | None
    error: ProtocolError | None

    @property
    def deviations(self) -> tuple[str, ...]:
        return self.packet.deviations if self.packet is not None else ()

    @property
    def would_pass(self) -> str | None:
        """For a strictly rejected frame: the deviations (``+``-joined) that would pass it."""
        if self.error is None or self.packet is None:
            return None
        return self.packet.deviation


def _decode(segment: bytes) -> str:
    try:
        return segment.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return segment.decode("gbk")
    except UnicodeDecodeError:
        raise MalformedField(
            "data segment is neither UTF-8 nor GBK text", field="segment", offset=6
        ) from None


def _read(raw: bytes, notes: Notes | None) -> Packet:
    body = raw[:-2] if raw[-2:] == TERMINATOR else raw
    # 6.3.1: '##' then the 4-digit length of the data segment.
    if body[:2] != HEADER:
        raise BadHeader("frame must start with ##", field="header", offset=0)
    length_text = body[2:6]
    if len(length_text) != 4 or not length_text.isdigit():
        raise BadHeader("data-segment length must be 4 digits", field="length", offset=2)
    declared = int(length_text)
    seg_end = len(body) - 4
    if seg_end < 6:
        raise LengthMismatch("frame too short for a data segment and CRC", field="length")
    segment = body[6:seg_end]
    text: str | None = None
    if seg_end - 6 != declared:
        error = LengthMismatch(
            f"length field says {declared} bytes, data segment has {seg_end - 6}",
            field="length",
            offset=2,
        )
        if notes is None:
            raise error
        text = _decode(segment)
        if len(text) != declared:
            raise error
        deviate(notes, error, "length_chars")
    # 6.3.1: CRC16 of the data segment, 4 hex digits (upper case in the text; lower case seen).
    crc_text = body[seg_end:]
    if crc_text.strip(_HEX):
        raise CrcMismatch(
            f"CRC must be 4 hex digits, got {crc_text!r}",
            expected=crc16(segment),
            actual=None,
            offset=seg_end,
        )
    actual = int(crc_text, 16)
    expected = crc16(segment)
    crc_ok = actual == expected
    if not crc_ok:
        crc_error = CrcMismatch(
            f"CRC is {actual:04X}, data segment gives {expected:04X}",
            expected=expected,
            actual=actual,
            offset=seg_end,
        )
        if notes is None or crc16_modbus(segment) != actual:
            raise crc_error
        deviate(notes, crc_error, "crc_modbus")
    if text is None:
        text = _decode(segment)

    # 6.3.2: header fields 'key=value' separated by ';', then 'CP=&&...&&' last.
    cp_at = text.find("CP=&&")
    if cp_at < 0:
        raise MissingField("no CP=&&...&& field", field="CP")
    if len(text) < cp_at + 7 or not text.endswith("&&"):
        raise MalformedCP("CP must be closed by && at the end of the data segment", field="CP")
    head = text[:cp_at]
    if "," in head:
        # No header value may hold ',' (6.3.2 table 4), so a ',' here fails the strict reading
        # somewhere; find that strict error (a header is short), then read ',' as ';'.
        try:
            check_header(header_fields(head), None)
        except ProtocolError as error:
            deviate(notes, error, "comma_separator")
            head = head.replace(",", ";")
    qn, st, cn, pw, mn, flag, pnum, pno, edition, d_without_pnum = check_header(
        header_fields(head), notes
    )

    cp_text = text[cp_at + 5 : -2]
    cp = parse_cp(cp_text, cp_at + 5)
    if edition != "2005" and ("g119" in cp_text or "e701" in cp_text):
        colliding = [k for k in cp if k[:4] in _COLLISION_PREFIXES and codes.code_collision(k[:6])]
        if colliding:
            deviate(
                notes,
                MalformedCP(
                    f"code {colliding[0][:6]} has two meanings in the 2017 tables",
                    field=colliding[0],
                ),
                "code_collision",
            )
    data_time = cp.get("DataTime")
    if data_time is not None:
        check_time(data_time, "DataTime")
    deviations = tuple(notes.deviations) if notes is not None else ()
    return Packet(
        qn, st, cn, pw, mn, flag, pnum, pno, cp, raw, crc_ok, edition,
        "+".join(deviations) or None, deviations, d_without_pnum,
    )  # fmt: skip


def _coerce(data: bytes | bytearray | memoryview | str) -> bytes:
    if isinstance(data, bytes):
        return data
    if isinstance(data, str):
        try:
            return data.encode("utf-8")
        except UnicodeEncodeError:
            raise MalformedField("text is not encodable as UTF-8", field="segment") from None
    if isinstance(data, bytearray | memoryview):
        return bytes(data)
    raise BadHeader(f"expected bytes or str, got {type(data).__name__}", field="header")


def _read_guarded(raw: bytes, notes: Notes | None) -> Packet:
    try:
        return _read(raw, notes)
    except ProtocolError:
        raise
    except (ValueError, TypeError, IndexError, KeyError, OverflowError) as exc:
        # Safety net: the codec promises ProtocolError only; a bug must not crash a server.
        raise MalformedField(f"unparseable packet ({type(exc).__name__}: {exc})") from exc


def analyse(data: bytes | bytearray | memoryview | str) -> Analysis:
    """Read one frame once: the strict verdict and, if it fails, the lenient reading.

    Never raises. The cost is one pass over the frame whatever the outcome (plus, for a
    header holding ``,``, one more look at the header alone).
    """
    try:
        raw = _coerce(data)
    except ProtocolError as error:
        return Analysis(None, error)
    notes = Notes()
    try:
        packet = _read_guarded(raw, notes)
    except ProtocolError as error:
        # A failure no deviation explains; if a deviation was noted before it, the strict
        # reading had already stopped there.
        return Analysis(None, notes.strict_error or error)
    return Analysis(packet, notes.strict_error)


def parse(data: bytes | bytearray | memoryview | str, *, lenient: bool = False) -> Packet:
    """Parse one HJ 212 frame (``\\r\\n`` optional) into a :class:`Packet`.

    Raises only :class:`ProtocolError` subclasses. With ``lenient=True`` a frame that fails
    the strict reading is accepted when known deviations (``DEVIATIONS``, any combination)
    explain every failure; the packet names them (``deviations``, and ``deviation`` joined
    with ``+``). Otherwise the strict error is raised.
    """
    if lenient:
        result = analyse(data)
        if result.packet is None:
            assert result.error is not None
            raise result.error
        return result.packet
    return _read_guarded(_coerce(data), None)


def diagnose(data: bytes | bytearray | memoryview | str) -> str | None:
    """The known deviations (``+``-joined, in ``DEVIATIONS`` order) that would pass a strictly
    rejected frame; None when the frame is strictly valid or no combination explains it."""
    return analyse(data).would_pass


def frame_segment(segment: bytes, crc: Callable[[bytes], int] = crc16) -> bytes:
    """Wrap a data segment into a frame: ``##`` + length + segment + CRC + CR LF (6.3.1);
    ``crc``: the standard's (default), or a device dialect's (``crc16_modbus``)."""
    return b"##%04d%s%04X\r\n" % (len(segment), segment, crc(segment))
