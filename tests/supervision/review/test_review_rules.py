"""Each review rule on a hand-built series: flagged at the known hours, a near miss not.

The thresholds are written here as the CSV states them (the first test checks that they
still are), so a change of the table has to be a change of these tests too."""

from __future__ import annotations

import duckdb

from ecohub.supervision.review import load_review_rules, run

from .conftest import flagged, put

# rule, parameter -> (threshold, threshold2) as in supervision/data/review_rules.csv
EXPECTED = {
    ("negative", "a34004"): (0, None),
    ("range", "a34004"): (1000, None),
    ("range", "a21005"): (62.5, None),
    ("ceiling", "a34004"): (950, 3),
    ("ceiling", "a05024"): (500, 3),
    ("constant", "a21026"): (12, 6),
    ("spike", "a34004"): (3, 150),
    ("city_spike", "a34004"): (4, 150),
    ("pm_inversion", "a34004"): (0.15, 10),
    ("co_unit", "a21005"): (100, None),
}


def test_thresholds_are_the_tables() -> None:
    table = {(r.rule, r.parameter): (r.threshold, r.threshold2) for r in load_review_rules()}
    for key, want in EXPECTED.items():
        assert table[key] == want, key


def test_every_rule_keeps_its_whole_choice_text() -> None:
    # The PM2.5 city_spike row once had an unquoted comma: its choice was cut at "threshold2".
    (pm25,) = [r for r in load_review_rules() if (r.rule, r.parameter) == ("city_spike", "a34004")]
    assert pm25.choice.endswith("a plume passing one station lasts hours)")


def test_negative(store: duckdb.DuckDBPyConnection) -> None:
    put(store, [("s1", "a34004", h, v) for h, v in enumerate([10, 12, -1, 0, 11])])
    run(store)
    assert flagged(store, "negative") == [2]  # 0 is a value, -1 is not


def test_range(store: duckdb.DuckDBPyConnection) -> None:
    put(store, [("s1", "a34004", 0, 1000.5), ("s1", "a34004", 5, 1000)])
    put(store, [("s2", "a21005", 0, 62.6), ("s2", "a21005", 5, 62.5)])
    run(store)
    assert flagged(store, "range") == [0]
    assert flagged(store, "range", "s2") == [0]


def test_ceiling(store: duckdb.DuckDBPyConnection) -> None:
    # s1: highest value 999 three times -> a ceiling; s2: only twice; s3: 60 x 5 is below 75.
    s1 = [50.0] * 30
    for h in (3, 10, 20):
        s1[h] = 999
    s2 = [50.0] * 30
    for h in (3, 10):
        s2[h] = 999
    put(store, [("s1", "a34004", h, v) for h, v in enumerate(s1)])
    put(store, [("s2", "a34004", h, v) for h, v in enumerate(s2)])
    put(store, [("s3", "a34004", h, 60 if h % 6 == 0 else 40) for h in range(30)])
    run(store)
    assert flagged(store, "ceiling") == [3, 10, 20]
    assert flagged(store, "ceiling", "s2") == []
    assert flagged(store, "ceiling", "s3") == []


def test_ceiling_leaves_haze_peaks_alone(store: duckdb.DuckDBPyConnection) -> None:
    # A short record whose highest PM2.5 (180 at s1, 170 at s2) occurs three times: a haze
    # day, not a reading stopped at a full scale (HJ 653-2013: 0-1000 µg/m³; the rule asks
    # for at least 950). s3: PM2.5 at 950 three times, the lowest maximum taken for a full
    # scale: flagged. s4: O3 at 200 µg/m³ three times (a summer afternoon; the O3 floor is
    # 500): not flagged.
    s1 = [150, 180, 160, 150, 180, 165, 155, 180, 170]
    s2 = [140, 170, 150, 145, 170, 150, 140, 170, 150]
    put(store, [("s1", "a34004", h, v) for h, v in enumerate(s1)])
    put(store, [("s2", "a34004", h, v) for h, v in enumerate(s2)])
    put(store, [("s3", "a34004", h, 950 if h in (2, 5, 8) else 900) for h in range(9)])
    put(store, [("s4", "a05024", h, 200 if h in (2, 5, 8) else 180) for h in range(9)])
    run(store)
    assert flagged(store, "ceiling") == []
    assert flagged(store, "ceiling", "s2") == []
    assert flagged(store, "ceiling", "s3") == [2, 5, 8]
    assert flagged(store, "ceiling", "s4") == []


def test_constant(store: duckdb.DuckDBPyConnection) -> None:
    # s1: 20 µg/m³ SO2 for hours 5..16 (12 h); s2: 11 h; s3: 6 (the floor) for 30 h;
    # s4: 12 equal values with a missing hour in the middle (two runs of 6).
    def series(run_from: int, n: int, value: float, skip: int | None = None) -> list:
        rows = []
        for h in range(40):
            v = value if run_from <= h < run_from + n else 30 + h % 3
            if h != skip:
                rows.append((h, v))
        return rows

    put(store, [("s1", "a21026", h, v) for h, v in series(5, 12, 20)])
    put(store, [("s2", "a21026", h, v) for h, v in series(5, 11, 20)])
    put(store, [("s3", "a21026", h, v) for h, v in series(5, 30, 6)])
    put(store, [("s4", "a21026", h, v) for h, v in series(5, 13, 20, skip=11)])
    run(store)
    assert flagged(store, "constant") == list(range(5, 17))
    assert flagged(store, "constant", "s2") == []
    assert flagged(store, "constant", "s3") == []
    assert flagged(store, "constant", "s4") == []


def test_spike(store: duckdb.DuckDBPyConnection) -> None:
    # 200 >= 3 x 50 and exceeds 50 by 150: flagged; 199 exceeds by 149: not.
    put(store, [("s1", "a34004", h, v) for h, v in enumerate([45, 50, 200, 40, 42])])
    put(store, [("s2", "a34004", h, v) for h, v in enumerate([45, 50, 199, 40, 42])])
    # no hour after: not judged
    put(store, [("s3", "a34004", h, v) for h, v in enumerate([45, 50, 400])])
    run(store)
    assert flagged(store, "spike") == [2]
    assert flagged(store, "spike", "s2") == []
    assert flagged(store, "spike", "s3") == []


def test_city_spike(store: duckdb.DuckDBPyConnection) -> None:
    # Hour 0: three Beijing stations at 20, s1 at 170 (median 20; 170 >= 80, +150): flagged.
    # Hour 1: s1 at 169: not. t1 (Tianjin) is another city and never counts.
    rows = [(s, "a34004", h, 20) for s in ("s2", "s3", "s4") for h in (0, 1)]
    rows += [("s1", "a34004", 0, 170), ("s1", "a34004", 1, 169), ("t1", "a34004", 0, 500)]
    put(store, rows)
    run(store)
    assert flagged(store, "city_spike") == [0]
    assert flagged(store, "city_spike", "t1") == []


def test_city_spike_needs_four_stations(store: duckdb.DuckDBPyConnection) -> None:
    put(store, [("s2", "a34004", 0, 20), ("s3", "a34004", 0, 20), ("s1", "a34004", 0, 900)])
    run(store)
    assert flagged(store, "city_spike") == []


def test_pm_inversion(store: duckdb.DuckDBPyConnection) -> None:
    # PM10 30: flagged when PM2.5 x 0.85 - 10 > 30 x 1.15 + 10 = 44.5, i.e. PM2.5 > 64.1.
    put(store, [("s1", "a34002", h, 30) for h in range(3)])
    put(store, [("s1", "a34004", 0, 65), ("s1", "a34004", 1, 64), ("s1", "a34004", 2, 20)])
    run(store)
    rows = store.execute(
        "SELECT parameter, time FROM review_flag WHERE rule = 'pm_inversion' ORDER BY parameter"
    ).fetchall()
    assert [r[0] for r in rows] == ["a34002", "a34004"]  # both values of hour 0
    assert flagged(store, "pm_inversion") == [0, 0]


def test_co_unit(store: duckdb.DuckDBPyConnection) -> None:
    put(store, [("s1", "a21005", 0, 100.1), ("s1", "a21005", 5, 100), ("s1", "a21005", 9, 1.2)])
    run(store)
    assert flagged(store, "co_unit") == [0]
    reason = store.execute("SELECT reason FROM review_flag WHERE rule = 'co_unit'").fetchone()
    assert reason is not None and "0.1001 mg/m³" in reason[0]


def test_raw_value_is_never_changed_and_rerun_is_stable(store: duckdb.DuckDBPyConnection) -> None:
    put(store, [("s1", "a34004", h, v) for h, v in enumerate([10, 12, -1, 0, 11])])
    before = store.execute("SELECT * FROM observation ORDER BY time").fetchall()
    first = run(store)
    again = run(store)
    assert first["new"] == 1 and again["new"] == 0 and again["removed"] == 0
    assert store.execute("SELECT * FROM observation ORDER BY time").fetchall() == before


def test_reload_withdraws_an_undecided_flag(store: duckdb.DuckDBPyConnection) -> None:
    put(store, [("s1", "a34004", h, v) for h, v in enumerate([10, 12, -1, 0, 11])])
    run(store)
    put(store, [("s1", "a34004", 2, 11)])  # corrected value
    res = run(store)
    assert res["removed"] == 1 and flagged(store, "negative") == []


def test_city_spike_is_one_hour_only(store: duckdb.DuckDBPyConnection) -> None:
    # s1 above the city for two hours running (a plume passing): not an isolated spike.
    rows = [(s, "a34004", h, 20) for s in ("s2", "s3", "s4") for h in (0, 1, 2)]
    rows += [("s1", "a34004", 0, 20), ("s1", "a34004", 1, 300), ("s1", "a34004", 2, 300)]
    put(store, rows)
    run(store)
    assert flagged(store, "city_spike") == []


def test_after_load_judges_the_hours_before_again(store: duckdb.DuckDBPyConnection) -> None:
    from ecohub.supervision.review import run_after_load

    from .conftest import at

    # Hours 0..9 of SO2 at 20 are stored and reviewed (10 h: no run yet); hours 10..11 arrive
    # later and complete a 12-h run: all 12 hours are flagged, not only the new two.
    put(store, [("s1", "a21026", h, 20) for h in range(10)])
    run_after_load(store, ["s1"], at(0), at(9))
    assert flagged(store, "constant") == []
    put(store, [("s1", "a21026", h, 20) for h in (10, 11)])
    run_after_load(store, ["s1"], at(10), at(11))
    assert flagged(store, "constant") == list(range(12))
