"""The GB/T 2260 division tree (reference data, the same for every caller)."""

from __future__ import annotations

from typing import Any

from ecohub.queries import NotFound
from ecohub.standards import divisions
from ecohub.standards.errors import InvalidCode


def _node(code: str) -> dict[str, Any]:
    d = divisions.lookup(code)
    return {
        "code": d.code,
        "name": d.name,
        "level": d.level,
        "parent_code": d.parent_code,
        "has_children": bool(divisions.children(d.code)),
    }


def regions(parent: str | None = None) -> list[dict[str, Any]]:
    """The provinces, or the divisions directly under ``parent``."""
    if parent is None:
        codes = sorted(
            c
            for c, r in divisions._rows().items()
            if r["kind"] == "division" and r["level"] == "province"
        )
    else:
        codes = divisions.children(_known(parent))
    return [_node(c) for c in codes]


def _known(code: str) -> str:
    try:
        return divisions.validate(code)
    except InvalidCode:
        raise NotFound("region", code) from None


def region(code: str) -> dict[str, Any]:
    """One division with its path from the province down and its children."""
    value = _known(code)
    path: list[dict[str, Any]] = []
    at = divisions.parent(value)
    while at is not None:
        path.insert(0, _node(at))
        at = divisions.parent(at)
    return {**_node(value), "path": path, "children": [_node(c) for c in divisions.children(value)]}
