"""Scale of registry linkage: generated records from four systems, 100k → 1M.

For each size: generate (not timed), load through the loader (timed), link (timed), and report
records/s, peak RSS of this process and the growth of link time against the smallest size.
Target (issue): 1,000,000 records in ≤ 15 min and ≤ 12 GB on 2 cores.

    .venv/bin/python bench/registry.py --records 100000 300000 1000000
"""

from __future__ import annotations

import argparse
import resource
import time

from ecohub.registry import generator, records, service
from ecohub.store.db import connect

RECORDS_PER_SOURCE = 2.98  # what generator.SYSTEMS yields on average


def peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def run(n_records: int, seed: int) -> dict[str, float]:
    bench = generator.generate(int(n_records / RECORDS_PER_SOURCE), seed=seed)
    con = connect(":memory:")
    t0 = time.perf_counter()
    for system, df in bench.systems.items():
        records.load_frame(con, system, df, crs=bench.crs[system])
    t_load = time.perf_counter() - t0
    t1 = time.perf_counter()
    out = service.link(con)
    t_link = time.perf_counter() - t1
    con.close()
    return {
        "records": out["records"],
        "load_s": t_load,
        "link_s": t_link,
        "predict_s": out["seconds_predict"],
        "rss_gb": peak_rss_gb(),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, nargs="+", default=[100_000])
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    base = None
    print("records  load_s  link_s  total_s  records/s  x_time  peak_rss_gb")
    for n in args.records:
        r = run(n, args.seed)
        total = r["load_s"] + r["link_s"]
        base = base or (r["records"], total)
        growth = total / base[1]
        print(
            f"{r['records']:>7}  {r['load_s']:6.1f}  {r['link_s']:6.1f}  {total:7.1f}  "
            f"{r['records'] / total:9.0f}  {growth:6.2f}  {r['rss_gb']:11.2f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
