"""The rows a platform would have measured for a generated population: HJ 212 hours (with
offline gaps), exceedance events, anomaly findings, permit dates and complaint links.

Deterministic per source (seeded by its record id), so the same population gives the same rows.
``build`` writes a population (:mod:`ecohub.enterprise.population`), loads it and adds these.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from ecohub.cst import CST
from ecohub.enterprise.population import Population, write

__all__ = ["build", "write_measured"]


def _seed(record_id: str) -> int:
    return int(hashlib.sha1(record_id.encode()).hexdigest()[:8], 16)


def write_measured(con: duckdb.DuckDBPyConnection, pop: Population) -> None:
    """HJ 212 hours, exceedances, anomalies, permit dates and complaint links as rows."""
    y, m = (int(p) for p in pop.month.split("-"))
    m0 = datetime(y, m, 1, tzinfo=CST)
    m1 = (m0 + timedelta(days=32)).replace(day=1)
    hours = int((m1 - m0).total_seconds() // 3600)
    emis: list[Any] = []
    exc: list[Any] = []
    anom: list[Any] = []
    compl: list[Any] = []
    permits: list[Any] = []
    now = datetime.now(CST)
    rows: list[Any] = list(pop.sources.itertuples())  # attribute access; typed loosely
    for r in rows:
        rng = np.random.default_rng(_seed(r.record_id))
        code = pop.codes.get(r.record_id)
        if code is None:
            continue
        k = pop.kinds[r.record_id]
        first = datetime.combine(r.first, datetime.min.time(), CST)
        permits.append((code, r.permit_no, (r.first + timedelta(days=int(rng.integers(0, 30))))
                        if "built_before" in k or rng.random() < 0.5 else None))  # fmt: skip
        if r.mn:
            offline = set()
            if rng.random() < 0.07:
                start = int(rng.integers(0, hours - 100))
                offline = set(range(start, start + int(rng.integers(20, 100))))
            emis.append((r.mn, first, 40.0))
            emis += [(r.mn, m0 + timedelta(hours=h), 40.0) for h in range(hours)
                     if h not in offline]  # fmt: skip
            if "exceed" in k:
                left = int(rng.integers(30, 150))
                peak = float(rng.uniform(1.8, 5))
                while left > 0:
                    span = min(left, int(rng.integers(4, 30)))
                    s = m0 + timedelta(hours=int(rng.integers(0, hours - span)))
                    exc.append((r.mn, code, s, s + timedelta(hours=span), peak, 100.0, peak / 1))
                    left -= span
            elif rng.random() < 0.3:
                span = int(rng.integers(1, 6))
                s = m0 + timedelta(hours=int(rng.integers(0, hours - span)))
                x = float(rng.uniform(1.05, 1.5))
                exc.append((r.mn, code, s, s + timedelta(hours=span), x, 100.0, x))
            # A false alarm now and then: one high finding on a clean device.
            n_high = int(rng.integers(1, 4)) if "fraud" in k else int(rng.random() < 0.03)
            n_med = int(rng.integers(0, 4)) if "fraud" in k else int(rng.random() < 0.1)
            n_low = int(rng.integers(1, 6)) if rng.random() < 0.3 else 0
            for sev, count in (("high", n_high), ("medium", n_med), ("low", n_low)):
                for _ in range(count):
                    s = m0 + timedelta(hours=int(rng.integers(0, hours - 5)))
                    anom.append((r.mn, code, sev, s, s + timedelta(hours=4)))
        if rng.random() < 0.1 or ("exceed" in k and rng.random() < 0.5):
            for _ in range(1 + int(rng.integers(2))):
                t = m0 + timedelta(hours=int(rng.integers(0, hours)))
                compl.append((f"X{len(compl):06d}", code, t.replace(tzinfo=None), "odour",
                              float(rng.uniform(100, 2000)), 1.0))  # fmt: skip
    del now
    if emis:
        frame = pd.DataFrame(emis, columns=["mn", "data_time", "avg"])
        con.register("_e", frame)
        con.execute("INSERT INTO emission (mn, cn, data_time, pollutant, avg, received_at) "
                    "SELECT mn, '2061', data_time, 'a21026', avg, data_time FROM _e "
                    "ON CONFLICT DO NOTHING")  # fmt: skip
        con.unregister("_e")
    con.executemany(
        'INSERT INTO exceedance (mn, source_code, pollutant, period, start, "end", peak, "limit", '
        "multiple, open, found_at, updated_at) VALUES (?, ?, 'a21026', 'hour', ?, ?, ?, ?, ?, "
        "false, now(), now())",
        [list(e) for e in exc],
    )
    con.executemany(
        'INSERT INTO anomaly (mn, source_code, pollutant, rule, severity, start, "end", found_at, '
        "updated_at) VALUES (?, ?, '*', 'generated', ?, ?, ?, now(), now())",
        [list(a) for a in anom],
    )
    con.executemany("INSERT INTO complaint_source VALUES (?, ?, ?, ?, ?, ?)",
                    [list(c) for c in compl])  # fmt: skip
    con.executemany("UPDATE permit SET valid_from = ? WHERE permit_no = ? AND source_code = ?",
                    [[p[2], p[1], p[0]] for p in permits if p[2] is not None])  # fmt: skip


def build(con: duckdb.DuckDBPyConnection, out: Path, n: int = 400, seed: int = 7,
          month: str = "2026-10", *, beijing: bool = False,
          noise: float = 0.2) -> Population:  # fmt: skip
    """Write the population, load it through the loaders (one link run) and add the measured
    rows; returns it with ``codes`` filled."""
    from ecohub.enterprise.loads import load_cases, load_eia
    from ecohub.registry.records import load_records
    from ecohub.registry.service import link

    pop = write(out, n, seed, month, beijing=beijing, noise=noise)
    load_records(con, "permit", pop.files["sources"])
    load_cases(con, pop.files["cases"], link=False)
    load_eia(con, pop.files["eia"], link=False)
    link(con, actor="population")
    pop.codes = dict(
        con.execute(
            "SELECT record_id, source_code FROM source_record WHERE system = 'permit'"
        ).fetchall()
    )
    write_measured(con, pop)
    return pop
