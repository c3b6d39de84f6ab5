"""The catalog's own error: a request that contradicts a resource's rules (HTTP 409)."""

from __future__ import annotations


class Conflict(Exception):
    """The request cannot be met because of the resource's state or rules (HTTP 409).

    The message says why (e.g. a resource of type 不予共享 is never granted).
    """
