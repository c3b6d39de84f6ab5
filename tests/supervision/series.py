"""Hand-built HJ 212 minute series for the rule tests: a clean gas outlet and helpers to bend it.

The clean outlet: SO2 30 mg/m3, NOx 80, dust 5 with a daily +-20 % swing, O2 8-12 %, flow 50 m3/s,
converted values at reference O2 6 % (GB 13223), emission amounts = C x volume x 1e-6 (HJ 75).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import duckdb
import numpy as np
import pyarrow as pa

from ecohub.store.db import connect
from ecohub.supervision.stream import EMISSION_COLUMNS

CST = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 3, 2, 0, 0, tzinfo=CST)
MN = "88888880000001"
CONC = ("a21026", "a21002", "a34013")
BASE = {"a21026": 30.0, "a21002": 80.0, "a34013": 5.0}
REF_O2 = 6.0


def store() -> duckdb.DuckDBPyConnection:
    con = connect(":memory:")
    con.execute(
        "INSERT INTO source (source_code, name, region_code) VALUES "
        "('S1', 'plant one', '130203'), ('S2', 'plant two', '110105')"
    )
    con.execute(
        "INSERT INTO monitor_point (mn, source_code, outlet_code, interval_s) VALUES "
        f"('{MN}', 'S1', 'DA001', 60), ('88888880000002', 'S2', 'DA001', 60)"
    )
    return con


def clean(minutes: int, mn: str = MN, start: datetime = T0, seed: int = 1) -> dict[str, np.ndarray]:
    """Columns of a clean outlet: one entry per pollutant with its minute values."""
    rng = np.random.default_rng(seed)
    i = np.arange(minutes)
    swing = 1 + 0.2 * np.sin(2 * np.pi * i / 1440)
    out = {p: np.round(b * swing * (1 + 0.03 * rng.standard_normal(minutes)), 2) for p, b in BASE.items()}
    # O2 falls as load rises (more fuel, same air): 8 % at the peak, 12 % at the trough.
    out["a19001"] = np.round(10 - 10 * (swing - 1) + 0.3 * rng.standard_normal(minutes), 2)
    out["a00000"] = np.round(50 * swing * (1 + 0.02 * rng.standard_normal(minutes)), 2)
    return out


def table(
    values: dict[str, np.ndarray],
    mn: str = MN,
    start: datetime = T0,
    flags: dict[str, np.ndarray] | None = None,
    zs: dict[str, np.ndarray] | None = None,
    cou: dict[str, np.ndarray] | None = None,
    keep: np.ndarray | None = None,
) -> pa.Table:
    """Minute rows (CN 2051) of the series; converted values and amounts follow HJ 75 unless
    given; ``keep`` (a boolean mask over minutes) drops minutes that were never sent."""
    n = len(next(iter(values.values())))
    times = np.array([start + timedelta(minutes=k) for k in range(n)], dtype=object)
    o2 = values["a19001"]
    volume = values["a00000"] * 60.0  # m3/s over a minute
    cols: dict[str, list] = {name: [] for name in EMISSION_COLUMNS.names}
    mask = np.ones(n, bool) if keep is None else keep
    for p, v in values.items():
        f = (flags or {}).get(p, np.full(n, "N", dtype=object))
        z = (zs or {}).get(p)
        if z is None and p in CONC:
            z = np.round(v * (21 - REF_O2) / (21 - o2), 2)
        c = (cou or {}).get(p)
        if c is None:
            c = volume if p == "a00000" else (v * volume * 1e-6 if p in CONC else None)
        for k in np.flatnonzero(mask):
            cols["mn"].append(mn)
            cols["cn"].append("2051")
            cols["data_time"].append(times[k])
            cols["pollutant"].append(p)
            cols["rtd"].append(None)
            cols["avg"].append(float(v[k]))
            cols["min"].append(None)
            cols["max"].append(None)
            cols["cou"].append(None if c is None else float(c[k]))
            cols["zs_rtd"].append(None)
            cols["zs_avg"].append(None if z is None else float(z[k]))
            cols["flag"].append(str(f[k]))
    return pa.Table.from_pydict(cols, schema=EMISSION_COLUMNS)


def load(con: duckdb.DuckDBPyConnection, rows: pa.Table) -> None:
    con.register("_rows", rows)
    con.execute(
        "INSERT INTO emission (mn, cn, data_time, pollutant, rtd, avg, min, max, cou, zs_rtd, "
        "zs_avg, flag, received_at) SELECT *, data_time FROM _rows"
    )
    con.unregister("_rows")


def findings(con: duckdb.DuckDBPyConnection, rule: str | None = None) -> list[tuple]:
    """(mn, pollutant, rule, start, end) of the stored findings, in order."""
    sql = 'SELECT mn, pollutant, rule, start, "end" FROM anomaly'
    args = []
    if rule:
        sql += " WHERE rule = ?"
        args.append(rule)
    return con.execute(sql + " ORDER BY mn, pollutant, rule, start", args).fetchall()
