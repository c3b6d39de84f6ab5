"""The built-in resource definitions (``data/*.csv``) and the vocabulary a resource's fields
are checked against: sharing and open types, update cycles, kinds and the code's shape."""

from __future__ import annotations

import csv
import re
from datetime import date
from functools import cache
from importlib import resources as pkg
from typing import Any

from ecohub.queries import QueryError

SHARING_TYPES = ("无条件共享", "有条件共享", "不予共享")
OPEN_TYPES = ("无条件开放", "有条件开放", "不予开放")
UPDATE_CYCLES = ("实时", "每小时", "每日", "每月", "每年", "不定期")
KINDS = ("table", "product")
#: Classification of tables found in the store but not described in resources.csv.
UNDESCRIBED_CLASS = "30100699"
CODE = re.compile(r"^(\d{8})-(\d{5})$")
#: Where a resource's attribution (CC BY 4.0 section 3(a)) comes from (resources.csv,
#: ``attribution``): the setting that holds the attribution of the data it was made from
#: (``open_attribution``: the air monitoring data, the bundled UCI sample's by default), or
#: empty: its provider at the platform's publisher.
ATTRIBUTIONS = ("", "open_attribution")

COLUMNS = (
    "code",
    "class_code",
    "theme",
    "subtheme",
    "name_zh",
    "name_en",
    "provider_code",
    "provider",
    "kind",
    "table_name",
    "row_filter",
    "abstract_zh",
    "abstract_en",
    "format",
    "sharing_type",
    "sharing_conditions",
    "sharing_method",
    "open_type",
    "open_conditions",
    "update_cycle",
    "published_on",
    "related",
    "licence",
    "origin",
    "defined_at",
)


def _csv(name: str) -> list[dict[str, str]]:
    text = pkg.files("ecohub.catalog").joinpath("data", name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


@cache
def themes() -> dict[str, dict[str, str]]:
    """Classification code -> theme, sub-theme (zh, en)."""
    return {r["class_code"]: r for r in _csv("themes.csv")}


@cache
def providers() -> dict[str, dict[str, str]]:
    return {r["provider_code"]: r for r in _csv("providers.csv")}


@cache
def table_specs() -> dict[str, dict[str, str]]:
    """Table -> how its coverage is computed (``time_column``, ``via``) and whether it is an
    internal security table (``internal``: ``y``; :mod:`ecohub.catalog.visibility`)."""
    return {r["table"]: r for r in _csv("tables.csv")}


@cache
def item_notes() -> dict[tuple[str, str], dict[str, str]]:
    """(table, column) -> Chinese name, unit, standard."""
    return {(r["table"], r["column"]): r for r in _csv("items.csv")}


def split_code(code: str) -> tuple[str, int]:
    """(classification code, sequence) of a resource code; ``code: ...`` when malformed."""
    m = CODE.match(code)
    if not m:
        raise QueryError("code", f"{code!r} is not a resource code (8-digit class, '-', 5 digits)")
    return m.group(1), int(m.group(2))


def check(row: dict[str, Any]) -> dict[str, Any]:
    """A definition validated against the guide's vocabularies; ValueError names the field."""
    cls, _ = split_code(row["code"])
    if cls not in themes():
        raise ValueError(f"class_code: {cls} of {row['code']} is not in themes.csv")
    if row["provider_code"] not in providers():
        raise ValueError(f"provider_code: {row['provider_code']!r} is not in providers.csv")
    for field, allowed in (
        ("sharing_type", SHARING_TYPES),
        ("open_type", OPEN_TYPES),
        ("update_cycle", UPDATE_CYCLES),
        ("kind", KINDS),
    ):
        if row[field] not in allowed:
            raise ValueError(f"{field}: {row[field]!r} of {row['code']} is not one of {allowed}")
    if row["sharing_type"] == "有条件共享" and not row.get("sharing_conditions"):
        raise ValueError(f"sharing_conditions: {row['code']} is 有条件共享 but states no condition")
    if row["open_type"] == "有条件开放" and not row.get("open_conditions"):
        raise ValueError(f"open_conditions: {row['code']} is 有条件开放 but states no condition")
    if (row.get("attribution") or "") not in ATTRIBUTIONS:
        raise ValueError(f"attribution: {row['attribution']!r} of {row['code']} is not one of "
                         f"{ATTRIBUTIONS}")  # fmt: skip
    return row


def attribution_source(code: str) -> str:
    """Where the attribution of resource ``code`` comes from (:data:`ATTRIBUTIONS`; a resource
    registered later than the built-in ones: its provider)."""
    for d in definitions():
        if d["code"] == code:
            return str(d["attribution"])
    return ""


@cache
def definitions() -> tuple[dict[str, Any], ...]:
    """The built-in resources, with classification and provider filled in from their tables."""
    out = []
    for r in _csv("resources.csv"):
        cls, _ = split_code(r["code"])
        t = themes().get(cls, {})
        row = {
            "code": r["code"],
            "class_code": cls,
            "theme": t.get("theme", ""),
            "subtheme": t.get("subtheme"),
            "name_zh": r["name_zh"],
            "name_en": r["name_en"],
            "provider_code": r["provider_code"],
            "provider": providers().get(r["provider_code"], {}).get("provider", ""),
            "kind": r["kind"],
            "table_name": r["table"],
            "row_filter": r["filter"] or None,
            "abstract_zh": r["abstract_zh"],
            "abstract_en": r["abstract_en"],
            "format": r["format"],
            "sharing_type": r["sharing_type"],
            "sharing_conditions": r["sharing_conditions"] or None,
            "sharing_method": r["sharing_method"] or None,
            "open_type": r["open_type"],
            "open_conditions": r.get("open_conditions") or None,
            "update_cycle": r["update_cycle"],
            "published_on": date.fromisoformat(r["published_on"]) if r["published_on"] else None,
            "related": r["related"] or None,
            "licence": None,
            "origin": "builtin",
            "initially_published": r["published"] == "y",
            "attribution": r.get("attribution") or "",
        }
        out.append(check(row))
    return tuple(out)
