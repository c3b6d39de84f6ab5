"""Limits and fixed values of HJ 212, each with the clause it comes from or marked as our choice.

Clause numbers are those of HJ 212-2017 (the 2025 text keeps the frame unchanged in substance;
HJ/T 212-2005 has the same frame in its clause 6.3).
"""

from __future__ import annotations

#: 6.3.1 communication packet: header ``##``.
HEADER = b"##"
#: 6.3.1: packet terminator ``<CR><LF>``.
TERMINATOR = b"\r\n"
#: 6.3.1: data-segment length is 4 decimal digits, so at most 9999 bytes.
MAX_DATA_LENGTH = 9999
#: 6.3.1 sets the data segment at 0..1024 bytes and asks for subpackets (Flag D bit) above it.
#: Informational only: real loggers send longer unsplit packets and the 4-digit field allows
#: them, so the parser accepts up to MAX_DATA_LENGTH (our choice, recorded in docs/standards.md).
STANDARD_DATA_LENGTH = 1024
#: Whole frame: ``##`` + 4 length digits + data segment + 4 CRC hex digits + CR LF.
MAX_FRAME = 2 + 4 + MAX_DATA_LENGTH + 4 + 2
#: 6.3.2 table 4: QN is ``YYYYMMDDhhmmssZZZ`` (17 digits, milliseconds).
QN_LENGTH = 17
#: 6.3.2 table 4 / 6.6.1 table 5: ST is a 2-digit system code.
ST_LENGTH = 2
#: 6.3.2 table 4 / 6.6.2 table 6: CN is a 4-digit command code.
CN_LENGTH = 4
#: 6.3.2 table 4: PW is C9 (up to 9 characters; 6 in practice).
MAX_PW_LENGTH = 9
#: 6.3.2 table 4: MN is C27 (24 characters in 2017 practice; 14 in 2005).
MAX_MN_LENGTH = 27
#: 6.3.2 table 4: Flag is an 8-bit value (``N3``).
MAX_FLAG = 255
#: 6.3.2 table 4: PNUM and PNO are N4.
MAX_PACKET_NUMBER = 9999
#: Flag bits (6.3.2 table 4): bit 0 A = answer wanted, bit 1 D = split packet,
#: bits 2.. = edition (0: HJ/T 212-2005, 1: HJ 212-2017, 2: HJ 212-2025).
FLAG_A = 0x01
FLAG_D = 0x02
FLAG_VERSION_SHIFT = 2
#: Our choice: how many discarded bytes a FramingError carries (enough to recognise the
#: junk in a log line without letting one peer fill the log).
MAX_REPORTED_DISCARD = 256
#: Our choice: CP keys are short codes (``a34004-Rtd``, ``DataTime``); a key longer than this
#: is junk, not a code.
MAX_CP_KEY_LENGTH = 64
#: 2017 table 4 gives CP at most 950 characters (2005: 960), so a standard CP holds at most
#: 475 items of the shortest form (``k=``). We accept the 4-digit length's 9999 bytes, where
#: 5,000 items would fit; this cap (our choice, twice the standard's most) bounds the work per
#: frame so that a hostile frame costs no more than a few ordinary ones. A CP item is one
#: ``key=value`` or one ``,``-continuation.
MAX_CP_ITEMS = 1000
#: Our choice: the plausible years of a time field the codec checks (``QN``, CP ``DataTime``).
#: The codec has no clock (it is sans-I/O), so the range is fixed, not relative to reception:
#: 1990 leaves room for back-filled records from before HJ/T 212-2005's online monitoring
#: began, 2099 is the last year a 14-digit time of this century can mean. ``00010101000000``
#: and ``99991231235959`` are placeholders, not times. Checks against the receiving clock
#: (data from the future) belong to the server.
MIN_YEAR = 1990
MAX_YEAR = 2099
