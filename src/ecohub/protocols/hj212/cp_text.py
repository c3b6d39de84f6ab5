"""The CP data area ``CP=&&...&&`` (HJ 212-2017 6.3.3) read into ``{key: text}``.

6.3.3: a field and its value are joined by ``=``; values of one item (one code's fields) are
separated by ``,`` and items by ``;``. Real loggers add three things the fast path cannot read,
handled item by item: ``//...//`` values holding separators (the 2017 i11001 log text), a key
sent twice (2005 ``CTime=..,CTime=..``, kept joined with ``,``) and a bare ``,``-item that
continues the previous value (a value holding a comma).

Work is linear in the CP text and bounded by ``MAX_CP_ITEMS``: each separator is looked up
once (the next ``;`` and ``,`` are remembered, not searched again for every item), and joined
values are collected in lists and joined once, not grown by repeated concatenation.
"""

from __future__ import annotations

from ecohub.protocols.hj212.constants import MAX_CP_ITEMS, MAX_CP_KEY_LENGTH
from ecohub.protocols.hj212.errors import MalformedCP

__all__ = ["parse_cp"]


def _too_many(offset: int) -> MalformedCP:
    return MalformedCP(
        f"CP has more than {MAX_CP_ITEMS} items (MAX_CP_ITEMS)", field="CP", offset=offset
    )


def parse_cp(cp_text: str, offset: int) -> dict[str, str]:
    """``{key: value text}`` in order; ``offset`` is where ``cp_text`` starts in the segment."""
    if not cp_text:
        return {}
    if "//" not in cp_text and "&" not in cp_text:
        # Fast path: 6.3.3 - items split by ';' (groups) and ',' (fields of one code).
        items = cp_text.replace(",", ";").split(";")
        if len(items) > MAX_CP_ITEMS:
            raise _too_many(offset)
        try:
            cp = dict([item.split("=", 1) for item in items])
        except ValueError:
            return _parse_cp_slow(cp_text, offset)
        if len(cp) == len(items) and "" not in cp and max(map(len, cp)) <= MAX_CP_KEY_LENGTH:
            return cp
    return _parse_cp_slow(cp_text, offset)


def _parse_cp_slow(cp_text: str, offset: int) -> dict[str, str]:
    """Item by item: ``//..//`` values, repeated keys, ``,``-continuations (see module doc)."""
    parts: dict[str, list[str]] = {}
    n = len(cp_text)
    pos = 0
    count = 0
    last_key: str | None = None
    prev_sep = ";"
    # Next ';' and ',' at or after pos (n when none): each found once, reused until passed.
    semi = comma = -1
    while True:
        count += 1
        if count > MAX_CP_ITEMS:
            raise _too_many(offset + pos)
        if semi < pos:
            semi = cp_text.find(";", pos)
            if semi < 0:
                semi = n
        if comma < pos:
            comma = cp_text.find(",", pos)
            if comma < 0:
                comma = n
        end = min(semi, comma)
        item = cp_text[pos:end]
        key, eq, value = item.partition("=")
        if eq and value.startswith("//"):
            start = pos + len(key) + 1
            close = cp_text.find("//", start + 2)
            if close < 0:
                raise MalformedCP(
                    f"CP value of {key[:40]!r} opens // and never closes it",
                    field="CP",
                    offset=offset + start,
                )
            end = close + 2
            value = cp_text[start:end]
            if end < n and cp_text[end] not in ";,":
                raise MalformedCP(
                    f"text after the closing // of {key[:40]!r}", field="CP", offset=offset + end
                )
        elif "&" in item:
            raise MalformedCP(f"'&' inside CP item {item[:40]!r}", field="CP", offset=offset + pos)
        if not eq:
            # A bare item after ',' continues the previous value (a value holding a comma).
            if last_key is None or prev_sep != "," or not item:
                raise MalformedCP(
                    f"CP item {item[:40]!r} is not key=value", field="CP", offset=offset + pos
                )
            parts[last_key].append(item)
        else:
            if not key or len(key) > MAX_CP_KEY_LENGTH:
                raise MalformedCP(f"bad CP key {key[:40]!r}", field="CP", offset=offset + pos)
            # A key sent twice (2005 CTime=..,CTime=..) keeps its values joined with ','.
            values = parts.get(key)
            if values is None:
                parts[key] = [value]
            else:
                values.append(value)
            last_key = key
        if end >= n:
            return {key: ",".join(values) for key, values in parts.items()}
        prev_sep = cp_text[end]
        pos = end + 1
