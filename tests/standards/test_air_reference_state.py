"""GB 3095's reporting state by date (2012 text; Amendment No. 1 in force 2018-09-01)."""

from __future__ import annotations

from datetime import date

import pytest

from ecohub.standards import air_reference_state as R


@pytest.mark.parametrize(
    ("parameter", "day", "state"),
    [
        ("SO2", date(2018, 8, 31), "standard"),
        ("SO2", date(2018, 9, 1), "reference"),
        ("a21004", date(2018, 9, 1), "reference"),  # NO2 by its HJ 212 code
        ("co", date(2017, 1, 1), "standard"),
        ("O3", date(2026, 3, 1), "reference"),
        ("PM2.5", date(2018, 8, 31), "standard"),
        ("a34004", date(2018, 9, 1), "actual"),  # particles: the air as sampled
        ("w01018", date(2020, 1, 1), "unknown"),  # COD: not a GB 3095 pollutant
    ],
)
def test_state_of_a_day(parameter: str, day: date, state: str) -> None:
    assert R.state_of(parameter, day) == state


def test_the_factor_is_the_ratio_of_the_temperatures() -> None:
    # Ideal gas at one pressure: mass per volume goes as 1/T; 273.15 / 298.15 = 0.91615...
    assert float(R.STANDARD_TO_REFERENCE) == pytest.approx(0.916149, abs=1e-6)


def test_a_note_only_for_a_gaseous_series_across_the_day() -> None:
    note = R.crossing_note("a21004", date(2017, 1, 1), date(2019, 12, 1))
    assert note.startswith("spans 2018-09-01") and "8.4 % lower" in note
    assert R.crossing_note("a21004", date(2018, 8, 1), date(2018, 9, 1))  # Aug and Sep 2018
    assert R.crossing_note("a21004", date(2018, 9, 1), date(2020, 1, 1)) == ""
    assert R.crossing_note("a21004", date(2015, 1, 1), date(2018, 8, 1)) == ""
    assert R.crossing_note("a34004", date(2017, 1, 1), date(2019, 12, 1)) == ""
