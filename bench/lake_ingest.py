"""HJ 212 ingest against an empty lake and against a full one, alternating, in the same run.

    python bench/lake_generate.py /tmp/ecohub-lake1b/lake          # once: 1e9 rows
    python bench/lake_ingest.py /tmp/ecohub-lake1b/lake [--pairs 2] [--duration 60]

Each run is ``bench/hj212_ingest.py``'s load (1,000 connections, offered 12,000 packets/s,
live data times) against a fresh `ecohub up` whose ``ECOHUB_LAKE`` is either an empty folder or
the given lake; stored = answered is checked as there. Also times, through the store's
``emission_all`` view, one device's month of minute data read from the full lake.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import write_section
from hj212_ingest import parse_speed, run_load


def lake_rows(lake: Path) -> tuple[int, int]:
    import pyarrow.parquet as pq

    files = [p for p in lake.glob("emission/month=*/bucket=*/*.parquet")
             if not p.name.startswith("_")]  # fmt: skip
    return sum(pq.ParquetFile(f).metadata.num_rows for f in files), len(files)


def one_device_month(lake: Path) -> tuple[float, int, str]:
    """Seconds to read one device's month of minute values (all pollutants) through the view,
    best of 3; the rows read and the month."""
    from ecohub.settings import Settings
    from ecohub.store import lake as lake_mod
    from ecohub.store.db import connect

    with tempfile.TemporaryDirectory(prefix="ecohub-lakeq-") as tmp:
        s = Settings(data_dir=Path(tmp), lake=str(lake), node_id="bench")
        con = connect(s.database)
        lake_mod.attach(con, s)
        months = sorted(p.name.removeprefix("month=") for p in (lake / "emission").glob("month=2*"))
        month = months[len(months) // 2]
        row = con.execute(
            f"SELECT mn FROM read_parquet('{lake}/emission/month={month}/bucket=*/*.parquet') "
            "LIMIT 1"
        ).fetchone()
        assert row is not None
        mn = row[0]
        lo = f"{month}-01 00:00:00+08"
        y, m = (int(x) for x in month.split("-"))
        hi = f"{y + m // 12}-{m % 12 + 1:02d}-01 00:00:00+08"
        best, n = float("inf"), 0
        for _ in range(3):
            began = time.perf_counter()
            got = con.execute(
                "SELECT count(*) FROM (SELECT pollutant, data_time, avg FROM emission_all "
                "WHERE mn = ? AND data_time >= ?::TIMESTAMPTZ AND data_time < ?::TIMESTAMPTZ)",
                [mn, lo, hi],
            ).fetchone()
            n = got[0] if got else 0
            best = min(best, time.perf_counter() - began)
        con.close()
    return best, n, month


def compaction_speed(lake: Path, devices: int = 320) -> list[str]:
    """Compact one settled day of ``devices`` x 6 pollutants x 1,440 minutes into the lake,
    then the same day resent (every key already in the lake); a line per run."""
    from datetime import UTC, datetime, timedelta

    from ecohub.cst import CST
    from ecohub.settings import Settings
    from ecohub.store import lake as lake_mod
    from ecohub.store.db import connect
    from ecohub.store.lake_compact import compact

    day = (datetime.now(CST) - timedelta(days=3)).replace(hour=0, minute=0, second=0,
                                                          microsecond=0)  # fmt: skip
    out = []
    with tempfile.TemporaryDirectory(prefix="ecohub-lakec-") as tmp:
        s = Settings(data_dir=Path(tmp), lake=str(lake), node_id="benchc")
        con = connect(s.database)
        lake_mod.attach(con, s)
        for what in ("a new day", "the same day resent (all keys known)"):
            con.execute(
                "INSERT INTO emission (mn, cn, data_time, pollutant, avg, fields, received_at) "
                "SELECT 'BEN' || lpad((i // 8640)::VARCHAR, 17, '0'), '2011', "
                "?::TIMESTAMPTZ + to_minutes((i % 8640 // 6)::BIGINT), "
                "['a21026','a21002','a34013','a19001','a01012','a00000'][i % 6 + 1], "
                '(i % 1000) / 10.0, \'{"Avg":"1"}\', now() FROM range(?) t(i)',
                [day, devices * 8640],
            )
            began = time.perf_counter()
            r = compact(con, s, now=datetime.now(UTC))["emission"]
            took = time.perf_counter() - began
            out.append(
                f"compaction of {what}: {r['settled']:,} settled rows, {r['moved']:,} moved, "
                f"{r['known']:,} dropped as known, {r['files']} files, {took:.1f} s "
                f"({r['settled'] / took:,.0f} rows/s)"
            )
        con.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("lake", type=Path)
    ap.add_argument("--pairs", type=int, default=2)
    ap.add_argument("--devices", type=int, default=1000)
    ap.add_argument("--rate", type=float, default=12.0)
    ap.add_argument("--duration", type=float, default=60.0)
    ap.add_argument("--window", type=int, default=2)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--nice", type=int, default=10)
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--no-compaction", action="store_true", help="skip the compaction timing")
    a = ap.parse_args()
    rows, files = lake_rows(a.lake)
    speed = parse_speed()
    load_before = os.getloadavg()
    runs: list[tuple[str, dict[str, float]]] = []
    with tempfile.TemporaryDirectory(prefix="ecohub-emptylake-") as empty:
        for _ in range(a.pairs):
            for label, where in (("empty lake", empty), (f"lake of {rows:,} rows", str(a.lake))):
                r = run_load("lak" if "rows" in label else "emp", a.devices, a.rate, a.duration,
                             a.window, a.workers, {"ECOHUB_LAKE": where}, a.nice)  # fmt: skip
                r["load"] = os.getloadavg()[0]
                runs.append((label, r))
                print(label, f"{r['acked_per_s']:,.0f}/s", flush=True)
    q_s, q_rows, q_month = one_device_month(a.lake)
    compaction = [] if a.no_compaction else compaction_speed(a.lake)
    uptime = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    lines = [
        f"{a.devices} connections, offered {a.devices * a.rate:,.0f} packets/s, {a.duration:g} s "
        f"per run, runs alternating; the full lake: {rows:,} emission rows in {files} files "
        f"(bench/lake_generate.py). Machine shared with other sessions: load average "
        f"{load_before[0]:.1f} at start, `uptime` at the end: {uptime}; parse speed at start "
        f"{speed:.1f} us/packet (9.4 on the quiet machine).",
        "",
        "| run | lake | sent | answered | answered/s | packets stored | stored = answered "
        "| load avg after |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for i, (label, r) in enumerate(runs, 1):
        lines.append(
            f"| {i} | {label} | {r['sent']:,} | {r['acked']:,} | {r['acked_per_s']:,.0f} | "
            f"{r['stored_packets']:,} | {r['stored_packets'] == r['acked']} | {r['load']:.1f} |"
        )
    empty_rate = [r["acked_per_s"] for label, r in runs if label == "empty lake"]
    full_rate = [r["acked_per_s"] for label, r in runs if label != "empty lake"]
    lines += [
        "",
        f"mean answered/s: empty lake {sum(empty_rate) / len(empty_rate):,.0f}, full lake "
        f"{sum(full_rate) / len(full_rate):,.0f}",
        "",
        f"One device's month ({q_month}, all pollutants, {q_rows:,} minute rows) through "
        f"`emission_all` from the full lake: {q_s:.2f} s (best of 3, DuckDB).",
        "",
        *(f"- {line}" for line in compaction),
    ]
    text = "\n".join(lines)
    print(text)
    if not a.no_write:
        write_section("HJ 212 ingest with a 1-billion-row lake", text)


if __name__ == "__main__":
    main()
