"""Hand-built HJ 212 minute series for the rule tests: a clean gas outlet and helpers to bend it.

The clean outlet: SO2 30 mg/m3, NOx 80, dust 5 with a daily +-20 % swing, O2 8-12 %, flow 50 m3/s,
converted values at reference O2 6 % (GB 13223), emission amounts = C x volume x 1e-6 (HJ 75).
"""

from __future__ import annotations

from datetime import datetime
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
    out = {
        p: np.round(b * swing * (1 + 0.03 * rng.standard_normal(minutes)), 2)
        for p, b in BASE.items()
    }
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
    below: dict[str, np.ndarray] | None = None,
) -> pa.Table:
    """Minute rows (CN 2051) of the series; converted values and amounts follow HJ 75 unless
    given; ``keep`` (a boolean mask over minutes) drops minutes that were never sent;
    ``below`` (a boolean mask per pollutant) marks values stored below the detection limit
    (``…L``: `emission.below_detection`), and adds that column to every row."""
    n = len(next(iter(values.values())))
    mask = np.ones(n, bool) if keep is None else keep
    t0 = np.datetime64(start.astimezone(ZoneInfo("UTC")).replace(tzinfo=None), "us")
    times = (t0 + np.arange(n).astype("timedelta64[m]"))[mask]
    o2 = values["a19001"]
    volume = values["a00000"] * 60.0  # m3/s over a minute
    parts = []
    for p, v in values.items():
        z = (zs or {}).get(p)
        if z is None and p in CONC:
            z = np.round(v * (21 - REF_O2) / (21 - o2), 2)
        c = (cou or {}).get(p)
        if c is None:
            c = volume if p == "a00000" else (v * volume * 1e-6 if p in CONC else None)
        f = (flags or {}).get(p)
        k = int(mask.sum())
        none = pa.nulls(k, pa.float64())
        cols = {
            "mn": pa.array([mn] * k, pa.string()),
            "cn": pa.array(["2051"] * k, pa.string()),
            "data_time": pa.array(times, pa.timestamp("us", tz="UTC")),
            "pollutant": pa.array([p] * k, pa.string()),
            "rtd": none,
            "avg": pa.array(np.asarray(v, float)[mask]),
            "min": none,
            "max": none,
            "cou": none if c is None else pa.array(np.asarray(c, float)[mask]),
            "zs_rtd": none,
            "zs_avg": none if z is None else pa.array(np.asarray(z, float)[mask]),
            "flag": pa.array(["N"] * k if f is None else [str(x) for x in np.asarray(f)[mask]]),
        }
        part = pa.table(cols).cast(EMISSION_COLUMNS)
        if below is not None:
            b = below.get(p)
            flags_b = np.zeros(k, bool) if b is None else np.asarray(b, bool)[mask]
            part = part.append_column("below_detection", pa.array(flags_b, pa.bool_()))
        parts.append(part)
    return pa.concat_tables(parts)


def load(con: duckdb.DuckDBPyConnection, rows: pa.Table) -> None:
    cols = ", ".join(rows.column_names)
    con.register("_rows", rows)
    con.execute(f"INSERT INTO emission ({cols}, received_at) SELECT *, data_time FROM _rows")
    con.unregister("_rows")


def findings(con: duckdb.DuckDBPyConnection, rule: str | None = None) -> list[tuple]:
    """(mn, pollutant, rule, start, end) of the stored findings, in order."""
    sql = 'SELECT mn, pollutant, rule, start, "end" FROM anomaly'
    args = []
    if rule:
        sql += " WHERE rule = ?"
        args.append(rule)
    return con.execute(sql + " ORDER BY mn, pollutant, rule, start", args).fetchall()
