"""The station-hour grid on arrays (analytics/air_hours.py) against hand-worked cases and a
plain loop over the same definition (hypothesis)."""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from ecohub.analytics.air_hours import OUTPUT_SCHEMA, STEMS, WINDOWS, station_hours

NAN = float("nan")
DAY = 20_000  # a CST day index (2024-10-04); hours are DAY * 24 + hour of day


def _input(rows: list[tuple[int, int, int, float]]) -> pa.Table:
    k, h, p, v = zip(*rows, strict=True) if rows else ((), (), (), ())
    # Hour index h (CST) -> the UTC instant starting it, as the engines hand it over.
    us = [(x - 8) * 3_600_000_000 for x in h]
    return pa.table(
        {
            "k": pa.array(k, pa.int32()),
            "time": pa.array(us, pa.timestamp("us", tz="UTC")),
            "p": pa.array(p, pa.int8()),
            "v": pa.array(v, pa.float64()),
        }
    )


def _rows(out: pa.Table) -> dict[tuple[str, int], dict[str, object]]:
    return {(r["station_id"], r["hour_index"]): r for r in out.to_pylist()}


def test_empty_input_gives_empty_grid() -> None:
    out = station_hours(_input([]), ["A"])
    assert out.num_rows == 0 and out.schema == OUTPUT_SCHEMA


def test_a_day_with_one_row_gets_all_24_hours() -> None:
    out = _rows(station_hours(_input([(1, DAY * 24 + 5, 0, 10.0)]), ["A", "B"]))
    assert sorted(out) == [("B", DAY * 24 + h) for h in range(24)]
    assert out[("B", DAY * 24 + 5)]["observed"] is True
    assert out[("B", DAY * 24 + 5)]["so2_1h"] == 10.0
    assert out[("B", DAY * 24 + 6)]["observed"] is False
    assert out[("B", DAY * 24 + 6)]["time"] is None
    assert out[("B", DAY * 24 + 6)]["so2_1h"] is None
    # 05:00 CST is 21:00 UTC the day before.
    t = out[("B", DAY * 24 + 5)]["time"]
    assert (t.hour, t.tzinfo is not None) == (21, True)


def test_invalid_value_keeps_its_hour_observed_but_counts_nowhere() -> None:
    out = _rows(station_hours(_input([(0, DAY * 24 + 3, 4, NAN)]), ["A"]))
    r = out[("A", DAY * 24 + 3)]
    assert r["observed"] is True and r["o3_1h"] is None
    assert r["n_o3_8h"] == 0 and r["o3_8h_raw"] is None


def test_o3_8h_window_by_hand() -> None:
    # O3 at hours 0..9 of the day: 10, 20, ..., 100; hour 4 missing.
    rows = [(0, DAY * 24 + h, 4, 10.0 * (h + 1)) for h in range(10) if h != 4]
    out = _rows(station_hours(_input(rows), ["A"]))
    # Hour 7: hours 0..7 without 4 -> 10+20+30+40+60+70+80 = 310 over 7.
    r = out[("A", DAY * 24 + 7)]
    assert r["n_o3_8h"] == 7 and math.isclose(r["o3_8h_raw"], 310 / 7, rel_tol=1e-15)
    # Hour 9: hours 2..9 without 4 -> 30+40+60+70+80+90+100 = 470 over 7.
    r = out[("A", DAY * 24 + 9)]
    assert r["n_o3_8h"] == 7 and math.isclose(r["o3_8h_raw"], 470 / 7, rel_tol=1e-15)
    # Hour 15 (no row): hours 8..15 -> 90 and 100 only.
    r = out[("A", DAY * 24 + 15)]
    assert r["observed"] is False and r["n_o3_8h"] == 2 and r["o3_8h_raw"] == 95.0
    # Hour 23: nothing in 16..23.
    assert out[("A", DAY * 24 + 23)]["n_o3_8h"] == 0


def test_24h_window_reaches_into_the_day_before_only_when_it_exists() -> None:
    # PM2.5 of 50 at every hour of DAY, 80 at 00:00 of DAY + 1; nothing on DAY + 3 but 00:00.
    rows = [(0, DAY * 24 + h, 5, 50.0) for h in range(24)]
    rows += [(0, (DAY + 1) * 24, 5, 80.0), (0, (DAY + 3) * 24, 5, 20.0)]
    out = _rows(station_hours(_input(rows), ["A"]))
    r = out[("A", (DAY + 1) * 24)]  # hours 01:00 of DAY .. 00:00 of DAY + 1
    assert r["n_pm25_24h"] == 24 and r["pm25_24h_raw"] == (23 * 50 + 80) / 24
    r = out[("A", (DAY + 1) * 24 + 5)]  # 06:00 of DAY .. 05:00 of DAY + 1
    assert r["n_pm25_24h"] == 19 and r["pm25_24h_raw"] == (18 * 50 + 80) / 19
    assert ("A", (DAY + 2) * 24) not in out  # a day without rows is not in the grid
    r = out[("A", (DAY + 3) * 24)]  # DAY + 2 had nothing: only its own hour
    assert r["n_pm25_24h"] == 1 and r["pm25_24h_raw"] == 20.0


def test_duplicated_key_keeps_the_largest_valid_value_and_says_so() -> None:
    rows = [(0, DAY * 24, 2, 70.0), (0, DAY * 24, 2, 90.0), (0, DAY * 24, 2, NAN)]
    rows += [(0, DAY * 24, 1, 30.0), (0, DAY * 24 + 1, 1, 31.0)]
    out = _rows(station_hours(_input(rows), ["A"]))
    assert out[("A", DAY * 24)]["pm10_1h"] == 90.0
    assert out[("A", DAY * 24)]["rows_max"] == 3
    assert out[("A", DAY * 24 + 1)]["rows_max"] == 1
    assert out[("A", DAY * 24 + 2)]["rows_max"] == 0


def test_days_years_apart_cost_only_their_own_days() -> None:
    rows = [(0, DAY * 24, 0, 5.0), (0, (DAY + 4000) * 24 + 1, 0, 7.0)]
    out = station_hours(_input(rows), ["A"])
    assert out.num_rows == 48
    r = _rows(out)[("A", (DAY + 4000) * 24 + 1)]
    assert r["n_so2_24h"] == 1 and r["so2_24h_raw"] == 7.0


# ---------------------------------------------------------------- against a plain loop


def _reference(rows: list[tuple[int, int, int, float]], ids: list[str]) -> dict:
    """The grid by its definition, one dict entry at a time."""
    values: dict[tuple[int, int, int], float] = {}
    count: dict[tuple[int, int, int], int] = defaultdict(int)
    days = set()
    for k, h, p, v in rows:
        count[(k, h, p)] += 1
        days.add((k, h // 24))
        if not math.isnan(v):
            values[(k, h, p)] = max(v, values.get((k, h, p), -math.inf))
    out = {}
    for k, d in days:
        for hour in range(d * 24, d * 24 + 24):
            r: dict[str, object] = {
                "observed": any(count[(k, hour, p)] for p in range(6)),
                "rows_max": max(count[(k, hour, p)] for p in range(6)),
            }
            for p, s in enumerate(STEMS):
                r[f"{s}_1h"] = values.get((k, hour, p))
            for s, n in WINDOWS.items():
                p = STEMS.index(s)
                span = range(hour - n + 1, hour + 1)
                got = [values[(k, t, p)] for t in span if (k, t, p) in values]
                r[f"n_{s}_{n}h"] = len(got)
                r[f"{s}_{n}h_raw"] = sum(got) / len(got) if got else None
            out[(ids[k], hour)] = r
    return out


_row = st.tuples(
    st.integers(0, 3),
    st.integers(DAY * 24 - 30, DAY * 24 + 80),
    st.integers(0, 5),
    st.one_of(st.just(NAN), st.floats(0, 1000, allow_nan=False).map(lambda x: round(x, 1))),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_row, max_size=120))
def test_grid_matches_the_definition(rows: list[tuple[int, int, int, float]]) -> None:
    ids = ["S0", "S1", "S2", "S3"]
    got = _rows(station_hours(_input(rows), ids))
    want = _reference(rows, ids)
    assert sorted(got) == sorted(want)
    for key, w in want.items():
        g = got[key]
        for col, value in w.items():
            if isinstance(value, float):
                assert math.isclose(g[col], value, rel_tol=1e-12), (key, col)
            else:
                assert g[col] == value, (key, col)


def test_row_order_does_not_matter() -> None:
    rng = np.random.default_rng(7)
    draws = [rng.integers(0, n, 400) for n in (3, 72, 6, 500)]
    rows = [
        (int(k), DAY * 24 + int(h), int(p), float(v)) for k, h, p, v in zip(*draws, strict=True)
    ]
    a = station_hours(_input(rows), ["A", "B", "C"])
    b = station_hours(_input(rows[::-1]), ["A", "B", "C"])
    assert a.equals(b)
