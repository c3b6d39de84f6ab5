"""Lake file merging: a partition with too many files becomes one, every row kept once,
de-duplication unchanged afterwards, and a merge cut by a kill finished by recovery."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from ecohub.settings import Settings
from ecohub.store import lake, lake_merge, lake_swap
from ecohub.store.db import connect
from ecohub.store.lake_compact import compact, recover

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
DAY = datetime(2026, 10, 5, 4, 0, tzinfo=UTC)
MN = "MN000000000000000001"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, node_id="n1", lake_merge_files=2)


def put(con: duckdb.DuckDBPyConnection, t: datetime, avg: float) -> None:
    con.execute(
        "INSERT OR IGNORE INTO emission (mn, cn, data_time, pollutant, avg, fields, received_at) "
        "VALUES (?, '2051', ?, 'a21026', ?, ?, ?)",
        [MN, t, avg, f'{{"Avg":"{avg}"}}', t],
    )


def emissions(con: duckdb.DuckDBPyConnection) -> list[tuple[object, ...]]:
    return con.execute("SELECT mn, data_time, avg FROM emission_all ORDER BY ALL").fetchall()


def three_days(con: duckdb.DuckDBPyConnection, settings: Settings) -> dict[str, object]:
    """Three compactions of one day each, into one partition; the last result."""
    out: dict[str, object] = {}
    for d in range(3):
        put(con, DAY + timedelta(days=d), float(d))
        put(con, DAY + timedelta(days=d, hours=1), 10.0 + d)
        out = compact(con, settings, now=NOW)["emission"]
    return out


def test_a_partition_past_the_limit_is_merged_into_one_file(
    con: duckdb.DuckDBPyConnection, settings: Settings
) -> None:
    out = three_days(con, settings)
    assert out["merged"] == {"partitions": 1, "files_before": 3, "rows": 6}
    files = lake.paths(settings, "emission")
    assert len(files) == 1 and files[0].endswith("-m.parquet")
    assert len(emissions(con)) == 6
    assert con.execute(
        "SELECT count(*) = count(DISTINCT (mn, cn, data_time, pollutant)) FROM emission_lake"
    ).fetchone() == (True,)
    # Sorted by device and time inside the merged file.
    times = [r[0] for r in con.execute(
        "SELECT data_time FROM read_parquet(?)", [files[0]]).fetchall()]  # fmt: skip
    assert times == sorted(times)
    assert con.execute(
        "SELECT state, rows_moved FROM lake_batch WHERE batch = ?",
        [Path(files[0]).name.removesuffix("-m.parquet")],
    ).fetchone() == ("done", 0)


def test_a_resend_after_the_merge_still_never_doubles(
    con: duckdb.DuckDBPyConnection, settings: Settings
) -> None:
    three_days(con, settings)
    before = emissions(con)
    put(con, DAY, 99.0)  # resent, different value: the first copy (now merged) wins
    out = compact(con, settings, now=NOW)["emission"]
    assert (out["known"], out["moved"]) == (1, 0)
    assert emissions(con) == before


def test_observations_merge_too(tmp_path: Path) -> None:
    s = Settings(data_dir=tmp_path, node_id="n1", lake_merge_files=1)
    c = connect(s.database)
    lake.attach(c, s)
    for d in range(2):
        c.execute(
            "INSERT INTO observation (station_id, parameter, period, time, value, unit, "
            "below_detection) VALUES ('S1', 'a34004', '1h', ?, ?, 'ug/m3', false)",
            [DAY + timedelta(days=d), float(d)],
        )
        out = compact(c, s, now=NOW)["observation"]
    assert out["merged"]["partitions"] == 1
    assert len(lake.paths(s, "observation")) == 1
    assert c.execute("SELECT value FROM observation_all ORDER BY time").fetchall() == [
        (0.0,), (1.0,)]  # fmt: skip


def test_partitions_within_the_limit_are_left_alone(
    con: duckdb.DuckDBPyConnection, settings: Settings
) -> None:
    for d in range(2):
        put(con, DAY + timedelta(days=d), float(d))
        out = compact(con, settings, now=NOW)["emission"]
    assert out["merged"]["partitions"] == 0
    assert len(lake.paths(settings, "emission")) == 2


def test_merge_killed_before_the_swap_changes_nothing(
    con: duckdb.DuckDBPyConnection, settings: Settings
) -> None:
    for d in range(2):
        put(con, DAY + timedelta(days=d), float(d))
        compact(con, settings, now=NOW)
    files = lake.paths(settings, "emission")
    before = emissions(con)
    base = Path(lake.root(settings, "emission"))
    folder = lake_swap.staged(base, "n1-m") / Path(files[0]).parent.relative_to(base)
    folder.mkdir(parents=True)
    (folder / "n1-m-m.parquet").write_bytes(b"PAR1 half written")
    con.execute(
        "INSERT INTO lake_batch VALUES ('n1-m', 'emission', 'n1', now(), 0, 0, 1, 'moving', "
        "now(), NULL)"
    )
    assert recover(con, settings, "emission") == 1
    assert lake.paths(settings, "emission") == files
    assert emissions(con) == before
    assert not (base / "_staging" / "n1-m").exists()


def test_merge_killed_after_the_swap_is_recorded_done(
    con: duckdb.DuckDBPyConnection, settings: Settings
) -> None:
    """Swapped but the batch still 'moving': the old files sit in staging and go; the rows
    are there once."""
    for d in range(3):
        put(con, DAY + timedelta(days=d), float(d))
        compact(con, Settings(data_dir=settings.data_dir, node_id="n1"), now=NOW)  # no merge
    before = emissions(con)
    base = Path(lake.root(settings, "emission"))
    spec = lake.spec("emission")
    # Run the merge's steps up to the swap, as lake_merge.merge does, then "die".
    ((month, bucket, files),) = lake_merge.crowded(base, 2)
    folder = lake_swap.staged(base, "n1-k") / f"month={month}" / f"bucket={bucket}"
    folder.mkdir(parents=True)
    con.execute(
        f"COPY (SELECT * FROM read_parquet(?, hive_partitioning = false) ORDER BY "
        f"{spec.bucket_by}, {spec.time}) TO '{folder / 'n1-k-m.parquet'}' (FORMAT parquet)",
        [files],
    )
    con.execute(
        "INSERT INTO lake_batch VALUES ('n1-k', 'emission', 'n1', now(), 0, 0, 1, 'moving', "
        "now(), NULL)"
    )
    lake_swap.put_in_place(base, "n1-k")
    assert recover(con, settings, "emission") == 1
    assert [Path(f).name for f in lake.paths(settings, "emission")] == ["n1-k-m.parquet"]
    assert emissions(con) == before
    assert not (base / "_staging" / "n1-k").exists()
