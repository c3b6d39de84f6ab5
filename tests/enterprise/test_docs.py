"""docs/enterprise.md cannot drift from the factor table, the headers or the routes."""

from __future__ import annotations

from pathlib import Path

from ecohub.api.rules import ACCESS
from ecohub.enterprise import fields
from ecohub.enterprise.tables import factors

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_every_factor_and_header_is_documented() -> None:
    text = (DOCS / "enterprise.md").read_text(encoding="utf-8")
    assert [f.factor for f in factors() if f"`{f.factor}`" not in text] == []
    for headers in (fields.CASE_HEADERS, fields.EIA_HEADERS):
        for spellings in headers.values():
            assert any(s in text for s in spellings), spellings


def test_every_route_is_in_the_api_doc() -> None:
    text = (DOCS / "api.md").read_text(encoding="utf-8")
    ours = [p for (_, p) in ACCESS if p.startswith(("/api/v1/sources/", "/api/v1/cases",
                                                     "/api/v1/eia"))]  # fmt: skip
    assert len(ours) == 5
    assert [p for p in ours if f"`GET {p}" not in text] == []
