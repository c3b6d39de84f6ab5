"""The data lake: partitions, compaction (first stored wins), recovery after a kill, the views."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from ecohub.cst import CST
from ecohub.settings import Settings
from ecohub.store import lake, lake_known
from ecohub.store.db import connect
from ecohub.store.lake_compact import compact, recover

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def put(con: duckdb.DuckDBPyConnection, mn: str, t: datetime, avg: float, pollutant: str = "a21026",
        received: datetime | None = None) -> None:  # fmt: skip
    con.execute(
        "INSERT OR IGNORE INTO emission (mn, cn, data_time, pollutant, avg, fields, received_at) "
        "VALUES (?, '2051', ?, ?, ?, ?, ?)",
        [mn, t, pollutant, avg, f'{{"Avg":"{avg}"}}', received or t],
    )


def rows(con: duckdb.DuckDBPyConnection, table: str = "emission_all") -> list[tuple[object, ...]]:
    return con.execute(f"SELECT mn, data_time, pollutant, avg FROM {table} ORDER BY ALL").fetchall()


def test_partition_of_a_row_is_its_cst_month_and_md5_digit() -> None:
    # 2026-01-31 16:30 UTC is 2026-02-01 00:30 in China Standard Time: February.
    assert lake.month_of(datetime(2026, 1, 31, 16, 30, tzinfo=UTC)) == "2026-02"
    assert lake.month_of(datetime(2026, 1, 31, 15, 59, tzinfo=UTC)) == "2026-01"
    # RFC 1321 A.5 test suite: MD5("a") = 0cc175b9..., MD5("abc") = 90015098...,
    # MD5("message digest") = f96b697d...
    assert lake.bucket_of("a") == "0"
    assert lake.bucket_of("abc") == "9"
    assert lake.bucket_of("message digest") == "f"


def test_sql_partition_matches_python(con: duckdb.DuckDBPyConnection) -> None:
    t = datetime(2026, 1, 31, 16, 30, tzinfo=UTC)
    got = con.execute(
        f"SELECT {lake.partition_sql(lake.spec('emission'))} FROM (SELECT 'abc' AS mn, "
        "?::TIMESTAMPTZ AS data_time)",
        [t],
    ).fetchone()
    assert got == ("2026-02", "9")


def test_settled_rows_move_and_readers_still_see_every_row(
    con: duckdb.DuckDBPyConnection, settings: Settings
) -> None:
    # NOW - 48 h = 2026-11-24 20:00 CST: whole days before 2026-11-24 00:00 CST settle, so days
    # 3 and 4 before NOW move (2 rows per device) and day 2 (11-24 19:59 CST) stays hot.
    for d in range(5):
        put(con, "MN000000000000000001", NOW - timedelta(days=d, minutes=1), d)
        put(con, "MN000000000000000002", NOW - timedelta(days=d, minutes=1), 10 + d)
    before = rows(con)
    out = compact(con, settings, now=NOW)["emission"]
    assert out["cutoff"] == "2026-11-24T00:00:00+08:00"
    assert (out["settled"], out["moved"], out["known"]) == (4, 4, 0)
    assert con.execute("SELECT count(*) FROM emission").fetchone() == (6,)
    assert con.execute("SELECT count(*) FROM emission_lake").fetchone() == (4,)
    assert rows(con) == before
    # JSON text survives the round trip as JSON.
    assert con.execute("SELECT fields->>'Avg' FROM emission_lake WHERE avg = 4").fetchone() == (
        "4",
    )  # as put() wrote it
    files = lake.paths(settings, "emission")
    assert files and all(Path(f).name.startswith(out["batch"]) for f in files)
    assert all("/month=2026-11/bucket=" in f for f in files)
    # Nothing is left to settle: a second run moves nothing.
    again = compact(con, settings, now=NOW)["emission"]
    assert (again["settled"], again["moved"]) == (0, 0)


def test_resend_after_compaction_never_doubles_and_first_copy_wins(
    con: duckdb.DuckDBPyConnection, settings: Settings
) -> None:
    t = NOW - timedelta(days=10)
    put(con, "MN000000000000000001", t, 1.0)
    compact(con, settings, now=NOW)
    # The device resends last week's value (a different value, later): it lands in the hot
    # table, since the lake is not its primary key.
    put(con, "MN000000000000000001", t, 2.0)
    out = compact(con, settings, now=NOW)["emission"]
    assert (out["settled"], out["moved"], out["known"]) == (1, 0, 1)
    assert rows(con) == [("MN000000000000000001", t, "a21026", 1.0)]


def test_resend_before_compaction_is_ignored_by_the_hot_key(
    con: duckdb.DuckDBPyConnection, settings: Settings
) -> None:
    t = NOW - timedelta(days=3)
    put(con, "MN000000000000000001", t, 1.0)
    put(con, "MN000000000000000001", t, 2.0)  # INSERT OR IGNORE: the first copy stays
    compact(con, settings, now=NOW)
    assert rows(con) == [("MN000000000000000001", t, "a21026", 1.0)]


def test_known_filter_drops_only_keys_the_lake_holds(
    con: duckdb.DuckDBPyConnection, settings: Settings
) -> None:
    from ecohub.ingest.writer_tables import EMISSION_SCHEMA

    old = datetime.now(UTC) - timedelta(days=10)
    put(con, "MN000000000000000001", old, 1.0)
    compact(con, settings)
    keep_recent = datetime.now(UTC)
    batch = pa.Table.from_pylist(
        [
            {
                "mn": "MN000000000000000001",
                "cn": "2051",
                "data_time": old,
                "pollutant": "a21026",
                "avg": 9.0,
                "received_at": keep_recent,
            },  # in the lake: dropped
            {
                "mn": "MN000000000000000001",
                "cn": "2051",
                "data_time": old,
                "pollutant": "a34013",
                "avg": 3.0,
                "received_at": keep_recent,
            },  # old, but not in the lake: kept
            {
                "mn": "MN000000000000000001",
                "cn": "2051",
                "data_time": keep_recent,
                "pollutant": "a21026",
                "avg": 4.0,
                "received_at": keep_recent,
            },  # recent: kept
        ],
        schema=EMISSION_SCHEMA,
    )
    f = lake_known.KnownFilter(settings)
    kept = f(con.cursor(), batch)
    assert kept.schema == batch.schema
    assert sorted(kept.column("avg").to_pylist()) == [3.0, 4.0]
    assert f.lookups == 1
    # The dropped row was resent with another value than the lake's (1.0): reported.
    assert [(c[0], c[3], c[4], c[5]) for c in f.conflicts] == [
        ("MN000000000000000001", "a21026", "Avg=1.0", "Avg=9.0")
    ]
    # A batch of live data never reads the lake.
    assert f(con.cursor(), batch.slice(2, 1)).num_rows == 1
    assert f.lookups == 1


def test_killed_between_rename_and_delete_is_finished_by_recover(
    con: duckdb.DuckDBPyConnection, settings: Settings
) -> None:
    """The state a SIGKILL after step 4 leaves: files in the lake, the batch 'moving', the
    rows still hot. Built by undoing step 5 of a finished compaction."""
    for d in range(3, 6):
        put(con, "MN000000000000000001", NOW - timedelta(days=d), d)
    before = rows(con)
    batch = compact(con, settings, now=NOW)["emission"]["batch"]
    con.execute("INSERT INTO emission BY NAME SELECT * EXCLUDE (month, bucket) FROM emission_lake")
    con.execute("UPDATE lake_batch SET state = 'moving' WHERE batch = ?", [batch])
    assert len(rows(con)) == 2 * len(before)  # doubled until recovery
    assert recover(con, settings) == 1
    assert rows(con) == before
    assert con.execute("SELECT state FROM lake_batch WHERE batch = ?", [batch]).fetchone() == (
        "done",
    )


def test_killed_mid_rename_keeps_unmoved_rows_hot(
    con: duckdb.DuckDBPyConnection, settings: Settings
) -> None:
    """A kill after some files were renamed: those keys leave the hot table, the staged rest is
    deleted and its rows stay hot for the next compaction."""
    for mn in ("MN000000000000000001", "MN000000000000000002"):  # two buckets, two files
        put(con, mn, NOW - timedelta(days=5), 1.0)
    before = rows(con)
    batch = compact(con, settings, now=NOW)["emission"]["batch"]
    files = lake.paths(settings, "emission")
    assert len(files) == 2
    # Undo: rows back to hot, one file back to staging, batch 'moving'.
    con.execute("INSERT INTO emission BY NAME SELECT * EXCLUDE (month, bucket) FROM emission_lake")
    staged = Path(lake.root(settings, "emission")) / "_staging" / batch
    back = staged / Path(files[1]).relative_to(lake.root(settings, "emission"))
    back.parent.mkdir(parents=True)
    shutil.move(files[1], back)
    con.execute("UPDATE lake_batch SET state = 'moving' WHERE batch = ?", [batch])
    assert recover(con, settings) == 1
    assert not staged.exists()
    assert rows(con) == before
    assert con.execute("SELECT count(*) FROM emission").fetchone() == (1,)
    compact(con, settings, now=NOW)
    assert rows(con) == before
    assert con.execute("SELECT count(*) FROM emission").fetchone() == (0,)


def test_staging_left_before_the_batch_was_recorded_is_removed(
    con: duckdb.DuckDBPyConnection, settings: Settings
) -> None:
    leftover = Path(lake.root(settings, "emission")) / "_staging" / "n1-x" / "month=2026-01"
    leftover.mkdir(parents=True)
    (leftover / "n1-x-0.parquet").write_bytes(b"PAR1 half")
    other = Path(lake.root(settings, "emission")) / "_staging" / "n2-y"
    other.mkdir(parents=True)  # another node's staging is its own business
    recover(con, settings)
    assert not leftover.parent.exists()
    assert other.exists()


def test_views_show_hot_rows_only_before_attach(tmp_path: Path) -> None:
    c = connect(":memory:")
    put(c, "MN000000000000000001", NOW, 1.0)
    assert c.execute("SELECT count(*) FROM emission_all").fetchone() == (1,)
    assert c.execute("SELECT count(*) FROM observation_all").fetchone() == (0,)


def test_a_url_lake_cannot_be_compacted(tmp_path: Path) -> None:
    s = Settings(data_dir=tmp_path, lake="s3://bucket/lake", node_id="n1")
    c = connect(s.database)
    with pytest.raises(lake.LakeError, match="needs a folder"):
        compact(c, s)
    with pytest.raises(lake.LakeError, match="not compacted"):
        compact(c, Settings(data_dir=tmp_path), tables=("station",))


def test_node_id_is_safe_in_file_names(tmp_path: Path) -> None:
    assert Settings(data_dir=tmp_path, node_id="ingest-1/a b").node == "ingest_1_a_b"


def test_a_changed_resend_of_compacted_data_is_kept_as_evidence(
    con: duckdb.DuckDBPyConnection, settings: Settings
) -> None:
    """The writer with the lake filter, as a listener runs it: a packet resending a compacted
    minute with another value stores nothing and leaves a `conflict` entry; an identical
    resend leaves none."""
    from ecohub.ingest.metrics import IngestMetrics
    from ecohub.ingest.writer import StoreWriter
    from tests.ingest.test_writer import data_work

    old = datetime.now(UTC) - timedelta(days=10)
    stamp = old.astimezone(CST).strftime("%Y%m%d%H%M%S")
    w = StoreWriter(con, lambda batch: None, IngestMetrics())
    w.lake_filter = lake_known.KnownFilter(settings)
    w.write([data_work("MN1", stamp, {"a21026": "35.2"})])
    compact(con, settings)
    assert con.execute("SELECT count(*) FROM emission").fetchone() == (0,)  # all in the lake
    w.write([data_work("MN1", stamp, {"a21026": "35.2"}, qn="20260301120000002")])
    assert con.execute("SELECT count(*) FROM packet_log").fetchone() == (0,)
    w.write([data_work("MN1", stamp, {"a21026": "88"}, qn="20260301120000003")])
    logged = con.execute("SELECT status, error, reason, mn FROM packet_log").fetchall()
    assert logged == [
        ("conflict", "ConflictingResend",
         "resent with other values than stored (the stored ones kept): "
         "a21026 Rtd=35.2,Flag=N -> Rtd=88.0,Flag=N", "MN1"),
    ]  # fmt: skip
    assert con.execute("SELECT mn, pollutant, rtd FROM emission_all").fetchall() == [
        ("MN1", "a21026", 35.2)
    ]
