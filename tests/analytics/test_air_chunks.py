"""A full air computation cut into runs of whole months (analytics/air_chunks.py) writes the
tables and reports the counts a single run does; the cut itself is worked out by hand."""

from __future__ import annotations

from datetime import date
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pytest

from ecohub.analytics.air_chunks import Span, chunks
from ecohub.analytics.air_results import compute_full
from ecohub.store.db import connect

from .test_air import obs_frame
from .test_air_incremental import TABLES, _insert, _tables


def test_chunks_are_runs_of_whole_months_of_about_the_asked_size() -> None:
    # 12 months, 120 values, 30 a chunk: 12 * 30 / 120 = 3 months a chunk.
    span = Span(date(2025, 1, 5), date(2025, 12, 20), rows=120, set_aside=0)
    assert chunks(span, 30) == [
        (date(2025, 1, 1), date(2025, 3, 31)),
        (date(2025, 4, 1), date(2025, 6, 30)),
        (date(2025, 7, 1), date(2025, 9, 30)),
        (date(2025, 10, 1), date(2025, 12, 31)),
    ]
    # Across a year end, one month a chunk when even one month is over the size; the last
    # chunk ends with its month (February of a leap year).
    span = Span(date(2023, 12, 31), date(2024, 2, 1), rows=1000, set_aside=0)
    assert chunks(span, 1) == [
        (date(2023, 12, 1), date(2023, 12, 31)),
        (date(2024, 1, 1), date(2024, 1, 31)),
        (date(2024, 2, 1), date(2024, 2, 29)),
    ]
    # 5 months, 7 chunks' worth: floor(5 * 100 / 700) = 0 -> one month a chunk.
    assert len(chunks(Span(date(2025, 1, 1), date(2025, 5, 1), 700, 0), 100)) == 5


def test_a_small_or_empty_record_is_one_chunk() -> None:
    assert chunks(Span(date(2025, 1, 1), date(2025, 12, 31), rows=30, set_aside=0), 30) == [None]
    assert chunks(Span(None, None, rows=0, set_aside=4), 1) == [None]


def _store() -> duckdb.DuckDBPyConnection:
    """Three stations in two cities, 2026-02-24 .. 2026-03-05 (a month end, and the day
    HJ 633-2026 comes into force), with gaps, flagged and negative values and two rows
    at impossible times."""
    con = connect(":memory:")
    con.execute(
        "INSERT INTO station (station_id, network, region_code) VALUES "
        "('s1', 'air', '110105'), ('s2', 'air', '110108'), ('t1', 'air', '130203')"
    )
    rng = np.random.default_rng(11)
    obs = obs_frame(start="2026-02-24", days=10, stations=("s1", "s2", "t1"))
    obs["value"] = (obs.value * rng.uniform(0.3, 3.0, len(obs))).round(1)
    obs = obs.drop(index=list(rng.choice(len(obs), 400, replace=False))).reset_index(drop=True)
    bad = rng.choice(len(obs), 30, replace=False)
    obs.loc[bad[:15], "flag"] = "F"
    obs.loc[bad[15:], "value"] = -1.0
    odd = obs.iloc[:2].copy()
    odd["time"] = [pd.Timestamp("1960-01-01", tz="UTC"), pd.Timestamp("2290-01-01", tz="UTC")]
    _insert(con, pd.concat([obs, odd], ignore_index=True))
    return con


def _run(chunk_values: int, engine: Any = None) -> tuple[dict[str, Any], dict[str, pd.DataFrame]]:
    con = _store()
    try:
        out = compute_full(con, engine=engine, chunk_values=chunk_values).as_dict()
        return out, _tables(con)
    finally:
        con.close()


def _same(a: dict[str, pd.DataFrame], b: dict[str, pd.DataFrame]) -> None:
    for name, keys in TABLES.items():
        x, y = (t[name].sort_values(keys).reset_index(drop=True) for t in (a, b))
        assert len(x) > 0, name
        pd.testing.assert_frame_equal(x, y, check_exact=False, rtol=1e-12, atol=1e-12)


def test_month_chunks_write_what_one_run_writes() -> None:
    whole, whole_tables = _run(chunk_values=10**9)
    chunked, chunked_tables = _run(chunk_values=1)  # February and March apart
    _same(whole_tables, chunked_tables)
    assert chunked == whole
    assert whole["set_aside"] == {
        "time out of range (before 1970, in the future, or not a time)": 2
    }
    assert sum(whole["invalid"].values()) == 30
    # Hourly rows of both months, so the cut really was made.
    months = set(chunked_tables["air_hourly_aqi"].time.dt.tz_convert("Asia/Shanghai").dt.month)
    assert months == {2, 3}


@pytest.mark.spark
def test_month_chunks_on_spark_write_what_one_duckdb_run_writes(
    spark_session: Any, tmp_path: Any
) -> None:
    from ecohub.store.backend import SparkBackend

    whole, whole_tables = _run(chunk_values=10**9)
    spark = SparkBackend(work_dir=tmp_path, session=spark_session)
    chunked, chunked_tables = _run(chunk_values=1, engine=spark)
    _same(whole_tables, chunked_tables)
    assert chunked == whole
