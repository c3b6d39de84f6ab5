"""HJ 212 codec (HJ 212-2025, HJ 212-2017, HJ/T 212-2005), sans I/O.

``parse`` bytes into a :class:`Packet` (``analyse``: strict verdict and lenient reading in one
pass), ``build`` frames, ``Framer`` cuts a byte stream into
frames, the response builders and ``answer_for`` write what the platform sends back, and
``diagnose`` names the known deviations a rejected frame follows; ``parse_number`` is
the one reader of HJ 212's number syntax. No asyncio, sockets or
databases here: the server in ``ecohub.ingest`` feeds bytes in and writes bytes out.
"""

from __future__ import annotations

from ecohub.protocols.hj212.builder import build
from ecohub.protocols.hj212.codec import DEVIATIONS, Analysis, analyse, diagnose, parse
from ecohub.protocols.hj212.errors import (
    BadHeader,
    CrcMismatch,
    FramingError,
    LengthMismatch,
    MalformedCP,
    MalformedField,
    MalformedNumber,
    MissingField,
    ProtocolError,
)
from ecohub.protocols.hj212.framing import Framer
from ecohub.protocols.hj212.numbers import Number, parse_number
from ecohub.protocols.hj212.packet import EDITIONS, Packet
from ecohub.protocols.hj212.responses import (
    answer_for,
    data_answer,
    execution_result,
    notification_answer,
    request_answer,
)

__all__ = [
    "DEVIATIONS",
    "EDITIONS",
    "Analysis",
    "BadHeader",
    "CrcMismatch",
    "Framer",
    "FramingError",
    "LengthMismatch",
    "MalformedCP",
    "MalformedField",
    "MalformedNumber",
    "MissingField",
    "Number",
    "Packet",
    "ProtocolError",
    "analyse",
    "answer_for",
    "build",
    "data_answer",
    "diagnose",
    "execution_result",
    "notification_answer",
    "parse",
    "parse_number",
    "request_answer",
]
