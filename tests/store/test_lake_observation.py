"""Observations in the lake: compaction, the last load wins on both sides of it, partition
rewrites and their recovery, the readers that see history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from ecohub.settings import Settings
from ecohub.store import lake, lake_swap
from ecohub.store.backend import duckdb_backend
from ecohub.store.lake_compact import compact, recover

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
OLD = datetime(2026, 10, 5, 4, 0, tzinfo=UTC)  # settled at NOW: October 2026 in CST


def load(con: duckdb.DuckDBPyConnection, station: str, t: datetime, value: float,
         parameter: str = "a34004", flag: str | None = None) -> None:  # fmt: skip
    """What the loader does with one row: insert a new key, update a changed one (hot only)."""
    con.execute(
        "INSERT INTO observation (station_id, parameter, period, time, value, unit, flag, "
        "below_detection, source) VALUES (?, ?, '1h', ?, ?, 'ug/m3', ?, false, 'test') "
        "ON CONFLICT DO UPDATE SET value = EXCLUDED.value, flag = EXCLUDED.flag",
        [station, parameter, t, value, flag],
    )


def seen(
    con: duckdb.DuckDBPyConnection, table: str = "observation_all"
) -> list[tuple[object, ...]]:
    return con.execute(
        f"SELECT station_id, parameter, time, value, flag FROM {table} ORDER BY ALL"
    ).fetchall()


def test_settled_observations_move_and_every_reader_sees_them(
    con: duckdb.DuckDBPyConnection, settings: Settings
) -> None:
    for h in range(3):
        load(con, "S1", OLD + timedelta(hours=h), 10.0 + h)
        load(con, "S2", OLD + timedelta(hours=h), 20.0 + h)
    load(con, "S1", NOW - timedelta(hours=1), 99.0)  # live: stays hot
    before = seen(con)
    out = compact(con, settings, now=NOW)["observation"]
    assert (out["settled"], out["moved"], out["known"], out["rewritten"]) == (6, 6, 0, 0)
    assert con.execute("SELECT count(*) FROM observation").fetchone() == (1,)
    assert con.execute("SELECT count(*) FROM observation_lake").fetchone() == (6,)
    assert seen(con) == before
    assert all(
        "/observation/month=2026-10/bucket=" in f for f in lake.paths(settings, "observation")
    )
    # An analytic run reads the table with its history (DuckDB: Ibis reads observation_all).
    with duckdb_backend().run(con, ["observation"]) as run:
        assert run.ibis.table("observation").count().to_pyarrow().as_py() == 7


def test_identical_reload_after_compaction_never_doubles(
    con: duckdb.DuckDBPyConnection, settings: Settings
) -> None:
    load(con, "S1", OLD, 10.0)
    compact(con, settings, now=NOW)
    load(con, "S1", OLD, 10.0)  # the same file loaded again: new to the hot table
    assert seen(con) == [("S1", "a34004", OLD, 10.0, None)]  # the view shows it once
    out = compact(con, settings, now=NOW)["observation"]
    assert (out["settled"], out["moved"], out["known"], out["files"]) == (1, 0, 1, 0)
    assert seen(con) == [("S1", "a34004", OLD, 10.0, None)]
    assert con.execute("SELECT count(*) FROM observation").fetchone() == (0,)


def test_corrected_reload_after_compaction_wins_on_both_sides(
    con: duckdb.DuckDBPyConnection, settings: Settings
) -> None:
    for h in range(3):
        load(con, "S1", OLD + timedelta(hours=h), 10.0 + h)
    compact(con, settings, now=NOW)
    load(con, "S1", OLD + timedelta(hours=1), 55.0, flag="corrected")
    want = [("S1", "a34004", OLD, 10.0, None),
            ("S1", "a34004", OLD + timedelta(hours=1), 55.0, "corrected"),
            ("S1", "a34004", OLD + timedelta(hours=2), 12.0, None)]  # fmt: skip
    assert seen(con) == want  # before compaction: the hot row hides the lake's
    out = compact(con, settings, now=NOW)["observation"]
    assert (out["settled"], out["moved"], out["known"], out["rewritten"]) == (1, 1, 0, 1)
    assert seen(con) == want
    assert seen(con, "observation_lake") == want  # the partition now holds the new value
    assert con.execute("SELECT count(*) FROM observation").fetchone() == (0,)
    files = lake.paths(settings, "observation")
    assert len(files) == 1 and Path(files[0]).name == f"{out['batch']}-r.parquet"


def test_reload_before_compaction_moves_the_last_load(
    con: duckdb.DuckDBPyConnection, settings: Settings
) -> None:
    load(con, "S1", OLD, 10.0)
    load(con, "S1", OLD, 11.0)
    compact(con, settings, now=NOW)
    assert seen(con) == [("S1", "a34004", OLD, 11.0, None)]


def test_new_rows_of_a_rewritten_partition_go_into_its_rewrite(
    con: duckdb.DuckDBPyConnection, settings: Settings
) -> None:
    load(con, "S1", OLD, 10.0)
    compact(con, settings, now=NOW)
    load(con, "S1", OLD, 12.0)  # changed
    load(con, "S1", OLD + timedelta(days=1), 13.0)  # new, same partition
    load(con, "S1", OLD, 12.0, parameter="a21026")  # new, same partition, other parameter
    out = compact(con, settings, now=NOW)["observation"]
    assert (out["moved"], out["rewritten"], out["files"]) == (3, 1, 1)
    assert [r[3] for r in seen(con, "observation_lake")] == [12.0, 12.0, 13.0]  # a21026 sorts first


def test_killed_after_the_swap_is_finished_by_recover(
    con: duckdb.DuckDBPyConnection, settings: Settings
) -> None:
    """The state a SIGKILL between the partition swap and the hot delete leaves: built by
    putting the hot row back and the batch to 'moving'."""
    load(con, "S1", OLD, 10.0)
    compact(con, settings, now=NOW)
    load(con, "S1", OLD, 20.0)
    load(con, "S1", OLD + timedelta(hours=1), 30.0)
    batch = compact(con, settings, now=NOW)["observation"]["batch"]
    load(con, "S1", OLD, 20.0)
    load(con, "S1", OLD + timedelta(hours=1), 30.0)
    load(con, "S1", OLD + timedelta(hours=2), 40.0)  # loaded after the kill: stays hot
    con.execute("UPDATE lake_batch SET state = 'moving' WHERE batch = ?", [batch])
    want = seen(con)
    assert recover(con, settings, "observation") == 1
    assert seen(con) == want
    assert seen(con, "observation") == [("S1", "a34004", OLD + timedelta(hours=2), 40.0, None)]


def test_a_newer_load_is_never_deleted_by_recovery(
    con: duckdb.DuckDBPyConnection, settings: Settings
) -> None:
    load(con, "S1", OLD, 10.0)
    batch = compact(con, settings, now=NOW)["observation"]["batch"]
    load(con, "S1", OLD, 11.0)  # a reload committed after the files were renamed
    con.execute("UPDATE lake_batch SET state = 'moving' WHERE batch = ?", [batch])
    recover(con, settings, "observation")
    assert seen(con) == [("S1", "a34004", OLD, 11.0, None)]


def test_killed_before_the_swap_leaves_the_rows_hot(
    con: duckdb.DuckDBPyConnection, settings: Settings
) -> None:
    """Staged rewrite not yet swapped in (killed at step 3): staging goes, the lake keeps its
    old partition, the corrected row stays hot and wins in the view."""
    load(con, "S1", OLD, 10.0)
    compact(con, settings, now=NOW)
    base = Path(lake.root(settings, "observation"))
    old_files = lake.paths(settings, "observation")
    folder = lake_swap.staged(base, "n1-killed") / Path(old_files[0]).parent.relative_to(base)
    folder.mkdir(parents=True)
    (folder / "n1-killed-r.parquet").write_bytes(b"PAR1 not finished")
    con.execute(
        "INSERT INTO lake_batch VALUES ('n1-killed', 'observation', 'n1', now(), 1, 0, 1, "
        "'moving', now(), NULL)"
    )
    load(con, "S1", OLD, 20.0)
    recover(con, settings, "observation")
    assert not (base / "_staging" / "n1-killed").exists()
    assert lake.paths(settings, "observation") == old_files
    assert seen(con) == [("S1", "a34004", OLD, 20.0, None)]
    compact(con, settings, now=NOW)
    assert seen(con) == [("S1", "a34004", OLD, 20.0, None)]


def test_swap_cut_between_its_two_renames_is_put_in_place(
    con: duckdb.DuckDBPyConnection, settings: Settings
) -> None:
    """Without RENAME_EXCHANGE the swap is two renames; a kill between them leaves the
    partition folder missing and the new one staged: recovery puts it in place."""
    load(con, "S1", OLD, 10.0)
    compact(con, settings, now=NOW)
    base = Path(lake.root(settings, "observation"))
    live = Path(lake.paths(settings, "observation")[0]).parent
    rel = live.relative_to(base)
    new = lake_swap.staged(base, "n1-cut") / rel
    new.parent.mkdir(parents=True)
    live.rename(new)  # stands for the rewritten partition (same rows)
    (new / next(new.iterdir()).name).rename(new / "n1-cut-r.parquet")
    con.execute(
        "INSERT INTO lake_batch VALUES ('n1-cut', 'observation', 'n1', now(), 0, 0, 1, "
        "'moving', now(), NULL)"
    )
    assert seen(con) == []  # the partition is missing: rows not visible, not lost
    recover(con, settings, "observation")
    assert seen(con) == [("S1", "a34004", OLD, 10.0, None)]
    assert not (base / "_staging" / "n1-cut").exists()


def test_readers_outside_the_analytics_see_compacted_observations(
    con: duckdb.DuckDBPyConnection, settings: Settings
) -> None:
    from ecohub.ingest.daysums import rebuild

    for h in range(24):
        load(con, "S1", OLD + timedelta(hours=h), float(h))
    rebuild(con)
    days = con.execute("SELECT * FROM observation_day ORDER BY ALL").fetchall()
    compact(con, settings, now=NOW)
    assert con.execute("SELECT count(*) FROM observation").fetchone() == (0,)
    assert rebuild(con) == len(days)
    assert con.execute("SELECT * FROM observation_day ORDER BY ALL").fetchall() == days
    from ecohub.store.db import is_empty

    assert not is_empty(con)


def test_the_loader_counts_a_reload_of_settled_rows_as_unchanged(
    con: duckdb.DuckDBPyConnection, settings: Settings, tmp_path: Path
) -> None:
    """A file loaded again after its rows moved to the lake is unchanged (not new: nothing is
    written to the hot table); a corrected value of a settled row is an update that wins."""
    import importlib.resources as pkg

    import pyarrow as pa
    import pyarrow.parquet as pq

    from ecohub.ingest.files import load_observations, load_stations

    data = pkg.files("ecohub.sample").joinpath("data")
    stations = tmp_path / "stations.csv"
    stations.write_bytes(data.joinpath("stations.csv").read_bytes())
    load_stations(con, stations, write_rejects=False)
    sample = data.joinpath("prsa_hourly.parquet")
    rows = pq.read_table(str(sample)).slice(0, 3)  # 3 hours x 6 pollutants of 2013
    path = tmp_path / "obs.parquet"
    pq.write_table(rows, path)
    first = load_observations(con, path, period="1h", write_rejects=False)
    assert (first.new, first.updated, first.unchanged) == (18, 0, 0)
    assert compact(con, settings, now=NOW)["observation"]["moved"] == 18
    again = load_observations(con, path, period="1h", write_rejects=False, force=True)
    assert (again.new, again.updated, again.unchanged) == (0, 0, 18)
    assert con.execute("SELECT count(*) FROM observation").fetchone() == (0,)
    # The first hour's PM2.5 corrected from 4.0 to 5.0.
    pm25 = [5.0, *rows["pm25"].to_pylist()[1:]]
    pq.write_table(rows.set_column(2, "pm25", pa.array(pm25)), path)
    fixed = load_observations(con, path, period="1h", write_rejects=False, force=True)
    assert (fixed.new, fixed.updated, fixed.unchanged) == (0, 1, 17)
    assert con.execute(
        "SELECT value FROM observation_all WHERE parameter = 'a34004' ORDER BY time LIMIT 1"
    ).fetchall() == [(5.0,)]
    assert con.execute("SELECT count(*) FROM observation_all").fetchone() == (18,)
