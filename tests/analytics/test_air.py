"""Air analytics on both engines: validity rules, O3 windows, city means, edition switch,
bad input, and DuckDB/Spark parity on the same data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import pytest

from ecohub.analytics import air, air_days, air_stats
from ecohub.analytics.air_input import (
    AirInputError,
    check_observations,
    grid_value,
    valid_mask,
)
from ecohub.analytics.air_service import aqi_table, build

from .conftest import put

CODES = {"SO2": "a21026", "NO2": "a21004", "PM10": "a34002", "CO": "a21005", "O3": "a05024",
         "PM2.5": "a34004"}  # fmt: skip
BASE = {"SO2": 10.0, "NO2": 30.0, "PM10": 80.0, "CO": 0.8, "O3": 90.0, "PM2.5": 60.0}


def obs_frame(
    start: str = "2026-02-27", days: int = 3, stations: tuple[str, ...] = ("s1",),
    values: dict[str, float] | None = None, drop: dict[str, list[int]] | None = None,
) -> pd.DataFrame:  # fmt: skip
    """Hourly observations; ``drop`` = pollutant -> hour offsets left out."""
    hours = pd.date_range(start, periods=24 * days, freq="h", tz="Asia/Shanghai")
    rows = []
    for s in stations:
        for pol, v in (values or BASE).items():
            for i, t in enumerate(hours):
                if drop and i in drop.get(pol, []):
                    continue
                unit = "mg/m³" if pol == "CO" else "µg/m³"
                rows.append((s, CODES[pol], "1h", t, float(v), unit, "N", "test"))
    return pd.DataFrame(
        rows,
        columns=["station_id", "parameter", "period", "time", "value", "unit", "flag", "source"],
    )


def stations_frame(ids: tuple[str, ...] = ("s1",), region: str = "110105") -> pd.DataFrame:
    return pd.DataFrame({"station_id": list(ids), "network": "air", "region_code": region})


def setup(engine: Any, obs: pd.DataFrame, stations: pd.DataFrame | None = None) -> None:
    put(engine, "observation", obs)
    put(engine, "station", stations if stations is not None else stations_frame())


def daily(engine: Any, obs: pd.DataFrame, **kw: Any) -> pd.DataFrame:
    setup(engine, obs, kw.pop("stations", None))
    t = build(engine, **kw)
    return t.daily_aqi.order_by(["station_id", "date"]).to_pandas()


def test_daily_mean_needs_20_valid_hours(engine: Any) -> None:
    # day 1: PM2.5 has 19 hours (5 dropped) -> no daily mean; day 2: 20 hours -> valid
    drop = {"PM2.5": [0, 1, 2, 3, 4, 24, 25, 26, 27]}
    d = daily(engine, obs_frame(days=2, drop=drop))
    assert d.n_pm25.tolist() == [19, 20]
    assert pd.isna(d.pm25_24h[0]) and d.pm25_24h[1] == 60.0
    assert not d.complete[0] and d.complete[1]


def test_negative_nan_and_flagged_values_are_invalid_not_scored(engine: Any) -> None:
    obs = obs_frame(days=1)
    pm = obs.index[obs.parameter == "a34004"]
    obs.loc[pm[:3], "value"] = -5.0
    obs.loc[pm[3:5], "value"] = np.nan
    obs.loc[pm[5], "flag"] = "M"  # maintenance
    setup(engine, obs)
    report = check_observations(engine.table("observation"))
    assert report.invalid == {"a34004": 6}
    d = build(engine).daily_aqi.to_pandas()
    assert d.n_pm25[0] == 18 and pd.isna(d.pm25_24h[0])


def test_o3_8h_windows_and_daily_max(engine: Any) -> None:
    # O3 = 200 from 10:00 to 17:00 (8 hours), 50 otherwise: the 10:00-17:00 window's mean
    # is 200, and it ends 18:00 (<= 24:00) so it is in the day.
    values = dict(BASE)
    obs = obs_frame(days=1, values=values)
    o3 = obs.parameter == "a05024"
    hour = obs.time.dt.hour
    obs.loc[o3, "value"] = np.where(hour[o3].between(10, 17), 200.0, 50.0)
    setup(engine, obs)
    t = build(engine)
    h = t.hourly.order_by("hour_index").to_pandas()
    assert h.o3_8h.iloc[17] == 200.0  # hours 10..17
    assert pd.isna(h.o3_8h.iloc[4])  # only 5 hours so far (< 6)
    assert h.o3_8h.iloc[5] == 50.0
    d = t.daily_aqi.to_pandas()
    assert d.o3_8h[0] == 200.0 and d.o3_1h[0] == 200.0
    assert d.n_o3_8h[0] == 17  # all 17 windows ending 08:00..24:00 lie inside the day


def test_o3_daily_max_short_of_14_windows_counts_only_above_limit(engine: Any) -> None:
    drop = {"O3": list(range(12, 24))}  # afternoon missing: few valid windows
    low = daily(engine, obs_frame(days=1, drop=drop))
    assert low.n_o3_8h[0] < 14 and pd.isna(low.o3_8h[0])
    vals = dict(BASE, O3=170.0)  # above the 160 limit: still counts
    high = daily(engine, obs_frame(days=1, values=vals, drop=drop))
    assert high.o3_8h[0] == 170.0


def test_edition_switches_on_2026_03_01(engine: Any) -> None:
    d = daily(engine, obs_frame(start="2026-02-28", days=2))
    assert d.edition.tolist() == [2012, 2026]
    assert d.aqi.tolist() == [82, 100]  # PM2.5 60: IAQI 82 under 2012, 100 under 2026
    fixed = daily(engine, obs_frame(start="2026-02-28", days=2), edition=2026)
    assert fixed.aqi.tolist() == [100, 100]


def test_city_is_the_mean_of_its_stations(engine: Any) -> None:
    a = obs_frame(days=1, stations=("s1",), values=dict(BASE, **{"PM2.5": 40.0}))
    b = obs_frame(days=1, stations=("s2",), values=dict(BASE, **{"PM2.5": 80.0}))
    setup(engine, pd.concat([a, b]), stations_frame(("s1", "s2"), "110108"))
    t = build(engine)
    city = aqi_table(t, "daily", "city").to_pandas()
    assert city.code.tolist() == ["110000"]  # Beijing districts roll up to the municipality
    assert city.pm25_24h[0] == 60.0


def test_unknown_parameter_and_wrong_unit_and_duplicates_are_rejected(engine: Any) -> None:
    obs = obs_frame(days=1)
    bad = obs.iloc[:1].assign(parameter="a99999")
    put(engine, "observation", pd.concat([obs, bad]))
    with pytest.raises(AirInputError, match="unknown parameter code 'a99999'"):
        check_observations(engine.table("observation"))
    put(
        engine,
        "observation",
        obs.assign(unit=np.where(obs.parameter == "a21005", "µg/m³", obs.unit)),
    )
    with pytest.raises(AirInputError, match=r"a21005 .CO. has .* unit"):
        check_observations(engine.table("observation"))
    put(engine, "observation", pd.concat([obs, obs.iloc[:2]]))
    with pytest.raises(AirInputError, match="duplicated observation keys"):
        check_observations(engine.table("observation"))


def test_row_order_does_not_matter(engine: Any) -> None:
    obs = obs_frame(days=2)
    obs.loc[obs.parameter == "a34004", "value"] = np.arange(48) * 3.0
    one = daily(engine, obs)
    two = daily(engine, obs.sample(frac=1, random_state=1))
    pd.testing.assert_frame_equal(one, two)


def test_annual_statistics_percentile_and_days(engine: Any) -> None:
    obs = obs_frame(start="2026-03-01", days=10)
    co = obs.parameter == "a21005"
    obs.loc[co, "value"] = np.repeat(np.arange(1, 11) / 10, 24)  # daily CO 0.1 .. 1.0
    setup(engine, obs)
    t = build(engine)
    stats = air_stats.period_statistics(t.daily_aqi, "station_id").to_pandas()
    co_row = stats[stats.pollutant == "CO"].iloc[0]
    # HJ 663 Appendix A: k = 1 + 9 * 0.95 = 9.55 -> 0.9 + 0.55 * 0.1 = 0.955 -> 1.0 (half even)
    assert co_row.statistic == "p95" and co_row.value == 1.0 and not co_row.valid
    days = air_days.category_days(t.daily_aqi, "station_id").to_pandas()
    assert days.days[0] == 10 and days.good_days[0] == 10 and days.good_ratio[0] == 100.0


def test_a_year_has_the_24h_percentiles_and_the_index_keeps_the_means(engine: Any) -> None:
    # Ten days in March 2026 with daily SO2 10, 20, ..., 100 and NO2, PM10, PM2.5 1 .. 10.
    # HJ 663-2013 Table 1 / Appendix A, n = 10: P98 k = 1 + 9 x 0.98 = 9.82 -> SO2 90 + 0.82
    # x 10 = 98.2 -> 98, NO2 9.82 -> 10; P95 k = 9.55 -> PM10, PM2.5 9.55 -> 10 (half even).
    # Means: SO2 55, NO2 5.5 -> 6 (half even), PM10 and PM2.5 5.5 -> 6.
    obs = obs_frame(start="2026-03-01", days=10)
    ramp = np.repeat(np.arange(1, 11, dtype=float), 24)
    for code, scale in (("a21026", 10.0), ("a21004", 1.0), ("a34002", 1.0), ("a34004", 1.0)):
        obs.loc[obs.parameter == code, "value"] = ramp * scale
    setup(engine, obs)
    t = build(engine)
    stats = air_stats.period_statistics(t.daily_aqi, "station_id").to_pandas()
    got = {(r.pollutant, r.statistic): r.value for r in stats.itertuples()}
    assert got == {
        ("SO2", "mean"): 55, ("SO2", "p98"): 98, ("NO2", "mean"): 6, ("NO2", "p98"): 10,
        ("PM10", "mean"): 6, ("PM10", "p95"): 10, ("PM2.5", "mean"): 6, ("PM2.5", "p95"): 10,
        ("CO", "p95"): got[("CO", "p95")], ("O3", "p90"): got[("O3", "p90")],
    }  # fmt: skip
    assert not stats.valid.any()  # 10 days: no valid year, whichever the statistic
    months = air_stats.period_statistics(t.daily_aqi, "station_id", "month").to_pandas()
    assert sorted(months.statistic) == ["mean"] * 4 + ["p90", "p95"]  # the year's alone
    # The comprehensive index sums the index statistics only, over the class-2 limits in force
    # at the year's end (GB 3095-2026 transitional values: SO2 60, NO2 40, PM10 60, PM2.5 30
    # annual; CO 4 24-h; O3 160 daily max 8-h): SO2 55/60 + NO2 6/40 + PM10 6/60 + PM2.5 6/30
    # + CO's P95/4 + O3's P90/160. With the P98 of SO2 (98/60) in it, it would be 1.63 more.
    index = air_stats.comprehensive(
        air_stats.period_statistics(t.daily_aqi, "station_id"), "station_id"
    ).to_pandas()
    co, o3 = got[("CO", "p95")] / 4, got[("O3", "p90")] / 160
    want = 55 / 60 + 6 / 40 + 6 / 60 + 6 / 30 + co + o3
    assert index["index"][0] == pytest.approx(round(want, 2), abs=0.005)
    # All six present, but none a valid annual statistic (10 days): not a valid index, and
    # not ranked.
    assert bool(index.complete[0]) and not bool(index.valid[0])
    assert air_stats.ranking(
        air_stats.comprehensive(air_stats.period_statistics(t.daily_aqi, "station_id"),
                                "station_id"), "station_id"
    ).to_pandas().empty  # fmt: skip


@pytest.mark.spark
def test_duckdb_and_spark_agree(spark_session: Any) -> None:
    """Same inputs -> equal hourly and daily AQI, statistics and days on both engines."""
    from ecohub.store.db import connect
    from ecohub.store.engine import ibis_duckdb, ibis_spark

    rng = np.random.default_rng(7)
    obs = obs_frame(start="2026-02-20", days=14, stations=("s1", "s2", "s3"))
    obs["value"] = obs.value * rng.uniform(0.3, 2.5, len(obs))
    obs = obs.drop(index=rng.choice(obs.index, 300, replace=False))
    # whole hours with no row at all (their 8-h windows are still evaluated), and one whole
    # station-day without data (a day without data in the category days)
    hours = obs.time.drop_duplicates().sample(20, random_state=2)
    obs = obs[~(obs.time.isin(hours) & (obs.station_id == "s2"))]
    obs = obs[~((obs.time.dt.day == 25) & (obs.station_id == "s3"))]
    st = stations_frame(("s1", "s2", "s3"), "130102")
    results = []
    con = connect(":memory:")
    spark_session.sql("CREATE DATABASE IF NOT EXISTS parity")
    spark_session.catalog.setCurrentDatabase("parity")
    for backend in (ibis_duckdb(con), ibis_spark(spark_session)):
        setup(backend, obs, st)
        t = build(backend)
        out = {}
        for kind, scope in (("hourly", "station"), ("daily", "station"), ("daily", "city")):
            df = aqi_table(t, kind, scope).to_pandas()
            key = "time" if kind == "hourly" else "date"
            if kind == "hourly":
                df["time"] = pd.to_datetime(df.time, utc=True)
            else:
                df["date"] = pd.to_datetime(df.date)
            out[(kind, scope)] = df.sort_values(["code", key]).reset_index(drop=True)
        out["stats"] = (
            air_stats.period_statistics(t.daily_aqi, "station_id", "month")
            .to_pandas().sort_values(["station_id", "month", "pollutant"]).reset_index(drop=True)
        )  # fmt: skip
        out["days"] = (
            air_days.category_days(t.daily_aqi, "station_id", "month", keys=["s1", "s2", "s3"])
            .to_pandas().sort_values(["station_id", "month"]).reset_index(drop=True)
        )  # fmt: skip
        results.append(out)
    spark_session.catalog.setCurrentDatabase("default")
    for name, duck in results[0].items():
        spark = results[1][name]
        pd.testing.assert_frame_equal(duck, spark, check_dtype=False, check_exact=False, rtol=1e-9)


def test_hourly_values_drop_non_1h_periods(engine: Any) -> None:
    obs = obs_frame(days=1)
    extra = obs.iloc[:5].assign(period="24h")
    setup(engine, pd.concat([obs, extra]))
    h = air.hourly_values(engine.table("observation")).to_pandas()
    assert len(h) == 24


def test_grid_value_is_the_valid_value_or_nan(engine: Any) -> None:
    """What the station-hour grid reads: the value where it is a finite non-negative number
    with flag N (or none), NaN otherwise (worked by hand from HJ 212's flags)."""
    values = [5.0, 0.0, -1.0, np.nan, np.inf, -np.inf, None, 7.0, 8.0, 9.5]
    flags = ["N", None, "N", "N", "N", "N", "N", "F", "M", None]
    want = [5.0, 0.0, None, None, None, None, None, None, None, 9.5]  # None: NaN
    frame = pd.DataFrame({"i": range(len(values)), "value": values, "flag": flags})
    t = put(engine, "gate", frame)
    got = t.select("i", v=grid_value(t.value, t.flag), ok=valid_mask(t.value, t.flag))
    got = got.order_by("i").to_pandas()
    for g, w in zip(got.v.tolist(), want, strict=True):
        assert (np.isnan(g) and w is None) or g == w
    # The check's test keeps the same values (an infinite one passed it on Spark until
    # 2026-11-27: Ibis compiled isinf() there to FALSE).
    assert got.ok.tolist() == [w is not None for w in want]


def test_check_within_a_window_reports_as_the_full_check(engine: Any) -> None:
    """Told the rows' time window, the check leaves its time tests out and reports the same:
    3 days x 24 h x 6 pollutants; counting from day 2 (48 h x 6 = 288 rows), of which two
    PM2.5 values are negative (three more on day 1 are checked, not counted)."""
    obs = obs_frame(start="2025-03-01", days=3)
    pm = obs.index[obs.parameter == "a34004"]
    obs.loc[pm[[0, 1, 2, 30, 40]], "value"] = -5.0
    setup(engine, obs)
    lo = datetime(2025, 2, 28, 16, tzinfo=UTC)  # 2025-03-01 00:00 CST
    day2, hi = lo + timedelta(days=1), lo + timedelta(days=3)
    table = engine.table("observation")
    for within in (None, (lo, hi), (lo, datetime.now(UTC) + timedelta(days=10))):
        report = check_observations(table, count_from=day2, within=within)
        assert (report.rows, report.used, report.invalid) == (288, 286, {"a34004": 2})
        full = check_observations(table, within=within)
        assert (full.rows, full.used, full.invalid) == (432, 427, {"a34004": 5})


def test_compute_counts_the_rows_it_writes() -> None:
    """compute() replaces the air_* tables in one transaction and returns their row counts."""
    from ecohub.analytics.air_service import compute
    from ecohub.store.db import connect
    from ecohub.store.engine import ibis_duckdb

    con = connect(":memory:")
    # Into the store's own `observation` (naming the columns: the table has more, and the
    # store's views over it must keep binding), not a replacement table.
    con.register("obs_frame", obs_frame(days=2))
    con.execute(
        "INSERT INTO observation (station_id, parameter, period, time, value, unit, flag, source) "
        "SELECT station_id, parameter, period, time, value, unit, flag, source FROM obs_frame"
    )
    con.unregister("obs_frame")
    put(ibis_duckdb(con), "station", stations_frame())
    for _ in range(2):  # idempotent: the second run replaces, not adds
        written = compute(con, full=True)["written"]
        for name, n in written.items():
            assert n > 0
            assert n == con.execute(f"SELECT count(*) FROM {name}").fetchone()[0], name
    con.close()


def test_good_ratio_change_in_percentage_points_and_percent() -> None:
    # Good-day ratio (%) of one city: 2025-01 35.5, 2025-12 71.0, 2026-01 58.1. January 2026:
    # against December 58.1 - 71.0 = -12.9 points, -12.9 / 71.0 = -18.17 % -> -18.2;
    # against January 2025 +22.6 points, 22.6 / 35.5 = +63.66 % -> 63.7.
    import ibis

    m = ibis.memtable(
        pd.DataFrame({"code": ["c"] * 3, "year": [2025, 2025, 2026], "month": [1, 12, 1],
                      "good_ratio": [35.5, 71.0, 58.1]}).astype({"year": "int32", "month": "int32"})
    )  # fmt: skip
    got = air_days.change(m, "code", "good_ratio").to_pandas().set_index(["year", "month"])
    jan = got.loc[(2026, 1)]
    assert (jan.mom_points, jan.mom_pct) == (-12.9, -18.2)
    assert (jan.yoy_points, jan.yoy_pct) == (22.6, 63.7)
    assert pd.isna(got.loc[(2025, 1)].mom_points)  # no December 2024
