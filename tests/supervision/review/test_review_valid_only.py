"""The rules judge and compare only valid values (HJ 212 flag N, or none: the assessment's
test): a value flagged C (calibration), M (maintenance), D (fault), ... is invalid already
(HJ 817/818), is not flagged itself and judges no other value; to every rule it is a missing
hour. Thresholds as in review_rules.csv (see test_review_rules.EXPECTED)."""

from __future__ import annotations

import duckdb

from ecohub.supervision.review import run

from .conftest import flagged, put


def test_calibration_pm25_does_not_set_aside_a_valid_pm10(
    store: duckdb.DuckDBPyConnection,
) -> None:
    # Hour 0: PM2.5 900 flagged C beside PM10 88 (N). Were 900 valid, 900 x 0.85 - 10 = 755 >
    # 88 x 1.15 + 10 = 111.2 would flag both; it is not a measurement, so nothing is flagged.
    # Hour 1, both valid, the same pair: both flagged (the rule still works).
    put(store, [("s1", "a34002", 0, 88), ("s1", "a34002", 1, 88), ("s1", "a34004", 1, 900)])
    put(store, [("s1", "a34004", 0, 900)], flag="C")
    run(store)
    assert flagged(store, "pm_inversion") == [1, 1]


def test_a_maintenance_neighbour_is_a_missing_hour_for_spike(
    store: duckdb.DuckDBPyConnection,
) -> None:
    # s1: 45, 0 (M), 190, 40, 42. Against the M zero and 40: 190 >= 3 x 40 and 190 - 40 = 150
    # would be a spike; the hour before is missing, and spike judges only a value with both
    # neighbours present (as test_review_rules.test_spike's s3 with no hour after).
    put(store, [("s1", "a34004", h, v) for h, v in [(0, 45), (2, 190), (3, 40), (4, 42)]])
    put(store, [("s1", "a34004", 1, 0)], flag="M")
    # s2: the same series with a valid hour before: 45, 0, 190, 40, 42 -> flagged at hour 2.
    put(store, [("s2", "a34004", h, v) for h, v in enumerate([45, 0, 190, 40, 42])])
    run(store)
    assert flagged(store, "spike") == []
    assert flagged(store, "spike", "s2") == [2]


def test_a_spike_right_after_a_calibration_value_is_caught(
    store: duckdb.DuckDBPyConnection,
) -> None:
    # s2, s3, s4 at 45 for hours 0..3; s1: 45, 900 (C), 400, 45. Hour 2: the city median of
    # (45, 45, 45, 400) is 45; 400 >= 4 x 45 = 180 and 400 - 45 = 355 >= 150: out of line.
    # The hour before is a calibration value, i.e. missing, so hour 2 is a single hour out of
    # line: flagged. (Read as a value, 900 was out of line too and hid the spike.)
    put(store, [(s, "a34004", h, 45) for s in ("s2", "s3", "s4") for h in range(4)])
    put(store, [("s1", "a34004", h, v) for h, v in [(0, 45), (2, 400), (3, 45)]])
    put(store, [("s1", "a34004", 1, 900)], flag="C")
    run(store)
    assert flagged(store, "city_spike") == [2]


def test_invalid_values_do_not_count_towards_the_city(store: duckdb.DuckDBPyConnection) -> None:
    # Hour 0: s1 200, s2 45 valid; s3, s4 0 flagged M. Read as values the median of
    # (200, 45, 0, 0) = 22.5 and 200 >= 90, 200 - 22.5 >= 150 would flag s1; only two
    # stations report valid values, fewer than the four the rule needs: not judged.
    put(store, [("s1", "a34004", 0, 200), ("s2", "a34004", 0, 45)])
    put(store, [("s3", "a34004", 0, 0), ("s4", "a34004", 0, 0)], flag="M")
    run(store)
    assert flagged(store, "city_spike") == []


def test_an_invalid_value_is_not_flagged_itself(store: duckdb.DuckDBPyConnection) -> None:
    # A negative reading flagged D (fault) is invalid already: no `negative` flag for it.
    put(store, [("s1", "a34004", h, v) for h, v in [(0, 10), (1, 12), (3, 11)]])
    put(store, [("s1", "a34004", 2, -1)], flag="D")
    put(store, [("s2", "a34004", h, v) for h, v in enumerate([10, 12, -1, 11])])
    run(store)
    assert flagged(store, "negative") == []
    assert flagged(store, "negative", "s2") == [2]


def test_ceiling_counts_only_valid_values(store: duckdb.DuckDBPyConnection) -> None:
    # s1 PM2.5 at 999 three times, one of them flagged C: two valid repeats, fewer than 3.
    s1 = [(h, 50.0) for h in range(30) if h not in (3, 10, 20)] + [(3, 999.0), (10, 999.0)]
    put(store, [("s1", "a34004", h, v) for h, v in s1])
    put(store, [("s1", "a34004", 20, 999)], flag="C")
    run(store)
    assert flagged(store, "ceiling") == []
