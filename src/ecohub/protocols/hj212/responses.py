"""Answers the platform sends back (HJ 212-2017 6.6.2 table 6 and 7.x; HJ/T 212-2005 6.6).

Each answer is written in the edition of the packet it answers:
- 2017 / 2025: ``QN=<their QN>;ST=91;CN=90xx;PW=..;MN=..;Flag=<version bits, A clear>;CP=&&..&&``;
  Flag keeps the sender's version bits, so a Flag=8 surface-water logger gets Flag=8 back.
- 2005: no QN in the header; the QN goes inside CP (``CP=&&QN=..;QnRtn=1&&``); the request
  answer carries ``Flag=0``, the others no Flag, as in the 2005 text's examples.
"""

from __future__ import annotations

from ecohub.protocols.hj212 import codes
from ecohub.protocols.hj212.codec import frame_segment
from ecohub.protocols.hj212.constants import FLAG_VERSION_SHIFT
from ecohub.protocols.hj212.crc import crc16_modbus
from ecohub.protocols.hj212.packet import Packet

__all__ = [
    "answer_for",
    "data_answer",
    "execution_result",
    "notification_answer",
    "request_answer",
]

_DEFAULT_FLAG = {"2017": 1 << FLAG_VERSION_SHIFT, "2025": 2 << FLAG_VERSION_SHIFT}


def _answer(pkt: Packet, cn: str, cp: str, *, flag_2005: bool = False) -> bytes:
    pw = pkt.pw or ""
    mn = pkt.mn or ""
    if pkt.edition == "2005":
        qn = f"QN={pkt.qn};" if pkt.qn is not None else ""
        flag = "Flag=0;" if flag_2005 else ""
        inner = (qn + cp) if cp else qn[:-1]
        segment = f"ST=91;CN={cn};PW={pw};MN={mn};{flag}CP=&&{inner}&&"
    else:
        flag_value = pkt.flag & ~0x03 if pkt.flag is not None else _DEFAULT_FLAG[pkt.edition]
        qn = f"QN={pkt.qn};" if pkt.qn is not None else ""
        segment = f"{qn}ST=91;CN={cn};PW={pw};MN={mn};Flag={flag_value};CP=&&{cp}&&"
    if not pkt.crc_ok:
        # A lenient device read under crc_modbus checks what it receives with the same
        # routine: an answer under the standard's CRC would fail there, and the device would
        # send the packet again and again. It is answered in its own dialect.
        return frame_segment(segment.encode("utf-8"), crc16_modbus)
    return frame_segment(segment.encode("utf-8"))


def request_answer(pkt: Packet, qn_rtn: int = 1) -> bytes:
    """9011 request answer; ``qn_rtn``: 1 ready to execute, 2 refused, 3 wrong PW, 4 wrong MN,
    5 wrong ST, 6 wrong Flag, 7 wrong QN, 8 wrong CN, 9 wrong CRC, 100 unknown (2017 table 8)."""
    return _answer(pkt, "9011", f"QnRtn={int(qn_rtn)}", flag_2005=True)


def execution_result(pkt: Packet, exe_rtn: int = 1) -> bytes:
    """9012 execution result; ``exe_rtn``: 1 success, 2 failed, 3 no data, 100 unknown
    (2017 table 9)."""
    return _answer(pkt, "9012", f"ExeRtn={int(exe_rtn)}")


def notification_answer(pkt: Packet) -> bytes:
    """9013 notification answer (empty CP; 2005: ``CP=&&QN=..&&``)."""
    return _answer(pkt, "9013", "")


def data_answer(pkt: Packet) -> bytes:
    """9014 data answer (empty CP; 2005: ``CP=&&QN=..&&``)."""
    return _answer(pkt, "9014", "")


def answer_for(pkt: Packet) -> bytes | None:
    """What the platform must send back for a packet it received from a logger, or None.

    - answers (9011..9014) get nothing;
    - requests a logger makes (2025 1014 key exchange) get 9011 always (the request flow of
      2017 7.2 starts with the request answer, whatever the A bit);
    - notifications (2017 1013 time-calibration request, 2005 2072 alarm event) get 9013 when
      Flag's A bit is set, and always in 2005 (whose notification flow always answers);
    - uploads (2011, 2051, 2061, 2031, 2021, 2041, 2081, 3020, ...), the 2025 heartbeat 9015
      and CNs the tables do not know get 9014 when Flag's A bit is set.
    """
    info = codes.commands(pkt.edition).get(pkt.cn or "")
    kind = info.logger_kind if info is not None else ""
    if kind == "answer" or (info is None and (pkt.cn or "").startswith("90")):
        return None
    if kind == "request":
        return request_answer(pkt)
    if kind == "notification":
        return notification_answer(pkt) if pkt.wants_answer or pkt.edition == "2005" else None
    return data_answer(pkt) if pkt.wants_answer else None
