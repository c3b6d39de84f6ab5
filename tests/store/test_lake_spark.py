"""Spark reads the lake as it is on disk: no jar, no catalog, partitions from the folder names."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from ecohub.settings import Settings
from ecohub.store import lake
from ecohub.store.db import connect
from ecohub.store.engine import spark_session
from ecohub.store.lake_compact import compact


def test_spark_reads_the_lake_folder_and_the_file_list(tmp_path: Path) -> None:
    s = Settings(data_dir=tmp_path, node_id="n1")
    con = connect(s.database)
    lake.attach(con, s)
    t = datetime(2026, 1, 31, 16, 30, tzinfo=UTC)  # 2026-02-01 00:30 CST
    for i, mn in enumerate(("a", "abc")):  # buckets 0 and 9 (RFC 1321 vectors)
        con.execute(
            "INSERT INTO emission (mn, cn, data_time, pollutant, avg, fields, received_at) "
            "VALUES (?, '2051', ?, 'a21026', ?, '{\"Avg\":\"1\"}', ?)",
            [mn, t + timedelta(minutes=i), 1.5 + i, t],
        )
    assert compact(con, s, now=t + timedelta(days=5))["emission"]["moved"] == 2
    spark = spark_session("local[1]", warehouse=str(tmp_path / "wh"))
    folder = spark.read.parquet(lake.root(s, "emission"))
    files = spark.read.option("basePath", lake.root(s, "emission")).parquet(
        *lake.paths(s, "emission")
    )
    for df in (folder, files):
        got = sorted(
            (r["mn"], r["month"], str(r["bucket"]), r["avg"], r["fields"])
            for r in df.select("mn", "month", "bucket", "avg", "fields").collect()
        )
        assert got == [("a", "2026-02", "0", 1.5, '{"Avg":"1"}'),
                       ("abc", "2026-02", "9", 2.5, '{"Avg":"1"}')]  # fmt: skip
    # Times are instants: 2026-02-01 00:30 in the session's China Standard Time.
    from pyspark.sql import functions as F

    first = (
        folder.orderBy("data_time")
        .select(F.date_format("data_time", "yyyy-MM-dd HH:mm").alias("t"))
        .first()
    )
    assert first is not None
    assert first["t"] == "2026-02-01 00:30"


def test_a_spark_run_reads_observations_with_their_history(tmp_path: Path) -> None:
    """The backend exports a table kept partly in the lake with its history: settled rows,
    hot rows, and a reload in the hot table hiding the lake's older value."""
    from ecohub.store.backend import SparkBackend

    s = Settings(data_dir=tmp_path, node_id="n1")
    con = connect(s.database)
    lake.attach(con, s)
    old = datetime(2026, 1, 10, tzinfo=UTC)
    ins = (
        "INSERT INTO observation (station_id, parameter, period, time, value, unit, "
        "below_detection) VALUES ('S1', 'a34004', '1h', ?, ?, 'ug/m3', false) "
        "ON CONFLICT DO UPDATE SET value = EXCLUDED.value"
    )
    con.execute(ins, [old, 1.0])
    con.execute(ins, [old + timedelta(hours=1), 2.0])
    assert compact(con, s, now=old + timedelta(days=5))["observation"]["moved"] == 2
    con.execute(ins, [old + timedelta(hours=1), 5.0])  # reloaded: hot, wins
    con.execute(ins, [old + timedelta(days=4), 3.0])  # live
    session = spark_session("local[1]", warehouse=str(tmp_path / "wh"))
    backend = SparkBackend("local[1]", work_dir=tmp_path / "spark", session=session)
    with backend.run(con, ["observation"]) as run:
        got = run.ibis.to_pyarrow(run.table("observation").order_by("time"))
    assert got.column("value").to_pylist() == [1.0, 5.0, 3.0]
