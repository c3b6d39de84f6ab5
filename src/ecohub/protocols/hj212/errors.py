"""Errors of the HJ 212 codec: one small family, each naming the field it is about.

``parse`` raises only :class:`ProtocolError` (or a subclass) whatever its input; the
server catches that one class, logs ``type(exc).__name__`` and ``exc.detail`` and moves on.
"""

from __future__ import annotations


class ProtocolError(Exception):
    """A packet that does not follow HJ 212.

    ``detail`` says what is wrong in words, ``field`` names the field (``"QN"``, ``"CP"``,
    ``"length"``, ``"crc"``, ...) when one is to blame, and ``offset`` is the byte offset in the
    frame where the problem was found, when known.
    """

    def __init__(self, detail: str, *, field: str | None = None, offset: int | None = None):
        super().__init__(detail)
        self.detail = detail
        self.field = field
        self.offset = offset

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.detail!r}, field={self.field!r}, offset={self.offset!r})"
        )


class BadHeader(ProtocolError):
    """The frame does not start with ``##`` followed by a 4-digit length (HJ 212-2017 6.3.1)."""


class LengthMismatch(ProtocolError):
    """The 4-digit data-segment length does not match the bytes of the data segment."""


class CrcMismatch(ProtocolError):
    """The CRC written in the frame is not the CRC of the data segment.

    ``expected`` is the CRC computed over the data segment, ``actual`` the one in the frame
    (``None`` when the frame's CRC is not 4 hex digits).
    """

    def __init__(
        self,
        detail: str,
        *,
        expected: int,
        actual: int | None,
        field: str | None = "crc",
        offset: int | None = None,
    ):
        super().__init__(detail, field=field, offset=offset)
        self.expected = expected
        self.actual = actual


class MissingField(ProtocolError):
    """A field the standard requires is absent (``field`` names it)."""


class MalformedField(ProtocolError):
    """A header field (QN, ST, CN, PW, MN, Flag, PNUM, PNO) breaks its grammar."""


class MalformedCP(ProtocolError):
    """The command-parameter field ``CP=&&...&&`` breaks its grammar."""


class MalformedNumber(MalformedCP):
    """A CP value that should be a number is not one in HJ 212's number syntax.

    ``field`` names the CP key (``"a34004-Rtd"``); see :mod:`ecohub.protocols.hj212.numbers`.
    """


class FramingError(ProtocolError):
    """Bytes the :class:`~ecohub.protocols.hj212.framing.Framer` had to throw away.

    Returned as an item by ``Framer.feed`` (never raised). ``reason`` is ``"junk"`` (bytes
    before ``##``), ``"oversize"`` (a frame longer than ``max_frame``) or ``"truncated"`` (the
    stream ended inside a frame, from ``Framer.flush``); ``discarded`` holds the
    first discarded bytes (capped, see ``constants.MAX_REPORTED_DISCARD``) and ``size`` how many
    bytes were discarded in all.
    """

    def __init__(self, reason: str, discarded: bytes, size: int):
        super().__init__(f"{reason}: discarded {size} bytes", field="frame")
        self.reason = reason
        self.discarded = discarded
        self.size = size

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FramingError):
            return NotImplemented
        return (self.reason, self.discarded, self.size) == (
            other.reason,
            other.discarded,
            other.size,
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"FramingError({self.reason!r}, {self.discarded!r}, {self.size})"
