"""docs/complaints.md cannot drift from the topic table and the parameters."""

from __future__ import annotations

from pathlib import Path

from ecohub.complaints.classify import CATEGORIES, topics

DOC = Path(__file__).resolve().parents[2] / "docs" / "complaints.md"


def test_every_category_and_topic_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    missing = [t for t in [*CATEGORIES, *topics()] if f"`{t}`" not in text]
    assert missing == []
