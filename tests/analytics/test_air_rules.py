"""Air rules worked by hand from the standards' text, on both engines: the HJ 633-2026 daily
report's O3, 8-h windows ending at an empty hour, days without data, and HJ 663 rules
corrected per edition in a copy of the tables."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from ecohub.analytics import air_days, air_stats
from ecohub.analytics.air_service import aqi_table, build
from ecohub.analytics.hj663 import RuleError

from .test_air import BASE, obs_frame, setup, stations_frame


def _daily(engine: Any, obs: pd.DataFrame, **kw: Any) -> pd.DataFrame:
    setup(engine, obs, kw.pop("stations", None))
    return build(engine, **kw).daily_aqi.order_by(["station_id", "date"]).to_pandas()


def test_2026_daily_o3_is_scored_by_its_8h_maximum_only(engine: Any) -> None:
    """HJ 633-2026 Table 3 note a: O3 1-h values serve the hourly report only.

    O3 is 50 every hour but 300 at 14:00. Daily maximum 1-h = 300; every 8-h window holding
    14:00 has mean (300 + 7 * 50) / 8 = 81.25, the maximum 8-h value. 2026 rounds it to 81
    (GB/T 8170) -> IAQI ceil(50 * 81 / 100) = 41. 2012 also scores the 1-h maximum:
    300 -> 100 + 50 * (300 - 200) / 100 = 150, the larger.
    """
    obs = obs_frame(start="2026-03-02", days=1)
    o3 = obs.parameter == "a05024"
    obs.loc[o3, "value"] = np.where(obs.time[o3].dt.hour == 14, 300.0, 50.0)
    d26 = _daily(engine, obs, edition=2026)
    assert d26.o3_1h[0] == 300.0 and d26.o3_8h[0] == 81.25
    assert d26.iaqi_o3[0] == 41
    d12 = _daily(engine, obs, edition=2012)
    assert d12.iaqi_o3[0] == 150


def test_2026_day_without_o3_8h_is_incomplete_whatever_its_1h_values(engine: Any) -> None:
    """O3 only 00:00-11:00 (12 hours): 1-h values exist, but the windows ending 08:00..24:00
    with 6 of 8 hours are those ending 07:00..13:00 start-of-hour (7 windows < 14), and the
    maximum (50) is not above the 160 limit -> no daily O3 8-h value. Under 2026 O3 then has
    no sub-index and the day is incomplete; 2012 would score the day's 1-h maximum — but
    that needs 20 hours too (our rule), so neither completes: the AQI is published "NA"
    under 2026 (<= 100 with a pollutant missing)."""
    obs = obs_frame(start="2026-03-02", days=1, drop={"O3": list(range(12, 24))})
    d = _daily(engine, obs, edition=2026)
    assert pd.isna(d.o3_8h[0]) and d.n_o3_8h[0] == 7
    assert pd.isna(d.iaqi_o3[0]) and not d.complete[0] and d.published[0] == "NA"


def test_8h_window_ending_at_an_hour_with_no_row_is_evaluated(engine: Any) -> None:
    """GB 3095 Table 4: an 8-h mean is valid with 6 of its 8 hours.

    O3 = 200 at 10:00..16:00, 50 at every other hour; hour 17:00 has no row at all (every
    pollutant missing). The window of hours 10..17 (ending 18:00) has 7 hours, all 200:
    mean 200, the day's maximum. Without it the maximum would be the window 09..16:
    (50 + 7 * 200) / 8 = 181.25. All 17 windows ending 08:00..24:00 have >= 7 hours: 17 valid.
    """
    obs = obs_frame(start="2026-03-02", days=1)
    hour = obs.time.dt.hour
    o3 = obs.parameter == "a05024"
    obs.loc[o3, "value"] = np.where(hour[o3].between(10, 16), 200.0, 50.0)
    obs = obs[hour != 17]
    setup(engine, obs)
    t = build(engine)
    d = t.daily_aqi.to_pandas()
    assert d.o3_8h[0] == 200.0 and d.n_o3_8h[0] == 17
    h = t.hourly.order_by("hour_index").to_pandas()
    assert len(h) == 24 and h.observed.sum() == 23
    assert h.o3_8h.iloc[17] == 200.0  # the hour with no row still has its moving mean
    # The hourly report lists the measured hours only.
    assert len(aqi_table(t, "hourly").to_pandas()) == 23


def test_days_without_any_row_count_as_incomplete(engine: Any) -> None:
    """Station s2 has no row at all on 2026-03-02 and s3 none in the whole period: each
    day of the calendar (2026-03-01..03, the last day with data) without a complete AQI is
    a day without data; s3 is in the assessment, so it has a row with 3 such days."""
    a = obs_frame(start="2026-03-01", days=3, stations=("s1",))
    b = obs_frame(start="2026-03-01", days=3, stations=("s2",))
    b = b[b.time.dt.day != 2]
    setup(engine, pd.concat([a, b]), stations_frame(("s1", "s2", "s3")))
    t = build(engine)
    keys = list(t.cities.station_id)
    days = (
        air_days.category_days(t.daily_aqi, "station_id", "month", keys=keys)
        .order_by("station_id").to_pandas()
    )  # fmt: skip
    assert days.station_id.tolist() == ["s1", "s2", "s3"]
    assert days.days.tolist() == [3, 2, 0]
    assert days.days_incomplete.tolist() == [0, 1, 3]
    year = air_days.category_days(t.daily_aqi, "station_id", "year", keys=keys).to_pandas()
    # the year's calendar runs from 1 January to the last day with data: 62 days
    assert sorted(year.days_incomplete.tolist()) == [59, 60, 62]


HJ663_24H = "2026,24h,SO2;NO2;CO;PM10;PM2.5;NOx,20,no,HJ 663-2026,assumed-2013"
HJ663_O3MAX = "2026,8h_daily_max,O3,14,yes,HJ 663-2026,assumed-2013"
HJ663_CO = "2026,CO,CO_24h,percentile,95,24h,24h,1,HJ 663-2026,assumed-2013,index"


def test_corrected_2026_validity_rows_apply_from_2026_03_01(engine: Any, edit_table: Any) -> None:
    """Suppose HJ 663-2026 asked 18 hours for a daily mean and dropped the O3 "valid if it
    exceeds" rule. PM2.5 has 19 hours on 2026-02-28 (HJ 663-2013: < 20, invalid) and on
    2026-03-01 (2026: >= 18, valid). O3 with its afternoon missing (7 windows, 170 > 160):
    valid under 2013 (above the limit), not under 2026."""
    edit_table("hj663_validity.csv", HJ663_24H, HJ663_24H.replace(",20,", ",18,"))
    edit_table("hj663_validity.csv", HJ663_O3MAX, HJ663_O3MAX.replace(",yes,", ",no,"))
    drop = {"PM2.5": [0, 1, 2, 3, 4, 24, 25, 26, 27, 28],
            "O3": [*range(12, 24), *range(36, 48)]}  # fmt: skip
    d = _daily(
        engine, obs_frame(start="2026-02-28", days=2, values=dict(BASE, O3=170.0), drop=drop)
    )
    assert d.n_pm25.tolist() == [19, 19]
    assert pd.isna(d.pm25_24h[0]) and d.pm25_24h[1] == 60.0
    assert d.o3_8h[0] == 170.0 and pd.isna(d.o3_8h[1])


def test_corrected_2026_statistic_row_applies_to_2026_periods(engine: Any, edit_table: Any) -> None:
    """Suppose HJ 663-2026 assessed CO by its 90th percentile. Daily CO 0.1 .. 1.0 in March
    2026: k = 1 + 9 * 0.90 = 9.1 -> 0.9 + 0.1 * 0.1 = 0.91 -> 0.9 (one decimal, half even);
    the same days in 2025 (HJ 663-2013, P95): k = 9.55 -> 0.955 -> 1.0."""
    edit_table("hj663_statistics.csv", HJ663_CO, HJ663_CO.replace(",95,", ",90,"))
    obs = pd.concat(
        [obs_frame(start="2025-03-01", days=10), obs_frame(start="2026-03-01", days=10)]
    )
    co = obs.parameter == "a21005"
    obs.loc[co, "value"] = np.tile(np.repeat(np.arange(1, 11) / 10, 24), 2)
    setup(engine, obs)
    stats = air_stats.period_statistics(build(engine).daily_aqi, "station_id").to_pandas()
    co_rows = stats[stats.pollutant == "CO"].set_index("year")
    assert (co_rows.statistic[2025], co_rows.value[2025]) == ("p95", 1.0)
    assert (co_rows.statistic[2026], co_rows.value[2026]) == ("p90", 0.9)


def test_rule_without_a_limit_to_exceed_is_named(engine: Any, edit_table: Any) -> None:
    row = "2026,month,SO2;NO2;CO;O3;PM10;PM2.5;NOx,27,no,HJ 663-2026,assumed-2013"
    edit_table("hj663_validity.csv", row, row.replace(",no,", ",yes,"))
    setup(engine, obs_frame(start="2026-03-01", days=2))
    with pytest.raises(RuleError, match=r"hj663_validity.csv: 2026,month,.*no GB 3095 limit"):
        air_stats.period_statistics(build(engine).daily_aqi, "station_id", "month")
