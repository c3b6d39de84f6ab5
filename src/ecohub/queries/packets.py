"""Raw HJ 212 packets as SQL that never shows the device password.

A packet's ``PW=`` field is the password a device signs in with (HJ 212-2017 6.3.3); whoever
reads it can send data as that device. Every read of stored packets (the rejected-packet list,
the catalog's rows of ``packet_log`` and ``hj212_message``) goes through these expressions, so
the value is replaced by ``***`` in the query, before a row leaves DuckDB.
"""

from __future__ import annotations

_PW = r"'(PW=)[^;&]*', '\1***', 'g'"
#: On a packet's bytes as hex (they need not be text): from a byte boundary, ``PW=`` (50 57 3D)
#: and the bytes up to ``;`` (3B) or ``&`` (26), as ``PW=***`` (the first one).
_PW_HEX = (
    r"'^((?:[0-9A-F]{2})*?)50573D(?:[014-9A-F][0-9A-F]|2[0-57-9A-F]|3[0-9AC-F])*', "
    r"'\150573D2A2A2A'"
)


def text_sql(column: str) -> str:
    """The packet text in ``column`` with its password masked."""
    return f"regexp_replace({column}, {_PW})"


def hex_sql(column: str) -> str:
    """The packet bytes in ``column`` (a BLOB) as hex, with its password masked."""
    return f"regexp_replace(hex({column}), {_PW_HEX})"
