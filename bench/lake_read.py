"""Reads from the lake: one device's month, and a month of every device's minute emissions
aggregated to hourly and daily values on DuckDB and on Spark local[2], in the same run.

    python bench/lake_generate.py /tmp/ecohub-lake1b/lake          # once
    python bench/lake_read.py /tmp/ecohub-lake1b/lake [--month 2026-05] [--no-write]

Both engines run the same Ibis expression through the analytics backend
(``ecohub.store.backend``): DuckDB reads the store's ``emission_all`` view over the lake, Spark
reads the lake folder itself (``SparkBackend(sources=...)``). Hour and day keys are integer
arithmetic on epoch seconds (the CST day is UTC+8 all year), so the two engines group the same
rows whatever their session time zones; their results are compared (groups and the sum of the
means) before any figure is printed.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import write_section
from lake_ingest import lake_rows, one_device_month


def cpu_seconds() -> float:
    """CPU seconds used so far by this process and its live descendants (Spark's JVM), from
    /proc: on a shared machine the wall clock says more about the load than about the code."""
    tick = os.sysconf("SC_CLK_TCK")
    parent: dict[int, int] = {}
    used: dict[int, float] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(stat.parent.name)
        parent[pid] = int(fields[1])
        used[pid] = (int(fields[11]) + int(fields[12])) / tick
    me = os.getpid()

    def mine(pid: int) -> bool:
        while pid > 1:
            if pid == me:
                return True
            pid = parent.get(pid, 0)
        return False

    return sum(cpu for pid, cpu in used.items() if mine(pid))


def aggregates(t: Any, lo: Any, hi: Any) -> dict[str, Any]:
    """Hourly and daily mean, min, max and count per device and pollutant of one month."""
    # Ibis passes a time literal without its zone, which each engine reads in its own session
    # zone (DuckDB's Ibis session: UTC; Spark: Asia/Shanghai): the time filter is widened by a
    # day each side (it only lets the Parquet statistics skip other months) and the month is
    # cut exactly on epoch seconds.
    near = t.filter(
        (t.data_time >= lo - timedelta(days=1)) & (t.data_time < hi + timedelta(days=1))
    )
    secs = near.data_time.epoch_seconds()
    rows = near.filter((secs >= int(lo.timestamp())) & (secs < int(hi.timestamp())))
    secs = rows.data_time.epoch_seconds()
    keyed = rows.mutate(hour=secs // 3600, day=(secs + 28800) // 86400)
    out = {}
    for name in ("hour", "day"):
        out[name] = keyed.group_by(["mn", "pollutant", name]).aggregate(
            mean=keyed.avg.mean(), lo=keyed.avg.min(), hi=keyed.avg.max(), n=keyed.avg.count()
        )
    return out


def summary(backend: Any, expr: Any) -> tuple[int, float, int, int]:
    """(groups, sum of the means, sum of the counts, devices): forces the whole aggregate."""
    s = expr.aggregate(g=expr.count(), m=expr.mean.sum(), n=expr.n.sum(), d=expr.mn.nunique())
    row = backend.to_pyarrow(s).to_pylist()[0]
    return int(row["g"]), float(row["m"]), int(row["n"]), int(row["d"])


def run_engine(engine: str, lake: Path, month: str) -> dict[str, Any]:
    from ecohub.settings import Settings
    from ecohub.store import lake as lake_mod
    from ecohub.store.backend import SparkBackend, duckdb_backend
    from ecohub.store.db import connect

    lo, hi = lake_mod.month_bounds(month)
    with tempfile.TemporaryDirectory(prefix="ecohub-lakeread-") as tmp:
        s = Settings(data_dir=Path(tmp), lake=str(lake), node_id="bench")
        con = connect(s.database)
        lake_mod.attach(con, s)
        if engine == "duckdb":
            backend: Any = duckdb_backend()
        else:
            backend = SparkBackend("local[2]", work_dir=Path(tmp) / "spark",
                                   sources={"emission": lake_mod.root(s, "emission")})  # fmt: skip
            began = time.perf_counter()
            _ = backend.session  # session start-up, reported apart
            start_s = time.perf_counter() - began
        out: dict[str, Any] = {"engine": engine}
        if engine == "spark":
            out["start_s"] = start_s
        with backend.run(con, ["emission"]) as run:
            exprs = aggregates(run.table("emission"), lo, hi)
            for name, expr in exprs.items():
                began, cpu = time.perf_counter(), cpu_seconds()
                out[name] = summary(run.ibis, expr)
                out[f"{name}_s"] = time.perf_counter() - began
                out[f"{name}_cpu"] = cpu_seconds() - cpu
        con.close()
    return out


def listing_pages(lake: Path, devices: int = 320) -> list[float]:
    """Seconds for the first three pages (100 rows) of the emissions listing without a device
    or time window (newest first, ``ecohub.queries.hj212.emissions``) over the lake."""
    from ecohub.access.principal import SYSTEM
    from ecohub.queries.hj212 import emissions
    from ecohub.settings import get_settings
    from ecohub.store import lake as lake_mod
    from ecohub.store.db import connect

    out = []
    with tempfile.TemporaryDirectory(prefix="ecohub-lakelist-") as tmp:
        os.environ.update(ECOHUB_DATA_DIR=tmp, ECOHUB_LAKE=str(lake), ECOHUB_NODE_ID="bench")
        get_settings.cache_clear()
        con = connect(get_settings().database)
        lake_mod.attach(con, get_settings())
        con.execute(
            "INSERT INTO monitor_point (mn) SELECT 'GEN' || lpad(i::VARCHAR, 17, '0') "
            "FROM range(?) t(i)",
            [devices],
        )
        cursor = None
        for _ in range(3):
            began = time.perf_counter()
            table, cursor = emissions(con, SYSTEM, limit=100, cursor=cursor)
            out.append(time.perf_counter() - began)
            assert table.num_rows == 100
        con.close()
        get_settings.cache_clear()
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("lake", type=Path)
    ap.add_argument("--month", help="YYYY-MM (default: the lake's middle month)")
    ap.add_argument("--no-write", action="store_true")
    a = ap.parse_args()
    rows, files = lake_rows(a.lake)
    months = sorted(p.name.removeprefix("month=") for p in (a.lake / "emission").glob("month=2*"))
    month = a.month or months[len(months) // 2]
    load0 = os.getloadavg()
    q_s, q_rows, q_month = one_device_month(a.lake)
    load1 = os.getloadavg()
    pages = listing_pages(a.lake)
    load2 = os.getloadavg()
    results = []
    for engine in ("duckdb", "spark"):
        before = os.getloadavg()
        r = run_engine(engine, a.lake, month)
        r["load"] = (before[0], os.getloadavg()[0])
        results.append(r)
        print(r, flush=True)
    d, sp = results
    for name in ("hour", "day"):
        dg, dm, dn, _ = d[name]
        sg, sm, sn, _ = sp[name]
        assert (dg, dn) == (sg, sn), f"{name}: engines disagree: {d[name]} vs {sp[name]}"
        assert abs(dm - sm) <= 1e-9 * max(1.0, abs(dm)), f"{name}: means differ {dm} vs {sm}"
    n_rows = d["hour"][2]
    uptime = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    lines = [
        f"Lake: {rows:,} emission rows in {files} files (bench/lake_generate.py: outlets x 6 "
        f"pollutants x every minute). Machine shared with other sessions (2 cores); `uptime` at "
        f"the end: {uptime}.",
        "",
        f"- **One device's month** ({q_month}, all pollutants, {q_rows:,} minute rows) through "
        f"`emission_all`: {q_s:.2f} s (best of 3, DuckDB; load average {load0[0]:.1f} before, "
        f"{load1[0]:.1f} after).",
        "- **The emissions listing without a device or time window** (newest first, 100 rows a "
        "page, `ecohub.queries.hj212.emissions`): pages 1, 2, 3 in "
        + ", ".join(f"{s:.2f}" for s in pages)
        + f" s (load average {load2[0]:.1f} after).",
        f"- **A month of every device** ({month}: {n_rows:,} minute values of "
        f"{d['hour'][3]} outlets) "
        "aggregated to hourly and daily mean/min/max/count per outlet and pollutant, the same "
        "Ibis expression on both engines, results equal (groups, counts, sum of means):",
        "",
        "| engine | hourly groups | hourly s (CPU s) | daily groups | daily s (CPU s) "
        "| load avg before → after |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        extra = f" (+ {r['start_s']:.1f} s session start)" if "start_s" in r else ""
        lines.append(
            f"| {r['engine']}{' local[2]' if r['engine'] == 'spark' else ''} | "
            f"{r['hour'][0]:,} | {r['hour_s']:.1f} ({r['hour_cpu']:.0f}){extra} | "
            f"{r['day'][0]:,} | {r['day_s']:.1f} ({r['day_cpu']:.0f}) | "
            f"{r['load'][0]:.1f} → {r['load'][1]:.1f} |"
        )
    text = "\n".join(lines)
    print(text)
    if not a.no_write:
        write_section("Reads from the lake: one device's month, a month on both engines", text)


if __name__ == "__main__":
    main()
