"""Generated surface-water sections for tests and demos (not real data).

River and lake sections in two basins, all 24 GB 3838-2002 Table 1 items sampled once a
month (or more), in the store's form: HJ 212 codes, mg/L (pH dimensionless, ℃, count/L),
CST times. Concentrations are log-normal around typical national values, scaled by a
per-section pollution level, so the classes spread from I to 劣V. Deterministic per seed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["water_observations", "water_stations"]

# code, unit, typical value (median), log-sd, scales with pollution (organics, nutrients)
_ITEMS: tuple[tuple[str, str, float, float, bool], ...] = (
    ("w01010", "℃", 16.0, 0.0, False),  # water temperature: seasonal, below
    ("w01001", "dimensionless", 7.8, 0.0, False),  # pH: normal, below
    ("w01009", "mg/L", 8.0, 0.0, False),  # DO: seasonal and pollution, below
    ("w01019", "mg/L", 3.5, 0.35, True),
    ("w01018", "mg/L", 14.0, 0.35, True),
    ("w01017", "mg/L", 2.5, 0.4, True),
    ("w21003", "mg/L", 0.35, 0.6, True),
    ("w21011", "mg/L", 0.09, 0.5, True),
    ("w21001", "mg/L", 1.4, 0.4, True),
    ("w20122", "mg/L", 0.004, 0.6, False),
    ("w20123", "mg/L", 0.02, 0.6, False),
    ("w21017", "mg/L", 0.4, 0.3, False),
    ("w20128", "mg/L", 0.0006, 0.5, False),
    ("w20119", "mg/L", 0.002, 0.6, False),
    ("w20111", "mg/L", 0.00002, 0.6, False),
    ("w20115", "mg/L", 0.0002, 0.6, False),
    ("w20117", "mg/L", 0.004, 0.5, False),
    ("w20120", "mg/L", 0.003, 0.7, False),
    ("w21016", "mg/L", 0.002, 0.6, False),
    ("w23002", "mg/L", 0.0012, 0.6, True),
    ("w22001", "mg/L", 0.02, 0.6, True),
    ("w19002", "mg/L", 0.05, 0.5, True),
    ("w21019", "mg/L", 0.01, 0.7, True),
    ("w02003", "count/L", 2000.0, 0.9, True),
)


def water_stations(n_river: int = 12, n_lake: int = 4, seed: int = 7) -> pd.DataFrame:
    """Station rows (``station`` columns) of generated river sections and lake points."""
    rng = np.random.default_rng(seed)
    basins = ("长江", "淮河")
    regions = ("320100", "320500", "340100", "341200")
    rows = []
    for i in range(n_river + n_lake):
        lake = i >= n_river
        rows.append(
            {
                "station_id": f"{'L' if lake else 'R'}{i:03d}",
                "name": f"{'湖库点位' if lake else '河流断面'}{i}",
                "network": "surface_water",
                "region_code": regions[i % len(regions)],
                "basin": basins[i % len(basins)],
                "waterbody": "lake" if lake else "river",
                "lon": 117.0 + rng.uniform(0, 3),
                "lat": 31.0 + rng.uniform(0, 3),
            }
        )
    return pd.DataFrame(rows)


def water_observations(
    stations: pd.DataFrame,
    start: str = "2023-01",
    months: int = 24,
    per_month: int = 1,
    seed: int = 11,
) -> pd.DataFrame:
    """``observation`` rows: every item of every station, ``per_month`` samples a month.

    Samples fall on days 5, 12, 19, … at 10:00 CST; values are rounded to the reporting
    precision of a laboratory (4 significant figures).
    """
    rng = np.random.default_rng(seed)
    first = pd.Period(start, freq="M")
    rows = []
    for k, st in enumerate(stations.itertuples()):
        level = np.exp(rng.normal(0.0, 0.7)) * (1.0 + 0.6 * (k % 5 == 0))
        lake = st.waterbody == "lake"
        for mi in range(months):
            month = first + mi
            season = np.cos(2 * np.pi * (month.month - 7) / 12)  # 1 in July, -1 in January
            for j in range(per_month):
                day = 5 + 7 * j
                time = pd.Timestamp(month.year, month.month, day, 10, tz="Asia/Shanghai")
                for code, unit, typical, sd, polluting in _ITEMS:
                    if code == "w01010":
                        value = typical + 9 * season + rng.normal(0, 1)
                    elif code == "w01001":
                        value = rng.normal(typical, 0.3)
                    elif code == "w01009":
                        value = 9.0 - 2.0 * season - 1.2 * np.log(level) + rng.normal(0, 0.6)
                    else:
                        base = typical * (0.4 if lake and code == "w21011" else 1.0)
                        factor = level if polluting else 1.0
                        value = base * factor * np.exp(rng.normal(0.0, sd))
                    value = float(f"{max(value, 0.0):.4g}")
                    rows.append(
                        {
                            "station_id": st.station_id,
                            "parameter": code,
                            "period": "24h",
                            "time": time,
                            "value": value,
                            "unit": unit,
                            "flag": None,
                            "source": "generated",
                        }
                    )
    return pd.DataFrame(rows)
