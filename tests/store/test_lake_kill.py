"""kill -9 while observations load, compact, rewrite partitions and merge files: after
recovery every committed load is in ``observation_all``, each key once, with its last value."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ecohub.settings import Settings
from ecohub.store import lake
from ecohub.store.db import connect
from ecohub.store.lake_compact import COMPACTED, recover

FIRST = datetime(2026, 9, 20, 16, 0, tzinfo=UTC)  # 2026-09-21 00:00 CST: settled long ago
STATIONS = ("S1", "S2", "S3", "S4")

# One step i, in a child process: load day i of every station (24 h), reload day i-2 with
# corrected values (a partition rewrite at the next compaction), commit, print i, compact
# (which also merges partitions past 3 files). Loads are idempotent, so a step the parent did
# not see committed is simply run again.
CHILD = """
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from ecohub.settings import Settings
from ecohub.store import lake
from ecohub.store.db import connect
from ecohub.store.lake_compact import compact

data, start, stop = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
s = Settings(data_dir=data, node_id="k1", lake_merge_files=3)
con = connect(s.database)
lake.attach(con, s)
first = datetime(2026, 9, 20, 16, 0, tzinfo=UTC)
for i in range(start, stop):
    con.execute("BEGIN")
    for day, value in ((i, float(i)), (i - 2, 1000.0 + i)):
        if day < 0:
            continue
        con.execute(
            "INSERT INTO observation (station_id, parameter, period, time, value, unit, "
            "below_detection, source) SELECT st, 'a34004', '1h', ?::TIMESTAMPTZ + "
            "to_hours(h), ? + h / 100, 'ug/m3', false, 'kill' FROM (VALUES ('S1'), ('S2'), "
            "('S3'), ('S4')) v(st), range(24) r(h) ON CONFLICT DO UPDATE SET value = "
            "EXCLUDED.value",
            [first + timedelta(days=day), value],
        )
    con.execute("COMMIT")
    print(i, flush=True)
    compact(con, s)
"""


def expected(upto: int) -> dict[tuple[str, datetime], float]:
    """Every (station, time) -> value after steps 0..upto, as the child writes them."""
    out: dict[tuple[str, datetime], float] = {}
    for i in range(upto + 1):
        for day, value in ((i, float(i)), (i - 2, 1000.0 + i)):
            if day < 0:
                continue
            for st in STATIONS:
                for h in range(24):
                    out[(st, FIRST + timedelta(days=day, hours=h))] = value + h / 100
    return out


def stored(data: Path) -> list[tuple[str, datetime, float]]:
    s = Settings(data_dir=data, node_id="k1")
    con = connect(s.database)
    try:
        lake.attach(con, s)
        for table in COMPACTED:
            recover(con, s, table)
        return [
            (st, t.astimezone(UTC), v)
            for st, t, v in con.execute(
                "SELECT station_id, time, value FROM observation_all ORDER BY ALL"
            ).fetchall()
        ]
    finally:
        con.close()


def run_child(data: Path, start: int, stop: int, kill_after: int | None) -> int:
    """Run steps start..stop-1; SIGKILL after ``kill_after`` steps were committed (plus a random
    delay into the compaction that follows). Returns the last step seen committed."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(data), str(start), str(stop)],
        stdout=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    assert proc.stdout is not None
    last = start - 1
    for line in proc.stdout:
        last = int(line)
        if kill_after is not None and last >= start + kill_after - 1:
            time.sleep(random.uniform(0.0, 0.4))  # somewhere in the compaction
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait()
    for line in proc.stdout:  # what it printed before it died
        last = int(line)
    return last


def test_kill_during_observation_compaction_loses_and_doubles_nothing(tmp_path: Path) -> None:
    random.seed(212)
    step = -1
    for _ in range(4):
        step = run_child(tmp_path, step + 1, step + 50, kill_after=random.randint(1, 3))
        got = stored(tmp_path)
        keys = [(st, t) for st, t, _ in got]
        assert len(keys) == len(set(keys)), "a key doubled"
        as_dict = {(st, t): v for st, t, v in got}
        # The step after the last one seen may have committed before the kill.
        assert as_dict in (expected(step), expected(step + 1))
    step = run_child(tmp_path, step + 1, step + 4, kill_after=None)
    got = stored(tmp_path)
    assert {(st, t): v for st, t, v in got} == expected(step)
    assert len(got) == len(expected(step))
    # The loads went through compaction: nearly everything is in the lake.
    assert lake.paths(Settings(data_dir=tmp_path), "observation")
