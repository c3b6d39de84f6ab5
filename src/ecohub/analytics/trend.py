"""Monotonic trends per station and parameter: Mann-Kendall and seasonal Kendall, Sen's slope.

The engine builds the monthly series (:mod:`ecohub.analytics.trend_series`: values judged
as the air assessment judges them, the reviewed record by default, daily CST means, then
monthly means with HJ 663's validity minimums). Each (station, parameter) series then goes
through the test in Python (:mod:`ecohub.analytics.kendall`: seasonal Kendall for monthly
series, Mann-Kendall when ``seasonal=False``; the minimum lengths are explained there).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, date, datetime
from typing import Any

import pandas as pd

from ecohub.analytics.air_input import TIME_SET_ASIDE
from ecohub.analytics.kendall import (
    ALPHA,
    MIN_VALUES,
    MIN_YEARS,
    TrendResult,
    mann_kendall,
    mk_statistics,
    seasonal_kendall,
)
from ecohub.analytics.trend_series import monthly_means, reviewed_out, set_aside_times
from ecohub.standards.air_reference_state import crossing_note

__all__ = [
    "MIN_VALUES",
    "MIN_YEARS",
    "TrendResult",
    "mann_kendall",
    "mk_statistics",
    "monthly_means",
    "seasonal_kendall",
    "set_aside_times",
    "store_trends",
    "trends",
]


def trends(
    obs: Any,
    *,
    stations: Sequence[str] | None = None,
    parameters: Sequence[str] | None = None,
    start: date | None = None,
    end: date | None = None,
    seasonal: bool = True,
    alpha: float = ALPHA,
    set_aside: Any | None = None,
) -> pd.DataFrame:
    """Trend test of every (station, parameter) series of ``obs``; one row per series.

    ``set_aside``: the keys of the values the data review set aside
    (:func:`~ecohub.analytics.air_input.review_set_aside`): the series is of the reviewed
    record (``record = "reviewed"``) and ``n_set_aside`` counts the values left out; None
    reads every value (``record = "raw"``, ``n_set_aside`` 0).

    Columns: ``station_id, parameter, unit, test, record, period_from, period_to, n,
    n_months`` (months spanned), ``n_rejected`` (values not valid: flag other than N,
    missing, non-finite, negative, impossible time), ``n_set_aside, s, var_s, z, p, tau,
    slope_per_year, trend, alpha, note``. ``note`` also says when a gaseous series spans
    2018-09-01, the day GB 3095 moved gaseous pollutants to 298.15 K
    (:mod:`ecohub.standards.air_reference_state`). A series too short for the test has ``trend =
    "insufficient data"`` and the reason in ``note``; a series in more than one unit raises
    ``ValueError``.
    """
    m = monthly_means(
        obs, stations=stations, parameters=parameters, start=start, end=end, set_aside=set_aside
    )
    df = m.to_pandas()
    mixed = df[df.n_units > 1]
    if not mixed.empty:
        r = mixed.iloc[0]
        raise ValueError(f"unit: {r.station_id} {r.parameter} is stored in more than one unit")
    bad = set_aside_times(obs, stations=stations, parameters=parameters)
    bad_times = {
        (str(sid), str(par)): int(n)
        for sid, par, n in zip(bad.station_id, bad.parameter, bad.n, strict=True)
    }
    left_out = (
        {} if set_aside is None else reviewed_out(obs, set_aside, stations, parameters, start, end)
    )
    rows = []
    for (sid, par), g in df.groupby(["station_id", "parameter"], sort=True):
        g = g.sort_values(["year", "month"])
        ok = g[g.valid_month.astype(bool)]
        idx = g.year * 12 + g.month - 1
        first, last = int(idx.min()), int(idx.max())
        row: dict[str, Any] = {
            "station_id": sid,
            "parameter": par,
            "unit": g.unit.iloc[0],
            "test": "seasonal_mk" if seasonal else "mk",
            "record": "raw" if set_aside is None else "reviewed",
            "period_from": date(first // 12, first % 12 + 1, 1),
            "period_to": date(last // 12, last % 12 + 1, 1),
            "n": len(ok),
            "n_months": last - first + 1,
            "n_rejected": int(g.n_rejected.fillna(0).sum()),
            "n_set_aside": left_out.get((str(sid), str(par)), 0),
            "alpha": alpha,
            "note": "",
        }
        n_bad = bad_times.get((str(sid), str(par)), 0)
        if n_bad:
            row["n_rejected"] += n_bad
            row["note"] = f"{n_bad} row(s) set aside: {TIME_SET_ASIDE}"
        # A gaseous series across 2018-09-01 has a step of the reporting state in it.
        step = crossing_note(str(par), row["period_from"], date(last // 12, last % 12 + 1, 1))
        row["note"] = "; ".join(filter(None, [row["note"], step]))
        try:
            if seasonal:
                res = seasonal_kendall(ok.value, ok.month, ok.year, alpha)
            else:
                res = mann_kendall(ok.value, (ok.year * 12 + ok.month - 1) / 12.0, alpha)
        except ValueError as exc:
            row.update(
                trend="insufficient data", note="; ".join(filter(None, [row["note"], str(exc)]))
            )
        else:
            row.update({k: v for k, v in asdict(res).items() if k not in ("test", "alpha")})
        rows.append(row)
    cols = ["station_id", "parameter", "unit", "test", "record", "period_from", "period_to"]
    cols += ["n", "n_months", "n_rejected", "n_set_aside", "s", "var_s", "z", "p", "tau"]
    cols += ["slope_per_year", "trend", "alpha", "note"]
    return pd.DataFrame(rows).reindex(columns=cols)


def store_trends(con: Any, table: pd.DataFrame) -> int:
    """Upsert :func:`trends` rows into ``trend_result`` (DuckDB store); rows written."""
    cols = ["station_id", "parameter", "test", "period_from", "period_to", "unit", "n", "s"]
    cols += ["var_s", "z", "p", "tau", "slope_per_year", "trend", "alpha", "note", "record"]
    cols += ["n_set_aside"]
    rows = table.reindex(columns=cols).assign(computed_at=datetime.now(UTC))
    from ecohub.catalog.produce import note

    params = {
        "stations": sorted(map(str, rows["station_id"].dropna().unique()))[:100],
        "parameters": sorted(map(str, rows["parameter"].dropna().unique())),
        "tests": sorted(map(str, rows["test"].dropna().unique())),
        "records": sorted(map(str, rows["record"].dropna().unique())),
        "period_from": None if rows.empty else str(rows["period_from"].min()),
        "period_to": None if rows.empty else str(rows["period_to"].max()),
        "rows": len(rows),
    }
    con.register("_ecohub_trend_rows", rows)
    con.execute("BEGIN")
    try:
        con.execute(
            f"INSERT OR REPLACE INTO trend_result ({', '.join([*cols, 'computed_at'])}) "
            "SELECT * FROM _ecohub_trend_rows"
        )
        note(con, "trend_result", "trend", [("resource", "observation")], params)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        con.unregister("_ecohub_trend_rows")
    return len(rows)
