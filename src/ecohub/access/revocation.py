"""A counter that moves whenever a credential may have lost its power (a user disabled, an
API key revoked) in this process: the API's verification cache keeps an entry only while the
counter stands where it stood when the entry was made, so such a change takes effect at once.
While the server runs it is the store's only writer, so every such change happens here."""

from __future__ import annotations

import threading

_lock = threading.Lock()
_generation = 0


def bump() -> None:
    """Something was revoked or disabled: every cached verification is stale."""
    global _generation
    with _lock:
        _generation += 1


def generation() -> int:
    return _generation
