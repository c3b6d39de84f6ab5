from __future__ import annotations

from collections.abc import Iterator

import duckdb
import pandas as pd
import pytest

from ecohub.store.db import connect


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    c = connect(":memory:")
    yield c
    c.close()


def pairwise_f1(assigned: pd.DataFrame, truth: pd.DataFrame) -> tuple[float, float, float]:
    """Pairwise precision, recall, F1 of ``source_code`` clusters against ``entity_id``."""
    m = assigned.merge(truth, on=["system", "record_id"])

    def pairs(keys: list[str]) -> int:
        n = m.groupby(keys).size()
        return int((n * (n - 1) // 2).sum())

    tp, pp, tt = pairs(["source_code", "entity_id"]), pairs(["source_code"]), pairs(["entity_id"])
    p, r = tp / pp if pp else 1.0, tp / tt if tt else 1.0
    return p, r, 2 * p * r / (p + r) if p + r else 0.0
