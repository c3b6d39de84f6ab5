"""docs/supervision.md cannot drift from the rules table."""

from __future__ import annotations

from pathlib import Path

from ecohub.supervision import load_rules

DOC = Path(__file__).resolve().parents[2] / "docs" / "supervision.md"


def test_every_rule_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    missing = [r for r in load_rules() if f"`{r}`" not in text]
    assert missing == []
