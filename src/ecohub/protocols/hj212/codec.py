"""HJ 212 frame codec: ``parse`` bytes into a :class:`Packet`, ``build`` a frame from fields.

Reads HJ 212-2025, HJ 212-2017 and HJ/T 212-2005 (same frame, 2017 clause 6.3):

    ## dddd <data segment> HHHH CR LF
    data segment = QN=..;ST=..;CN=..;PW=..;MN=..;Flag=..;PNUM=..;PNO=..;CP=&&..&&

Encoding rule (ours; the standard assumes ASCII and does not say): the length and the CRC are
over the data segment's raw bytes as transmitted; the text is decoded as UTF-8, and if that
fails as GBK (Chinese loggers' other encoding); ``Packet.raw`` keeps the bytes. ``build``
writes UTF-8. A ``str`` given to ``parse`` is encoded as UTF-8 first.

Strict parsing rejects every deviation from the text; ``lenient=True`` additionally accepts
the known deviations of ``DEVIATIONS`` one at a time and names the one that matched.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ecohub.protocols.hj212 import codes
from ecohub.protocols.hj212.constants import (
    FLAG_D,
    FLAG_VERSION_SHIFT,
    HEADER,
    MAX_CP_KEY_LENGTH,
    MAX_FLAG,
    MAX_PACKET_NUMBER,
    TERMINATOR,
)
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
from ecohub.protocols.hj212.packet import Packet

__all__ = ["DEVIATIONS", "build", "diagnose", "frame_segment", "parse"]

#: Known deviations of real loggers, tried in this order by a lenient parse and by diagnose:
#: - ``crc_modbus``: CRC-16/MODBUS instead of the standard's CRC (see hj212_crc.md);
#: - ``length_chars``: the length counts characters of a non-ASCII segment, not bytes;
#: - ``st_3digit``: a 3-digit ST;
#: - ``comma_separator``: ``,`` between header fields where 6.3.2 puts ``;``;
#: - ``code_collision``: a CP code the 2017 tables print with two meanings (``g119xx``,
#:   ``e701xx``; ``codes.code_collision``) - readable only once the operator says which.
DEVIATIONS = ("crc_modbus", "length_chars", "st_3digit", "comma_separator", "code_collision")

_HEADER_KEYS = frozenset({"QN", "ST", "CN", "PW", "MN", "Flag", "PNUM", "PNO"})
_HEX = b"0123456789ABCDEFabcdef"
# 6.3.2 table 4: PW C9, MN C27. The standard gives lengths, not a character set; we allow the
# characters real MNs and passwords use (letters, digits, _ - .), our choice.
_PW_RE = re.compile(r"[0-9A-Za-z_.\-]{0,9}")
_MN_RE = re.compile(r"[0-9A-Za-z_.\-]{1,27}")
# Environmental-quality systems (6.6.1 table 5, ST 21..27): outside HJ 212-2025's scope
# (pollution sources), so Flag version 2 from them is the pre-2025 surface-water dialect.
_QUALITY_ST = frozenset({"21", "22", "23", "24", "25", "26", "27"})
_COLLISION_PREFIXES = ("g119", "e701")


def _digits(text: str, low: int, high: int) -> bool:
    return low <= len(text) <= high and text.isascii() and text.isdigit()


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


def _parse_cp_slow(cp_text: str, offset: int) -> dict[str, str]:
    """Item by item: ``//..//`` values (2017 i11001 logs), repeated keys, ``,``-continuations."""
    cp: dict[str, str] = {}
    n = len(cp_text)
    pos = 0
    last_key: str | None = None
    prev_sep = ";"
    while True:
        semi = cp_text.find(";", pos)
        comma = cp_text.find(",", pos)
        end = min(x for x in (semi, comma, n) if x >= 0)
        item = cp_text[pos:end]
        key, eq, value = item.partition("=")
        if eq and value.startswith("//"):
            start = pos + len(key) + 1
            close = cp_text.find("//", start + 2)
            if close < 0:
                raise MalformedCP(
                    f"CP value of {key!r} opens // and never closes it",
                    field="CP",
                    offset=offset + start,
                )
            end = close + 2
            value = cp_text[start:end]
            if end < n and cp_text[end] not in ";,":
                raise MalformedCP(
                    f"text after the closing // of {key!r}", field="CP", offset=offset + end
                )
        elif "&" in item:
            raise MalformedCP(f"'&' inside CP item {item!r}", field="CP", offset=offset + pos)
        if not eq:
            # A bare item after ',' continues the previous value (a value holding a comma).
            if last_key is None or prev_sep != "," or not item:
                raise MalformedCP(
                    f"CP item {item!r} is not key=value", field="CP", offset=offset + pos
                )
            cp[last_key] += "," + item
        else:
            if not key or len(key) > MAX_CP_KEY_LENGTH:
                raise MalformedCP(f"bad CP key {key!r}", field="CP", offset=offset + pos)
            # A key sent twice (2005 CTime=..,CTime=..) keeps its values joined with ','.
            cp[key] = cp[key] + "," + value if key in cp else value
            last_key = key
        if end >= n:
            return cp
        prev_sep = cp_text[end]
        pos = end + 1


def _parse_cp(cp_text: str, offset: int) -> dict[str, str]:
    if not cp_text:
        return {}
    if "/" not in cp_text and "&" not in cp_text:
        # Fast path: 6.3.3 - items split by ';' (groups) and ',' (fields of one code).
        items = cp_text.replace(",", ";").split(";")
        try:
            cp = dict([item.split("=", 1) for item in items])
        except ValueError:
            return _parse_cp_slow(cp_text, offset)
        if len(cp) == len(items) and "" not in cp and max(map(len, cp)) <= MAX_CP_KEY_LENGTH:
            return cp
    return _parse_cp_slow(cp_text, offset)


def _parse(raw: bytes, deviation: str | None) -> Packet:
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
        if deviation == "length_chars":
            text = _decode(segment)
            if len(text) != declared:
                raise LengthMismatch(
                    f"length says {declared}; segment has {len(segment)} bytes, {len(text)} chars",
                    field="length",
                    offset=2,
                )
        else:
            raise LengthMismatch(
                f"length field says {declared} bytes, data segment has {seg_end - 6}",
                field="length",
                offset=2,
            )
    elif deviation == "length_chars":
        raise LengthMismatch("length already counts bytes", field="length", offset=2)
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
    crc_ok = True
    if actual != expected:
        if deviation == "crc_modbus" and crc16_modbus(segment) == actual:
            crc_ok = False
        else:
            raise CrcMismatch(
                f"CRC is {actual:04X}, data segment gives {expected:04X}",
                expected=expected,
                actual=actual,
                offset=seg_end,
            )
    elif deviation == "crc_modbus":
        raise CrcMismatch("CRC is already the standard's", expected=expected, actual=actual)
    if text is None:
        text = _decode(segment)

    # 6.3.2: header fields 'key=value' separated by ';', then 'CP=&&...&&' last.
    cp_at = text.find("CP=&&")
    if cp_at < 0:
        raise MissingField("no CP=&&...&& field", field="CP")
    if len(text) < cp_at + 7 or not text.endswith("&&"):
        raise MalformedCP("CP must be closed by && at the end of the data segment", field="CP")
    sep = ";"
    head = text[:cp_at]
    if deviation == "comma_separator":
        if "," not in head:
            raise MalformedField("header already uses ';'", field="header")
        head = head.replace(",", ";")
    if head and head[-1] != sep:
        raise MalformedField("header fields must be followed by ';' before CP", field="CP")
    fields: dict[str, str] = {}
    for part in head[:-1].split(sep) if head else ():
        key, eq, value = part.partition("=")
        if not eq or key not in _HEADER_KEYS:
            raise MalformedField(f"unknown header field {part[:40]!r}", field=key or None)
        if key in fields:
            raise MalformedField(f"{key} given twice", field=key)
        fields[key] = value

    qn = fields.get("QN")
    if qn is not None and not _digits(qn, 17, 17):
        raise MalformedField("QN must be YYYYMMDDhhmmssZZZ (17 digits)", field="QN")
    st = fields.get("ST")
    if st is None:
        raise MissingField("ST is required", field="ST")
    if not _digits(st, 2, 2):
        if not (deviation == "st_3digit" and _digits(st, 3, 3)):
            raise MalformedField("ST must be 2 digits", field="ST")
    elif deviation == "st_3digit":
        raise MalformedField("ST already has 2 digits", field="ST")
    cn = fields.get("CN")
    if cn is None:
        raise MissingField("CN is required", field="CN")
    if not _digits(cn, 4, 4):
        raise MalformedField("CN must be 4 digits", field="CN")
    pw = fields.get("PW")
    if pw is None:
        raise MissingField("PW is required", field="PW")
    if not _PW_RE.fullmatch(pw):
        raise MalformedField("PW must be at most 9 letters or digits", field="PW")
    mn = fields.get("MN")
    if mn is None:
        raise MissingField("MN is required", field="MN")
    if not _MN_RE.fullmatch(mn):
        raise MalformedField("MN must be 1..27 letters or digits", field="MN")
    flag_text = fields.get("Flag")
    flag: int | None = None
    if flag_text is not None:
        if not _digits(flag_text, 1, 3) or int(flag_text) > MAX_FLAG:
            raise MalformedField("Flag must be an integer 0..255", field="Flag")
        flag = int(flag_text)
    pnum = _packet_number(fields, "PNUM")
    pno = _packet_number(fields, "PNO")
    if flag is not None and flag & FLAG_D and (pnum is None or pno is None):
        raise MissingField("Flag D bit set: PNUM and PNO are required", field="PNUM")
    if pnum is not None and pno is not None and not 1 <= pno <= pnum:
        raise MalformedField("PNO must be between 1 and PNUM", field="PNO")

    edition = _edition(flag, qn, st, cn)
    cp_text = text[cp_at + 5 : -2]
    cp = _parse_cp(cp_text, cp_at + 5)
    if edition != "2005" and ("g119" in cp_text or "e701" in cp_text):
        colliding = [k for k in cp if k[:4] in _COLLISION_PREFIXES and codes.code_collision(k[:6])]
        if colliding and deviation != "code_collision":
            raise MalformedCP(
                f"code {colliding[0][:6]} has two meanings in the 2017 tables", field=colliding[0]
            )
        if not colliding and deviation == "code_collision":
            raise MalformedCP("no colliding code", field="CP")
    elif deviation == "code_collision":
        raise MalformedCP("no colliding code", field="CP")
    return Packet(qn, st, cn, pw, mn, flag, pnum, pno, cp, raw, crc_ok, edition, deviation)


def _packet_number(fields: dict[str, str], key: str) -> int | None:
    text = fields.get(key)
    if text is None:
        return None
    if not _digits(text, 1, 4) or int(text) > MAX_PACKET_NUMBER:
        raise MalformedField(f"{key} must be 1..4 digits", field=key)
    return int(text)


def _edition(flag: int | None, qn: str | None, st: str, cn: str) -> str:
    """Edition from Flag's version bits, QN presence, ST and CN (see docs/standards.md)."""
    if flag is None:
        return "2005"
    version = flag >> FLAG_VERSION_SHIFT
    if version == 0:
        return "2005"
    if qn is None:
        raise MissingField("QN is required from HJ 212-2017 on", field="QN")
    if version == 1:
        return "2017"
    if version == 2:
        # Surface-water station software sent Flag=8 before 2025: a quality-monitoring ST with
        # a CN that 2017 already had is that dialect, not HJ 212-2025.
        if st in _QUALITY_ST and codes.command(cn, "2017") is not None:
            return "2017"
        return "2025"
    raise MalformedField(f"Flag version {version} is no known edition", field="Flag")


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


def _parse_guarded(raw: bytes, deviation: str | None) -> Packet:
    try:
        return _parse(raw, deviation)
    except ProtocolError:
        raise
    except (ValueError, TypeError, IndexError, KeyError, OverflowError) as exc:
        # Safety net: the codec promises ProtocolError only; a bug must not crash a server.
        raise MalformedField(f"unparseable packet ({type(exc).__name__}: {exc})") from exc


def parse(data: bytes | str, *, lenient: bool = False) -> Packet:
    """Parse one HJ 212 frame (``\\r\\n`` optional) into a :class:`Packet`.

    Raises only :class:`ProtocolError` subclasses. With ``lenient=True`` a frame that fails
    the strict reading is tried under each known deviation (``DEVIATIONS``) in turn; the packet
    returned names the one that matched in ``deviation``. If none does, the strict error is
    raised.
    """
    raw = _coerce(data)
    try:
        return _parse_guarded(raw, None)
    except ProtocolError as strict_error:
        if not lenient:
            raise
        for deviation in DEVIATIONS:
            try:
                return _parse_guarded(raw, deviation)
            except ProtocolError:
                continue
        raise strict_error from None


def diagnose(data: bytes | str) -> str | None:
    """Name of the known deviation under which a strictly rejected frame would pass.

    None when the frame is strictly valid, or when no single known deviation explains it.
    """
    try:
        raw = _coerce(data)
    except ProtocolError:
        return None
    try:
        _parse_guarded(raw, None)
        return None
    except ProtocolError:
        pass
    for deviation in DEVIATIONS:
        try:
            _parse_guarded(raw, deviation)
            return deviation
        except ProtocolError:
            continue
    return None


def frame_segment(segment: bytes) -> bytes:
    """Wrap a data segment into a frame: ``##`` + length + segment + CRC + CR LF (6.3.1)."""
    return b"##%04d%s%04X\r\n" % (len(segment), segment, crc16(segment))


def _cp_items(cp: Mapping[str, Any]) -> tuple[str, dict[str, str]]:
    items: list[str] = []
    flat: dict[str, str] = {}
    for key, value in cp.items():
        if isinstance(value, Mapping):
            fields = []
            for name, text in value.items():
                full = f"{key}-{name}"
                if full in flat:
                    raise MalformedCP(f"CP key {full!r} given twice", field=full)
                flat[full] = str(text)
                fields.append(f"{full}={text}")
            if fields:
                items.append(",".join(fields))
        else:
            if key in flat:
                raise MalformedCP(f"CP key {key!r} given twice", field=key)
            flat[key] = str(value)
            items.append(f"{key}={value}")
    return ";".join(items), flat


def build(
    *,
    st: str,
    cn: str,
    pw: str,
    mn: str,
    cp: Mapping[str, Any],
    qn: str | None = None,
    flag: int | None = None,
    pnum: int | None = None,
    pno: int | None = None,
) -> bytes:
    """Build a frame (with CR LF) that ``parse`` reads back to the same fields and CP.

    ``cp`` maps key -> text; a value that is itself a mapping (code -> {field: text}) becomes
    ``code-Field=text`` items joined with ``,``. Fields that would not read back identically
    raise the :class:`ProtocolError` that ``parse`` gives for them.
    """
    head = [] if qn is None else [f"QN={qn}"]
    head += [f"ST={st}", f"CN={cn}", f"PW={pw}", f"MN={mn}"]
    if flag is not None:
        head.append(f"Flag={int(flag)}")
    if pnum is not None:
        head.append(f"PNUM={int(pnum)}")
    if pno is not None:
        head.append(f"PNO={int(pno)}")
    cp_text, flat = _cp_items(cp)
    segment = ";".join(head) + ";CP=&&" + cp_text + "&&"
    frame = frame_segment(segment.encode("utf-8"))
    packet = parse(frame)
    if packet.cp != flat or list(packet.cp) != list(flat):
        raise MalformedCP("CP text would not read back identically (separator in a value?)")
    if (packet.qn, packet.st, packet.cn, packet.pw, packet.mn) != (qn, st, cn, pw, mn):
        raise MalformedField("a header field would not read back identically")
    return frame
