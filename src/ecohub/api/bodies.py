"""Request-body base model: unknown members refused, text without lone surrogates or NUL.

JSON may carry ``\\ud800`` escapes that decode to text no UTF-8 store can hold, and ``\\u0000``,
which ends a string literal in the SQL text a query engine compiles (Ibis writes literals into
it); such text is refused at the door (422 naming the field) instead of failing deep inside.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator


def _check(value: Any) -> Any:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("text must be valid Unicode (no lone surrogates)") from None
        if "\x00" in value:
            raise ValueError("text must not contain a NUL character")
    elif isinstance(value, dict):
        for k, v in value.items():
            _check(k)
            _check(v)
    elif isinstance(value, list):
        for v in value:
            _check(v)
    return value


class StrictBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _unicode(cls, value: Any) -> Any:
        return _check(value)
