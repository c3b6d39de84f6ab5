"""The Spark backend links a small set to the same clusters as DuckDB."""

from __future__ import annotations

import pytest

from ecohub.registry import generator, linkage, records
from ecohub.registry.cluster import cluster
from ecohub.store.db import connect

pytestmark = pytest.mark.spark


def test_spark_same_clusters_as_duckdb() -> None:
    import pyspark  # noqa: F401  (part of the test install: a missing engine fails, never skips)

    from ecohub.store.engine import spark_session

    bench = generator.generate(150, seed=11)
    con = connect(":memory:")
    for s, df in bench.systems.items():
        records.load_frame(con, s, df, crs=bench.crs[s])
    frame = linkage.input_frame(con)
    config = linkage.LinkConfig()
    out = {}
    for engine in ("duckdb", "spark"):
        pairs, _ = linkage.predict_pairs(
            frame,
            engine=engine,
            config=config,
            spark=spark_session() if engine == "spark" else None,
        )
        cl = cluster(frame.unique_id, pairs, threshold=config.auto_accept)
        groups = cl.groupby("cluster")["unique_id"].agg(lambda s: tuple(sorted(s)))
        out[engine] = set(groups)
    assert out["duckdb"] == out["spark"]
