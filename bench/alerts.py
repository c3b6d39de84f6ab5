"""Cost of raising alerts (`supervision.alerts.raise_alerts`), the step the stream detector adds
after every judgement: N new findings (N / 2 keys), the same N widened, nothing changed, and
N new findings with 3 channels (deliveries queued); then the stream's incremental calls
(``only=`` the ids a judgement wrote): 50 of the N findings widened, and nothing written.
In-memory store; writes its section into docs/benchmarks.md with the machine's load average
(the machine is shared).

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
    idle = min(idle, *(_timed(lambda: raise_alerts(con, [])) for _ in range(4)))

    def widen_some(k: int, incremental: bool = True) -> float:
        some = [i for (i,) in con.execute(
            f'UPDATE anomaly SET "end" = "end" + INTERVAL 1 MINUTE, updated_at = now() + '
            f"INTERVAL {k + 2} SECOND WHERE id IN (SELECT id FROM anomaly ORDER BY id LIMIT 50) "
            "RETURNING id").fetchall()]  # fmt: skip
        if not incremental:
            return _timed(lambda: raise_alerts(con, []))
        return _timed(lambda: raise_alerts(con, [], only={"finding": some}))

    only = min(widen_some(k) for k in range(5))
    full_some = min(widen_some(k, incremental=False) for k in range(5, 10))
    only_idle = _timed(lambda: raise_alerts(con, [], only={"finding": []}))
    chs = [AlertChannel(name=f"c{i}", kind="webhook", url="http://127.0.0.1:9/") for i in range(3)]
    con2 = _store(n, n // 2)
    queued = _timed(lambda: raise_alerts(con2, chs))
    load = os.getloadavg()
    rows = [
        (f"{n:,} new findings, {n // 2:,} keys: {n // 2:,} alerts opened", first),
        (f"the same {n:,} findings widened: {n // 2:,} alerts updated", widen),
        ("nothing changed, full scan (batch `detect`; the stream once a minute)", idle),
        (f"full scan: 50 of the {n:,} findings widened (50 alerts updated)", full_some),
        (f"incremental (`only=` the 50 ids): 50 of the {n:,} findings widened", only),
        (
            "incremental, nothing written (the stream's usual call; the detector skips it)",
            only_idle,
        ),
        (f"{n:,} new findings, 3 channels: {3 * n // 2:,} deliveries queued", queued),
    ]
    table = "\n".join(f"| {what} | {s * 1000:,.0f} ms |" for what, s in rows)
    body = f"""`bench/alerts.py --n {n}`: one `raise_alerts` call per line, in-memory store, on a
2-core machine shared with other work: load average {load_before[0]:.1f} before,
{load[0]:.1f} after (`os.getloadavg`, 1 min), so these are upper bounds. The repeatable
calls (nothing changed, 50 widened) are the best of 5; wall time, so noisy under load.

| call | time |
|---|---|
{table}

Raising is set-based (one `UPDATE ... FROM` for every alert touched, one `INSERT ... SELECT`
per call for the keys without an alert). The stream detector raises incrementally: only from
the findings and events its judgement wrote or changed (their ids, `raise_alerts(only=...)`),
with one full scan at start and every 60 s (docs/supervision.md). A first version that took
the rows one by one in Python needed about 29 ms per new alert and 46 ms per update under
similar load.

What the incremental path saves (2026-11-26, load average 15-25, CPU time with DuckDB on one
thread, a throw-away script): a full scan with nothing changed cost 12-14 ms at 2,000 findings
and 15-19 ms at 20,000; a call that updates 50 alerts cost 15-22 ms whether it scanned or was
given the 50 ids. The scan is a small part of a call (statement overheads and the updates are
the rest), so the saving is the call itself: a judgement that wrote nothing raises nothing,
and the cost of one that did follows what it wrote, not the size of `anomaly`. Given as a
literal id list, the rows-to-take query ran in 4-6 ms against 9 ms joined with a registered
Arrow table of the ids (7 ms for the full scan), hence the list."""
    print(body)
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _report import write_section

    write_section("Raising alerts (bench/alerts.py)", body)


if __name__ == "__main__":
    main()
