"""The Spark backend links a small set to the same clusters as DuckDB."""

from __future__ import annotations

import pytest

from ecohub.registry import generator, linkage, records
from ecohub.registry.cluster import cluster
from ecohub.store.backend import AnalyticsBackend, SparkBackend, duckdb_backend
from ecohub.store.db import connect

pytestmark = pytest.mark.spark


def test_spark_same_clusters_as_duckdb() -> None:
    import pyspark  # noqa: F401  (part of the test install: a missing engine fails, never skips)

    bench = generator.generate(150, seed=11)
    con = connect(":memory:")
    for s, df in bench.systems.items():
        records.load_frame(con, s, df, crs=bench.crs[s])
    frame = linkage.input_frame(con)
    config = linkage.LinkConfig()
    out: dict[str, set[tuple[str, ...]]] = {}
    backends: list[AnalyticsBackend] = [duckdb_backend(), SparkBackend("local[2]")]
    for backend in backends:
        pairs, _ = linkage.predict_pairs(frame, engine=backend, config=config)
        cl = cluster(frame.unique_id, pairs, threshold=config.auto_accept)
        groups = cl.groupby("cluster")["unique_id"].agg(lambda s: tuple(sorted(s)))
        out[backend.name] = set(groups)
    assert out["duckdb"] == out["spark"]
