"""Benchmark: hourly + daily AQI and the HJ 663 annual assessment over generated national-shape
data, on DuckDB (and optionally Spark local), beside a per-row Python baseline.

Data: ``--stations`` × 6 pollutants × ``--hours`` hourly values, each station replaying one of
the 12 real Beijing series (2013-2017) from its own offset and scaled by its own factor, so
the distributions (and gaps) are the real record's. Generated once per size into a scratch
DuckDB file and copied into a lake folder laid out as the platform's lake (hive Parquet by
month and bucket; not timed). The timed part reads the lake and runs ``ecohub.analytics`` as
``air compute`` does (runs of whole months, ``analytics/air_chunks.py``): checks, hourly AQI
(with the 8-h and 24-h moving means), daily values and AQI, then the annual statistics with
percentiles and category days from the written daily rows, each materialised into a scratch
table. That is the stations' part of the command: ``--platform`` also times the command itself
(``air_results.compute_full`` on a new store with the lake attached), which adds the city rows,
the month statistics, and writes into the store's keyed ``air_*`` tables.

Baseline: the ``python-aqi`` package's China (MEP) algorithm called per row on a sample of
station-days — a speed reference only (it is wrong on many 2012 cases and has no 2026).

    .venv/bin/python bench/aqi.py                      # 10.5M values, scaling, baseline
    .venv/bin/python bench/aqi.py --stations 5000      # the national year (263M values)
    .venv/bin/python bench/aqi.py --spark              # also Spark local[2], same data
    .venv/bin/python bench/aqi.py --stations 5000 --no-scaling --data /tmp/aqi-data
                                                       # keep (and reuse) the generated file

Each step reports wall seconds and the process's CPU seconds (DuckDB's threads included):
on a shared machine the wall time moves with the load average, printed beside it; the CPU
time much less. Peak RSS is the measuring process's own (``getrusage``).
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import os
import resource
import shutil
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

# This file is named aqi.py: drop its folder from the path so `import aqi` finds python-aqi.
_BENCH = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _BENCH]
sys.path.append(str(_BENCH))
from _report import write_section  # noqa: E402
from ecohub.analytics import air_days, air_stats  # noqa: E402
from ecohub.analytics.air_chunks import CHUNK_VALUES, chunk_builds  # noqa: E402
from ecohub.cst import CST  # noqa: E402
from ecohub.store import lake  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PRSA = ROOT / "src" / "ecohub" / "sample" / "data" / "prsa_hourly.parquet"
CODES = {"so2": "a21026", "no2": "a21004", "pm10": "a34002", "co": "a21005", "o3": "a05024",
         "pm25": "a34004"}  # fmt: skip
SERIES_HOURS = 35064  # hours of each Beijing series
# Below the 6 GB peak-RSS target with room for Python and Arrow: a month chunk of a national
# year needs far less (docs/benchmarks.md). Before chunking, the hourly step of a national year
# ran out of memory at 7GB (2026-11-26: the hour grid's join over the whole year).
MEMORY_LIMIT = "5GB"
THREADS = 2
TARGET_S, TARGET_GB, TARGET_RATIO = 60.0, 6.0, 10.0
BUILD = "checks, hourly pivot + moving means, daily values (build)"


def generate(path: Path, stations: int, hours: int, threads: int = 2) -> int:
    """Write ``observation`` and ``station`` for the size into a DuckDB file; return values."""
    con = duckdb.connect(str(path))
    con.execute(
        f"SET threads = {threads}; SET memory_limit = '6GB'; SET TimeZone = 'Asia/Shanghai'"
    )
    con.execute(
        f"""
        CREATE TABLE src AS SELECT dense_rank() OVER (ORDER BY station) - 1 AS s,
            row_number() OVER (PARTITION BY station ORDER BY time_local) - 1 AS i,
            so2, no2, pm10, co_ugm3 / 1000 AS co, o3, pm25
        FROM read_parquet('{PRSA}');
        CREATE TABLE station (station_id VARCHAR, network VARCHAR, region_code VARCHAR);
        INSERT INTO station SELECT 'S' || lpad(k::VARCHAR, 5, '0'), 'air',
            -- spread stations over real prefecture codes so city rollups have work to do
            (ARRAY['110105','120101','130102','140105','210102','310101','320102','330102',
                   '370102','410102','420102','440103','500103','510104','610102','650102'])
            [1 + k % 16]
        FROM range({stations}) t(k);
        CREATE TABLE observation (station_id VARCHAR, parameter VARCHAR, period VARCHAR,
            time TIMESTAMPTZ, value DOUBLE, unit VARCHAR, flag VARCHAR, source VARCHAR);
        """
    )
    unpivot = ", ".join(
        f"('{code}', {col} * f, '{'mg/m³' if col == 'co' else 'µg/m³'}')"
        for col, code in CODES.items()
    )
    step = max(1, 20_000_000 // (hours * 6))
    for lo in range(0, stations, step):
        hi = min(stations, lo + step)
        con.execute(
            f"""
            INSERT INTO observation
            SELECT 'S' || lpad(k::VARCHAR, 5, '0'), v.code, '1h',
                   TIMESTAMPTZ '2025-01-01 00:00:00+08' + to_hours(h), v.val, v.unit, 'N', 'bench'
            FROM (SELECT g.k, g.h, g.f, src.*
                  FROM (SELECT k, h, 0.6 + (k * 7919 % 81) / 100.0 AS f, k % 12 AS gs,
                               (h + k * 7307) % {SERIES_HOURS} AS gi
                        FROM range({lo}, {hi}) a(k), range({hours}) b(h)) g
                  JOIN src ON src.s = g.gs AND src.i = g.gi) x,
                 LATERAL (VALUES {unpivot}) v(code, val, unit)
            """
        )
    n = con.execute("SELECT count(*) FROM observation").fetchone()[0]  # type: ignore[index]
    con.close()
    return int(n)


def to_lake(db: Path, folder: Path) -> None:
    """Copy the generated ``observation`` into ``folder`` laid out as the platform's lake
    (``observation/month=YYYY-MM/bucket=H/*.parquet``, :mod:`ecohub.store.lake`), with
    ``station`` beside it; what the timed runs read (not timed).

    Each partition is one file sorted by station and time, as a settled month is once
    ``ecohub lake compact`` has merged its files (:mod:`ecohub.store.lake_merge`; each
    compaction's own files are sorted the same way). Until 2026-11-27 the bench wrote the
    rows in generation order, which no lake of the platform holds: the kernel's scatter then
    missed the cache on nearly every value (docs/benchmarks.md, ninth session)."""
    s = lake.spec("observation")
    con = duckdb.connect(str(db), read_only=True)
    # Insertion order kept: the ORDER BY is what each partition's file holds.
    con.execute(
        "SET threads = 2; SET memory_limit = '6GB'; SET preserve_insertion_order = true; "
        "SET enable_progress_bar = false"
    )
    con.execute(f"SET temp_directory = '{folder.with_name(folder.name + '.spill')}'")
    tmp = folder.with_name(folder.name + ".part")
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / "observation").mkdir(parents=True)
    # The bucket (lake.partition_sql's MD5 prefix) once per station, not once per row.
    con.execute(
        "CREATE TEMP TABLE bucketed AS SELECT station_id, substr(md5(station_id), 1, 1) AS bucket "
        "FROM station"
    )
    lo, hi = con.execute("SELECT min(time), max(time) FROM observation").fetchone()  # type: ignore[misc]
    month = _month_start(lo)
    while month <= hi:
        after = _month_start(month + timedelta(days=32))
        # A month at a time: sorting the whole record at once would spill most of it.
        con.execute(
            f"COPY (SELECT o.*, {lake.month_sql(s)} AS month, b.bucket FROM observation o "
            "JOIN bucketed b USING (station_id) WHERE o.time >= ? AND o.time < ? "
            f"ORDER BY b.bucket, o.{s.bucket_by}, o.{s.time}) TO '{tmp / 'observation'}' "
            "(FORMAT parquet, PARTITION_BY (month, bucket), OVERWRITE_OR_IGNORE)",
            [month, after],
        )
        month = after
    con.execute(f"COPY station TO '{tmp / 'station.parquet'}' (FORMAT parquet)")
    con.close()
    shutil.rmtree(folder.with_name(folder.name + ".spill"), ignore_errors=True)
    tmp.rename(folder)


def _month_start(t: datetime) -> datetime:
    """The first instant of ``t``'s calendar month in China Standard Time (the lake's month)."""
    local = t.astimezone(CST)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def _lake_view(con: duckdb.DuckDBPyConnection, folder: Path) -> None:
    """``observation`` and ``station`` of a scratch DuckDB as views over the lake folder.

    The ``month`` partition column stays (as Spark's read of the folder has it): a run in
    month chunks filters on it, so each chunk opens only its months' files
    (``air_tables._month_partitions``); without it every chunk opens every file's footer."""
    con.execute(
        "CREATE OR REPLACE VIEW observation AS SELECT * EXCLUDE (bucket) FROM "
        f"read_parquet('{folder / 'observation'}/month=*/bucket=*/*.parquet', {lake.HIVE})"
    )
    station = folder / "station.parquet"
    con.execute(f"CREATE OR REPLACE VIEW station AS SELECT * FROM read_parquet('{station}')")


def run_duckdb(path: Path, threads: int = THREADS) -> dict[str, float]:
    """Time the analytics in a fresh process; ``peak RSS GB`` is that process's alone."""
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(1) as pool:
        return pool.apply(_run_duckdb, (path, threads))


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _run_duckdb(path: Path, threads: int) -> dict[str, float]:
    from ecohub.store.engine import ibis_duckdb

    scratch = path.parent / f"run-{path.name}.duckdb"
    scratch.unlink(missing_ok=True)
    con = duckdb.connect(str(scratch))
    spill = path.parent / f"spill-{path.name}"
    con.execute(
        f"SET threads = {threads}; "
        f"SET memory_limit = '{os.environ.get('ECOHUB_BENCH_MEMORY_LIMIT', MEMORY_LIMIT)}'; "
        f"SET temp_directory = '{spill}'; "
        "SET preserve_insertion_order = false"
    )
    _lake_view(con, path)
    b = ibis_duckdb(con)
    load = os.getloadavg()[0]
    cpu = _cpu()
    times = _run(b, _store(b), con.close)
    times["cpu s"] = _cpu() - cpu
    times["peak RSS GB"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    times["load before"], times["load after"] = load, os.getloadavg()[0]
    shutil.rmtree(spill, ignore_errors=True)
    scratch.unlink(missing_ok=True)
    return times


def run_platform(folder: Path) -> dict[str, float]:
    """``ecohub air compute`` itself on the lake ``folder``, timed in a fresh process."""
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(1) as pool:
        return pool.apply(_run_platform, (folder,))


def _run_platform(folder: Path) -> dict[str, float]:
    """A new store opened as the CLI opens it (migrated, the lake attached as its ``*_all``
    views, ``ECOHUB_DB_MEMORY_LIMIT`` or DuckDB's own budget), the stations loaded, then the
    command's whole computation (:func:`ecohub.analytics.air_results.compute_full`): station
    and city hourly and daily rows into the keyed ``air_*`` tables (beside the old ones, month
    chunk by month chunk, swapped in at the end), year and month statistics and category days.
    What :func:`_run` leaves out: city rows, months, keys, the store's transactions."""
    from ecohub.analytics import air_results
    from ecohub.settings import Settings
    from ecohub.store.db import apply_settings, connect

    data = folder.with_name(f"platform-{folder.name}")
    shutil.rmtree(data, ignore_errors=True)
    settings = Settings(data_dir=data, lake=str(folder))
    con = connect(settings.database)
    apply_settings(con, settings)  # ECOHUB_DB_MEMORY_LIMIT, as every platform process does
    # Spilling beside the data (the default would be beside the store, also under /tmp).
    con.execute(f"SET temp_directory = '{data / 'spill'}'")
    con.execute(
        "INSERT INTO station BY NAME SELECT station_id, 'station ' || station_id AS name, "
        f"network, region_code FROM read_parquet('{folder / 'station.parquet'}')"
    )
    if not lake.attach(con, settings):
        raise RuntimeError(f"the lake {folder} could not be attached")
    load = os.getloadavg()[0]
    cpu, t = _cpu(), time.perf_counter()
    result = air_results.compute_full(con)
    times = {"total": time.perf_counter() - t, "cpu s": _cpu() - cpu}
    times["peak RSS GB"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    times["load before"], times["load after"] = load, os.getloadavg()[0]
    times["rows written"] = float(sum(result.written.values()))
    con.close()
    shutil.rmtree(data, ignore_errors=True)
    return times


def _store(b: Any) -> Any:
    """Write an expression to a table: created by the first chunk, appended by the next."""

    def store(name: str, expr: Any, append: bool = False) -> Any:
        if append:
            b.insert(name, expr)
            return b.table(name)
        return b.create_table(name, expr, overwrite=True)

    return store


def run_spark(path: Path, parquet_dir: Path) -> dict[str, float]:
    from ecohub.store.engine import ibis_spark, spark_session

    # Managed tables go under ./spark-warehouse: keep them in the scratch folder.
    parquet_dir.mkdir(parents=True, exist_ok=True)
    # A kept --data folder holds the last run's managed tables: Spark refuses to create a
    # table over a location that exists.
    shutil.rmtree(parquet_dir / "spark-warehouse", ignore_errors=True)
    here = os.getcwd()
    os.chdir(parquet_dir)
    session = spark_session("local[2]", app="ecohub-bench")
    b = ibis_spark(session)
    # The lake's folders as Spark reads them (hive partitions month and bucket as columns).
    session.read.parquet(str(path / "observation")).createOrReplaceTempView("observation")
    session.read.parquet(str(path / "station.parquet")).createOrReplaceTempView("station")
    try:
        return _run(b, _store(b), lambda: None)
    finally:
        session.stop()
        os.chdir(here)


def _run(b: Any, store: Any, close: Any) -> dict[str, float]:
    """As ``ecohub air compute`` does it (analytics/air_results.py): the hourly and daily
    rows chunk by chunk (runs of whole months past CHUNK_VALUES values), then the annual
    statistics and category days from the stored daily rows."""
    times = dict.fromkeys((BUILD, "hourly AQI (written out)", "daily AQI (written out)"), 0.0)
    t0 = time.perf_counter()
    t = t0
    chunks = 0
    for tables in chunk_builds(b, edition="auto"):
        times[BUILD] += time.perf_counter() - t
        t = time.perf_counter()
        hourly = tables.hourly_aqi.drop("n_o3_8h", "n_so2_24h", "n_pm10_24h", "n_pm25_24h")
        store("b_hourly_aqi", hourly, append=chunks > 0)
        times["hourly AQI (written out)"] += time.perf_counter() - t
        t = time.perf_counter()
        store("b_daily_aqi", tables.daily_aqi, append=chunks > 0)
        times["daily AQI (written out)"] += time.perf_counter() - t
        chunks += 1
        t = time.perf_counter()
    times[BUILD] += time.perf_counter() - t
    t = time.perf_counter()
    daily = b.table("b_daily_aqi")
    store("b_annual", air_stats.period_statistics(daily, "station_id", "year"))
    store("b_days", air_days.category_days(daily, "station_id", "year"))
    times["annual HJ 663 + category days"] = time.perf_counter() - t
    times["total"] = time.perf_counter() - t0
    times["chunks"] = chunks
    close()
    return times


def baseline(path: Path, rows: int = 20_000) -> float:
    """values/s of python-aqi's MEP algorithm, one call per station-day (6 values each)."""
    import aqi as pyaqi

    con = duckdb.connect(str(path), read_only=True)
    sample = con.execute(
        f"""SELECT avg(value) FILTER (parameter = 'a21026'),
                   avg(value) FILTER (parameter = 'a21004'),
                   avg(value) FILTER (parameter = 'a34002'),
                   avg(value) FILTER (parameter = 'a34004'),
                   max(value) FILTER (parameter = 'a05024')
            FROM observation GROUP BY station_id, time::DATE LIMIT {rows}"""
    ).fetchall()
    con.close()
    keys = (pyaqi.POLLUTANT_SO2_1H, pyaqi.POLLUTANT_NO2_1H, pyaqi.POLLUTANT_PM10,
            pyaqi.POLLUTANT_PM25, pyaqi.POLLUTANT_O3_1H)  # fmt: skip
    n = 0
    t = time.perf_counter()
    for row in sample:
        pairs = [(k, f"{v:.1f}") for k, v in zip(keys, row, strict=True) if v is not None]
        if pairs:
            # off its tables: counted anyway, it did the work
            with contextlib.suppress(IndexError, ValueError):
                pyaqi.to_aqi(pairs, algo=pyaqi.ALGO_MEP)
            n += len(pairs)
    return n / (time.perf_counter() - t)


def _measure(work: Path, stations: int, hours: int) -> tuple[int, dict[str, float], float]:
    db = work / f"gen{stations}x{hours}.duckdb"
    t = time.perf_counter()
    if db.exists():  # kept from an earlier run (--data): drop the results it left behind
        con = duckdb.connect(str(db))
        for (name,) in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE starts_with(table_name, 'b_')"
        ).fetchall():
            con.execute(f'DROP TABLE "{name}"')
        n = int(con.execute("SELECT count(*) FROM observation").fetchone()[0])  # type: ignore[index]
        con.close()
    else:
        n = generate(db, stations, hours)
    folder = work / f"lake{stations}x{hours}"
    if not folder.exists():
        to_lake(db, folder)
    gen_s = time.perf_counter() - t
    times = run_duckdb(folder)
    print(f"{stations} stations, {n:,} values (generated in {gen_s:.0f} s, not timed): "
          + ", ".join(f"{k} {v:.1f}" for k, v in times.items()), flush=True)  # fmt: skip
    return n, times, gen_s


SECTION = "AQI and air assessment: national year from the lake, in month chunks (issue 14)"
STEP_KEYS = ("total", "cpu s", "peak RSS GB", "load before", "load after", "chunks")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument(
        "--stations", type=int, default=200, help="stations at full size (200 = 10.5M values)"
    )
    ap.add_argument("--hours", type=int, default=8760)
    ap.add_argument("--spark", action="store_true", help="also run on Spark local[2]")
    ap.add_argument(
        "--spark-stations", type=int, default=0, help="size of the Spark comparison (default: full)"
    )
    ap.add_argument("--no-scaling", action="store_true", help="skip the 1/10 and 1/2 size runs")
    ap.add_argument(
        "--platform",
        action="store_true",
        help="also time `ecohub air compute` itself (a store with the lake attached)",
    )
    ap.add_argument("--no-write", action="store_true", help="do not update docs/benchmarks.md")
    ap.add_argument(
        "--memory-limit", default=MEMORY_LIMIT, help=f"DuckDB memory_limit ({MEMORY_LIMIT})"
    )
    ap.add_argument(
        "--data",
        type=Path,
        help="folder (under /tmp) keeping the generated files between runs; default: a "
        "temporary folder removed at the end",
    )
    ap.add_argument("--section", default=SECTION, help="docs/benchmarks.md section to write")
    args = ap.parse_args()
    os.environ["ECOHUB_BENCH_MEMORY_LIMIT"] = args.memory_limit
    if args.data is not None and not args.data.resolve().is_relative_to("/tmp"):
        ap.error("--data must be under /tmp: generated data never goes into the repository")
    work = args.data or Path(tempfile.mkdtemp(prefix="ecohub-bench-aqi-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        full = args.stations
        sizes = [full] if args.no_scaling else sorted({max(1, full // 10), max(1, full // 2), full})
        results = {}
        for st in sizes:
            results[st] = _measure(work, st, args.hours)
            if st != full and args.data is None:
                (work / f"gen{st}x{args.hours}.duckdb").unlink()
                shutil.rmtree(work / f"lake{st}x{args.hours}")
        n, times, _ = results[full]
        # The baseline runs after the DuckDB run, in the same invocation (same machine state).
        load_base = os.getloadavg()[0]
        base = baseline(work / f"gen{full}x{args.hours}.duckdb")
        ours = n / times["total"]
        steps = [k for k in times if k not in STEP_KEYS]
        lines = [
            f"Generated data of national shape: stations × 6 pollutants × {args.hours} h, each "
            "station replaying a real Beijing series (2013-2017) from its own offset and scale, "
            "read from a lake folder laid out as the platform's (hive Parquet, month × bucket, "
            "each partition one file sorted by station and time as lake compaction merges it) "
            "and computed as `ecohub air compute` computes its station rows: runs of whole months "
            "of about "
            f"{CHUNK_VALUES:,} values ({times.get('chunks', 1):.0f} at full size), then the "
            "annual statistics from the stored daily rows. "
            f"DuckDB {duckdb.__version__}, {THREADS} threads, memory_limit {args.memory_limit} "
            "(spilling to a temp_directory beside the data), preserve_insertion_order off; "
            "generation not timed; each size measured in a fresh process (peak RSS and CPU "
            "seconds are that process's, DuckDB's threads included). The machine is shared: "
            "the 1-minute load average before and after each run is beside it.",
            "",
            "| values | stations | "
            + " | ".join(steps)
            + " | total s | CPU s | values/s | peak RSS GB | load avg before → after |",
            "|---" * (len(steps) + 7) + "|",
            *(
                f"| {nn:,} | {st:,} | "
                + " | ".join(f"{tt[k]:.1f}" for k in steps)
                + f" | {tt['total']:.1f} | {tt['cpu s']:.1f} | {nn / tt['total']:,.0f} "
                f"| {tt['peak RSS GB']:.1f} | {tt['load before']:.1f} → {tt['load after']:.1f} |"
                for st, (nn, tt, _) in results.items()
            ),
            "",
            f"- **{ours:,.0f} values/s** end to end at {n:,} values (hourly + daily AQI + annual "
            "HJ 663 statistics and category days, each written to a table).",
            f"- Baseline `python-aqi` (MEP algorithm, one call per station-day, per-row Python), "
            f"same run (load {load_base:.1f}): {base:,.0f} values/s for the AQI alone → ratio "
            f"ours/baseline **{ours / base:,.1f}×** (the baseline scores pre-averaged "
            "station-days: no validity, moving means or statistics).",
        ]
        if len(results) > 1:
            (n1, t1, _), (n2, t2, _) = results[sizes[0]], results[full]
            lines.append(
                f"- Scaling: {n1:,} values {t1['total']:.1f} s → {n2:,} values {t2['total']:.1f} s "
                f"({n2 / n1:.0f}× the data, {t2['total'] / t1['total']:.1f}× the time)."
            )
        if args.platform:
            p = run_platform(work / f"lake{full}x{args.hours}")
            lines.append(
                f"- `ecohub air compute` itself on the same lake, same run "
                f"(`air_results.compute_full` on a new store with the lake attached: station "
                f"and city rows into the keyed `air_*` tables, year and month "
                f"statistics; load {p['load before']:.1f} → {p['load after']:.1f}): "
                f"**{p['total']:.1f} s**, {p['cpu s']:.1f} CPU s, "
                f"peak RSS {p['peak RSS GB']:.1f} GB, {p['rows written']:,.0f} rows written "
                f"({n / p['total']:,.0f} values/s)."
            )
        if args.spark:
            sst = args.spark_stations or full
            folder = work / f"lake{sst}x{args.hours}"
            if sst not in results or not folder.exists():
                results[sst] = _measure(work, sst, args.hours)
            sn, dtimes, _ = results[sst]
            load = os.getloadavg()[0]
            stimes = run_spark(folder, work / "spark")
            lines.append(
                f"- Spark local[2] (driver 4 GB) on the same {sn:,} values, read from the lake, "
                f"same run (load {load:.1f}): {stimes['total']:.1f} s "
                f"({', '.join(f'{k} {v:.1f} s' for k, v in stimes.items() if k in steps)}); "
                f"DuckDB {dtimes['total']:.1f} s on that size is "
                f"**{stimes['total'] / dtimes['total']:.1f}×** faster on one box."
            )
        if n == 5000 * 6 * 8760:
            met = [
                ("time", times["total"], TARGET_S, "s", times["total"] <= TARGET_S),
                (
                    "peak RSS",
                    times["peak RSS GB"],
                    TARGET_GB,
                    "GB",
                    times["peak RSS GB"] <= TARGET_GB,
                ),
                ("ratio", ours / base, TARGET_RATIO, "×", ours / base >= TARGET_RATIO),
            ]
            lines.append(
                "- Target (national year ≤ 60 s, ≤ 6 GB, ≥ 10× the baseline): "
                + "; ".join(
                    f"{name} {got:.1f} {unit} vs {want:g} {unit}: "
                    + ("met" if ok else f"missed by {abs(got - want) / want * 100:.0f} %")
                    for name, got, want, unit, ok in met
                )
                + "."
            )
        body = "\n".join(lines)
        print(body)
        if not args.no_write:
            write_section(args.section, body)
    finally:
        if args.data is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
