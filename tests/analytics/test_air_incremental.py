"""Stored air results: an incremental recompute of stale station-days gives the tables a full
recompute gives, writes only the rows that depend on those days, and reads are scoped to
the caller's region in the query."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pytest

from ecohub.access import Principal
from ecohub.analytics.air_input import AirInputError
from ecohub.analytics.air_service import aqi, assess, compute, mark_stale
from ecohub.cst import CST
from ecohub.store.db import connect

from .test_air import obs_frame

TABLES = {
    "air_hourly_aqi": ["scope", "code", "time"],
    "air_daily": ["scope", "code", "date"],
    "air_period_stat": ["scope", "code", "year", "month", "pollutant", "statistic"],
    "air_category_days": ["scope", "code", "year", "month"],
}


def _insert(con: duckdb.DuckDBPyConnection, obs: pd.DataFrame) -> None:
    con.register("_o", obs)
    con.execute("INSERT OR REPLACE INTO observation BY NAME SELECT * FROM _o")
    con.unregister("_o")


@pytest.fixture
def store() -> Iterator[duckdb.DuckDBPyConnection]:
    con = connect(":memory:")
    con.execute(
        "INSERT INTO station (station_id, network, region_code) VALUES "
        "('s1', 'air', '110105'), ('s2', 'air', '110108'), ('t1', 'air', '130203')"
    )
    rng = np.random.default_rng(3)
    obs = obs_frame(start="2026-03-01", days=6, stations=("s1", "s2", "t1"))
    obs["value"] = (obs.value * rng.uniform(0.5, 2.0, len(obs))).round(1)
    _insert(con, obs)
    yield con
    con.close()


def _tables(con: duckdb.DuckDBPyConnection) -> dict[str, pd.DataFrame]:
    return {
        name: con.execute(f"SELECT * FROM {name} ORDER BY {', '.join(keys)}").df()
        for name, keys in TABLES.items()
    }


def test_incremental_recompute_equals_full_and_writes_only_what_depends(store: Any) -> None:
    con = store
    first = compute(con)
    assert first["mode"] == "full" and first["station_days"] == 18
    assert compute(con)["mode"] == "fresh"  # nothing changed, nothing written
    # New values for s1 on 2026-03-03, and a new day 2026-03-07 for s2 (the loader's part).
    day3 = obs_frame(start="2026-03-03", days=1, stations=("s1",), values={"PM2.5": 140.0})
    day7 = obs_frame(start="2026-03-07", days=1, stations=("s2",))
    _insert(con, pd.concat([day3, day7]))
    marked = mark_stale(con, ["s1"], datetime(2026, 3, 3, 0, tzinfo=CST),
                        datetime(2026, 3, 3, 23, tzinfo=CST))  # fmt: skip
    marked += mark_stale(con, ["s2"], datetime(2026, 3, 7, 0), datetime(2026, 3, 7, 23))
    assert marked == 2
    res = compute(con)
    assert res["mode"] == "incremental" and res["station_days"] == 2
    w = res["written"]
    # daily: s1 03-03, s2 03-07, and Beijing (110000) on both days; Tangshan untouched.
    assert w["air_daily"] == 4
    # hourly: each stale day and the next (moving means cross midnight), station and city:
    # s1 03-03 + 03-04 (24 + 24), s2 03-07 (24; 03-08 has no data), 110000 on 03-03, 03-04
    # and 03-07 (3 * 24).
    assert w["air_hourly_aqi"] == 24 + 24 + 24 + 3 * 24
    # category days of March and of 2026: the calendar grew to 03-07, so every station (3)
    # and city (2) gets its March and 2026 rows again.
    assert w["air_category_days"] == (3 + 2) * 2
    # statistics only of the stale codes: s1, s2 and 110000, March (6 pollutants, one
    # statistic each) and 2026 (the same 6, and the 24-h percentiles of SO2, NO2, PM10, PM2.5).
    assert w["air_period_stat"] <= 3 * (6 + 6 + 4)
    assert con.execute("SELECT count(*) FROM air_stale").fetchone()[0] == 0
    incremental = _tables(con)
    full = compute(con, full=True)
    assert full["mode"] == "full"
    for name, df in _tables(con).items():
        pd.testing.assert_frame_equal(incremental[name], df, check_exact=False, rtol=1e-12)
    # and the new values are in: s1's PM2.5 daily mean on 03-03 is 140
    v = con.execute(
        "SELECT pm25_24h FROM air_daily WHERE code = 's1' AND date = DATE '2026-03-03'"
    ).fetchone()[0]
    assert v == 140.0


def test_assess_reads_stored_results_and_recomputes_stale_days_first(store: Any) -> None:
    con = store
    compute(con)
    con.execute("UPDATE air_period_stat SET value = -1 WHERE code = 't1' AND month = 0")
    res = assess(con, 2026)
    t1 = res["stats"][res["stats"].code == "t1"]
    assert (t1.value == -1).all()  # read from the table, not recomputed
    mark_stale(con, ["t1"], datetime(2026, 3, 2), datetime(2026, 3, 2))
    res = assess(con, 2026)
    assert con.execute("SELECT count(*) FROM air_stale").fetchone()[0] == 0
    t1 = res["stats"][res["stats"].code == "t1"]
    assert (t1.value > 0).all()
    # a what-if edition is computed, not read, and leaves the stored results alone
    what_if = assess(con, 2026, edition=2012)
    assert set(what_if["stats"].code) == set(res["stats"].code)
    assert compute(con)["mode"] == "fresh"


def test_reads_are_scoped_to_the_principals_region(store: Any) -> None:
    con = store
    compute(con)
    district = Principal("a", "analyst", region="110105")
    city = Principal("b", "analyst", region="110000")
    res = assess(con, 2026, principal=district)
    assert sorted(res["stats"].code.unique()) == ["s1"]
    assert sorted(res["days"].code) == ["s1"]
    res = assess(con, 2026, principal=city)
    assert sorted(res["days"].code) == ["110000", "s1", "s2"]
    rows = aqi(con, scope="city", principal=city)
    assert set(rows.code) == {"110000"}
    # an out-of-scope station answers exactly as an unknown one
    with pytest.raises(AirInputError) as out_of_scope:
        aqi(con, stations=["t1"], principal=district)
    with pytest.raises(AirInputError) as unknown:
        aqi(con, stations=["zz"], principal=district)
    assert str(out_of_scope.value).replace("t1", "X") == str(unknown.value).replace("zz", "X")


def test_mark_stale_clips_impossible_times_and_checks_types(store: Any) -> None:
    con = store
    assert mark_stale(con, ["s1"], datetime(1, 1, 1), datetime(1, 1, 2)) == 0
    assert mark_stale(con, [], datetime(2026, 3, 1), datetime(2026, 3, 2)) == 0
    with pytest.raises(AirInputError) as err:
        mark_stale(con, ["s1"], "2026-03-01", datetime(2026, 3, 2))  # type: ignore[arg-type]
    assert err.value.field == "first_time"


def test_compute_is_for_admins(store: Any) -> None:
    from ecohub.access import AccessDenied

    with pytest.raises(AccessDenied):
        compute(store, principal=Principal("a", "analyst", region="110000"))


def _key_counts(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[int, int]]:
    """Rows and distinct keys of each result table."""
    return {
        name: con.execute(
            f"SELECT count(*), count(DISTINCT ({', '.join(keys)})) FROM {name}"
        ).fetchone()
        for name, keys in TABLES.items()
    }


def test_a_full_run_replaces_the_tables_at_once_and_a_failed_one_changes_nothing(
    store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full run writes its rows beside the old tables, chunk by chunk, and swaps them in at
    the end: the tables keep their keys, nothing of the run is left behind, and a run that
    fails after its chunks were written leaves the old results as they were."""
    from ecohub.analytics import air_results, air_stats

    con = store
    compute(con, full=True)
    before = _tables(con)
    counts = _key_counts(con)
    assert all(rows == keys > 0 for rows, keys in counts.values()), counts
    # Every table still has its key (made as the old one was).
    keyed = {r[0] for r in con.execute(
        "SELECT table_name FROM duckdb_constraints() WHERE constraint_type = 'PRIMARY KEY'"
    ).fetchall()}  # fmt: skip
    assert set(TABLES) <= keyed
    # A full run in month chunks (tiny chunks: one month each) gives the same tables.
    res = air_results.compute_full(con, chunk_values=1)
    assert res.mode == "full"
    for name, df in _tables(con).items():
        pd.testing.assert_frame_equal(before[name], df, check_exact=False, rtol=1e-12)
    leftovers = "SELECT count(*) FROM duckdb_tables() WHERE table_name LIKE 'air%' || ?"
    assert con.execute(leftovers, [air_results.NEXT]).fetchone()[0] == 0

    def broken(*_a: Any, **_k: Any) -> Any:
        raise RuntimeError("statistics failed")

    con.execute("UPDATE air_daily SET aqi = -7 WHERE code = 's1'")  # marks the old results
    marked = mark_stale(con, ["s2"], datetime(2026, 3, 2), datetime(2026, 3, 2))
    monkeypatch.setattr(air_stats, "period_statistics", broken)
    with pytest.raises(RuntimeError, match="statistics failed"):
        air_results.compute_full(con)
    assert con.execute("SELECT count(*) FROM air_daily WHERE aqi = -7").fetchone()[0] == 6
    assert _key_counts(con) == counts
    assert con.execute(leftovers, [air_results.NEXT]).fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM air_stale").fetchone()[0] == marked == 1
