"""Lists the model has little to learn from still link: a list without addresses (the gram
sets all NULL) and a handful of records (a pilot county, a test store)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from ecohub.registry import service
from ecohub.registry.linkage import same_code_pairs

# GB 32100's commonly published example of a valid code.
CODE = "91350100M000100Y43"


def test_a_list_without_addresses_links(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    # Before: Splink failed to bind list_distinct(INTEGER) on the all-NULL address grams.
    permit = tmp_path / "permit.csv"
    permit.write_text(
        f"record_id,name,uscc\nP1,福州某某电子有限公司,{CODE}\nP2,厦门另一家化工有限公司,\n",
        encoding="utf-8",
    )
    tax = tmp_path / "tax.csv"
    tax.write_text(f"record_id,name,uscc\nT1,福州某某电子公司,{CODE}\n", encoding="utf-8")
    service.load_records(con, "permit", permit)
    service.load_records(con, "tax", tax)
    out = service.link(con, actor="test")
    assert out["records"] == 3
    codes = con.execute("SELECT count(source_code) FROM source_record").fetchone()
    assert codes == (3,)


def test_same_code_pairs_by_hand() -> None:
    frame = pd.DataFrame(
        {
            "unique_id": ["a", "b", "c", "d"],
            "uscc_norm": [CODE, None, CODE, "91110000100000000X"],
        }
    )
    pairs = same_code_pairs(frame)
    assert pairs.to_dict("records") == [
        {"unique_id_l": "a", "unique_id_r": "c", "match_probability": 1.0}
    ]
