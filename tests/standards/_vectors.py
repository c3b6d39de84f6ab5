"""Read the CSV test vectors; each row becomes one pytest param whose id is the case."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

VECTORS = Path(__file__).parent / "vectors"


def cases(name: str) -> list[pytest.param]:
    """Rows of ``vectors/<name>`` (``#`` lines are notes) as params with ``id = case``."""
    lines = [ln for ln in (VECTORS / name).read_text(encoding="utf-8").splitlines()]
    rows = csv.DictReader(ln for ln in lines if not ln.startswith("#"))
    out = []
    for row in rows:
        assert row["clause"], f"{name}: case {row['case']} names no clause"
        out.append(pytest.param(row, id=row["case"]))
    return out
