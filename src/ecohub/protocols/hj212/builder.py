"""Build HJ 212 frames from fields: the inverse of ``parse``, checked by reading back."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ecohub.protocols.hj212.codec import frame_segment, parse
from ecohub.protocols.hj212.errors import MalformedCP, MalformedField

__all__ = ["build"]


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
