"""达标 of an annual assessment: statistics beside GB 3095-2012 class-2 limits, judged as
HJ 663-2013 Table 1 says (mean and 24-h percentile both within their limits). Limits from
GB 3095-2012 Table 1 (class 2): SO2 annual 60, 24-h 150; NO2 annual 40, 24-h 80; PM10 annual
70, 24-h 150; PM2.5 annual 35, 24-h 75; CO 24-h 4 mg/m3; O3 daily max 8-h 160 µg/m3."""

from __future__ import annotations

import pandas as pd
import pytest

from ecohub.analytics.air_compliance import with_compliance

ROWS = [
    # pollutant, statistic, value, valid
    ("SO2", "mean", 10.0, True),
    ("SO2", "p98", 30.0, True),
    ("NO2", "mean", 40.0, True),  # exactly on the limit: meets
    ("NO2", "p98", 90.0, False),  # too few days: not judged
    ("PM10", "mean", 71.0, True),  # one over
    ("PM10", "p95", 150.0, True),
    ("PM2.5", "mean", 73.0, True),
    ("PM2.5", "p95", 200.0, True),
    ("CO", "p95", 3.2, True),
    ("O3", "p90", 199.0, True),
]


def _stats(year: int) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"scope": "city", "code": "110000", "year": year, "pollutant": p, "statistic": s,
             "value": v, "n_days": 300, "months_valid": 12, "valid": ok}
            for p, s, v, ok in ROWS
        ]
    )  # fmt: skip


def test_each_statistic_beside_its_limit_and_the_verdict_per_pollutant() -> None:
    stats, judged = with_compliance(_stats(2016))
    got = {
        (r.pollutant, r.statistic): (r.limit, r.meets, r.exceed_ratio) for r in stats.itertuples()
    }
    assert got[("SO2", "mean")] == (60.0, True, None)
    assert got[("SO2", "p98")] == (150.0, True, None)
    assert got[("NO2", "mean")] == (40.0, True, None)
    assert got[("NO2", "p98")] == (80.0, None, None)  # not valid: not judged
    assert got[("PM10", "mean")] == (70.0, False, pytest.approx(0.01))  # (71-70)/70 = 0.0143
    assert got[("PM10", "p95")] == (150.0, True, None)
    assert got[("PM2.5", "mean")] == (35.0, False, pytest.approx(1.09))  # 38/35 = 1.0857
    assert got[("PM2.5", "p95")] == (75.0, False, pytest.approx(1.67))  # 125/75 = 1.6667
    assert got[("CO", "p95")] == (4.0, True, None)
    assert got[("O3", "p90")] == (160.0, False, pytest.approx(0.24))  # 39/160 = 0.24375
    verdict = dict(zip(judged.pollutant, judged.meets, strict=True))
    assert verdict == {"SO2": True, "NO2": None, "PM10": False, "PM2.5": False, "CO": True,
                       "O3": False}  # fmt: skip
    assert dict(zip(judged.pollutant, judged.statistics, strict=True))["PM2.5"] == 2


def test_an_empty_assessment_stays_empty() -> None:
    stats, judged = with_compliance(_stats(2016).iloc[0:0])
    assert stats.empty and judged.empty
    assert {"limit", "meets", "exceed_ratio"} <= set(stats.columns)
    assert list(judged.columns) == ["scope", "code", "year", "pollutant", "meets", "statistics"]
