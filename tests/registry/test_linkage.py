"""Linkage on a small generated set: accuracy, code stability, merge/split, review decisions."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from ecohub.registry import generator, records, review, service
from ecohub.standards import source_codes
from ecohub.store.db import connect
from tests.registry.conftest import pairwise_f1

SEED = 3


@pytest.fixture(scope="module")
def bench() -> generator.Benchmark:
    return generator.generate(400, seed=SEED)


def _load(con: duckdb.DuckDBPyConnection, bench: generator.Benchmark, systems: list[str]) -> None:
    for s in systems:
        records.load_frame(con, s, bench.systems[s], crs=bench.crs[s])


def _codes(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.execute("SELECT system, record_id, source_code FROM source_record").df()


def test_accuracy_and_code_stability(bench: generator.Benchmark) -> None:
    con = connect(":memory:")
    _load(con, bench, ["permit", "eia"])
    first = service.link(con)
    assert first["issue"] == first["clusters"]
    before = _codes(con)
    assert before.source_code.map(source_codes.is_valid_source_code).all()

    _load(con, bench, ["online", "tax"])
    service.link(con)
    after = _codes(con)
    p, r, f1 = pairwise_f1(after, bench.truth)
    assert f1 >= 0.93, (p, r, f1)  # fixed seed: a regression in any stage fails this

    # Every earlier record keeps its code, unless that code was merged into the new one.
    joined = before.merge(after, on=["system", "record_id"], suffixes=("_1", "_2"))
    moved = joined[joined.source_code_1 != joined.source_code_2]
    status = dict(con.execute("SELECT source_code, merged_into FROM source").fetchall())
    for old, new in zip(moved.source_code_1, moved.source_code_2, strict=True):
        assert status[old] == new
    # Every source has its page key (ecohub.geo.storage): unique, with its point's cell on the
    # curve (DuckDB spatial's ST_Hilbert over China's box) in the high 32 bits.
    keys = con.execute(
        "SELECT hkey, hkey >> 32, CASE WHEN lon IS NULL OR lat IS NULL THEN 4294967295 ELSE "
        "ST_Hilbert(lon, lat, ST_Extent(ST_MakeEnvelope(73, 3, 136, 54))) END FROM source"
    ).fetchall()
    assert len({k for k, *_ in keys}) == len(keys) > 0
    assert all(cell == want for _, cell, want in keys)
    # A run with nothing new changes nothing (the keys included).
    service.link(con)
    assert (
        _codes(con)
        .sort_values(["system", "record_id"])
        .equals(after.sort_values(["system", "record_id"]))
    )
    assert sorted(con.execute("SELECT hkey FROM source").fetchall()) == sorted(
        (k,) for k, *_ in keys
    )


def test_review_decisions_split_and_merge(bench: generator.Benchmark) -> None:
    con = connect(":memory:")
    _load(con, bench, ["permit", "tax"])
    service.link(con)
    sizes = con.execute(
        "SELECT source_code, list(system || ':' || record_id ORDER BY system, record_id) "
        "FROM source_record GROUP BY 1 HAVING count(*) = 2 ORDER BY 1 LIMIT 2"
    ).fetchall()
    (code_a, (a1, a2)), (code_b, (b1, _)) = sizes

    # nonmatch inside one source: it splits; the part that leaves gets a new code.
    review.decide(con, a1, a2, "nonmatch", by="tester", note="different plants")
    service.link(con)
    c1 = con.execute(
        "SELECT source_code FROM source_record WHERE system || ':' || record_id = ?", [a1]
    ).fetchone()
    c2 = con.execute(
        "SELECT source_code FROM source_record WHERE system || ':' || record_id = ?", [a2]
    ).fetchone()
    assert c1 and c2 and c1[0] != c2[0] and code_a in (c1[0], c2[0])
    split = con.execute(
        "SELECT source_code, other_code FROM source_event WHERE kind = 'split'"
    ).fetchall()
    assert len(split) == 1 and split[0][1] == code_a

    # match across two sources: they merge; one code is retired, with history.
    review.decide(con, a1, b1, "match", by="tester")
    service.link(con)
    merged = con.execute(
        "SELECT source_code, merged_into FROM source WHERE status = 'merged'"
    ).fetchall()
    assert len(merged) == 1
    assert merged[0][0] in (c1[0], code_b)
    ev = con.execute(
        "SELECT source_code, other_code, actor FROM source_event WHERE kind = 'merge'"
    ).fetchall()
    assert ev == [(merged[0][1], merged[0][0], "system")]

    # Both decisions still hold on a later run.
    service.link(con)
    got = dict(
        con.execute(
            "SELECT system || ':' || record_id, source_code FROM source_record "
            "WHERE system || ':' || record_id IN (?, ?, ?)",
            [a1, a2, b1],
        ).fetchall()
    )
    assert got[a1] == got[b1] != got[a2]


def test_model_keeps_every_comparison_when_a_training_rule_finds_no_pairs(
    bench: generator.Benchmark,
) -> None:
    """A list without valid credit codes or region codes (FEBRL is one): the EM sessions on
    those fields find no pairs and must leave the model as it was - all comparisons, a small λ -
    and their fallbacks must train the comparisons instead."""
    from ecohub.registry import linkage

    con = connect(":memory:")
    _load(con, bench, ["permit", "eia"])
    frame = linkage.input_frame(con)
    frame[["uscc_norm", "uscc_body", "region_code", "region4"]] = None
    pairs, model = linkage.predict_pairs(frame)
    names = [c["output_column_name"] for c in model["comparisons"]]
    assert names == [
        "name",
        "uscc",
        "address",
        "region",
        "legal_rep",
        "lat_wgs_lon_wgs",
        "industry",
    ]
    assert model["probability_two_random_records_match"] < 0.01
    # Every comparison with data got m values from some session (the fallbacks ran).
    for comp in model["comparisons"]:
        if comp["output_column_name"] == "region":
            continue  # no region codes, nothing to learn
        assert any("m_probability" in lv for lv in comp["comparison_levels"]), comp
    assert len(pairs)
