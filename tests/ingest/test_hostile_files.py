"""Hostile files against the observation loaders (issue 9, "Loaders"): each bad thing gives a
reject with a reason or one clear LoadError, and every good row still lands."""

from __future__ import annotations

import csv
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import ibis
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from openpyxl import Workbook

from ecohub.ingest.files import LoadError, load_observations, load_stations
from ecohub.store.db import connect

STATIONS = (
    "station_id,name,network,waterbody,lon,lat\n"
    "S1,东四,air,,116.417,39.929\n"
    "S2,天坛,air,,116.407,39.886\n"
    "W1,密云水库,surface_water,reservoir,116.9,40.5\n"
)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def rejects(path: Path) -> list[tuple[str, str, str, str]]:
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # the reject file's BOM
    with path.open(encoding="utf-8-sig") as fh:
        return [(r["row"], r["column"], r["value"], r["reason"]) for r in csv.DictReader(fh)]


def stored(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str, str], tuple[float, bool]]:
    """(station, parameter, UTC time) -> (value, below_detection)."""
    rows = con.execute(
        "SELECT station_id, parameter, time, value, below_detection FROM observation"
    ).fetchall()
    return {(s, p, t.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")): (v, b) for s, p, t, v, b in rows}


def logged(con: duckdb.DuckDBPyConnection) -> int:
    row = con.execute("SELECT count(*) FROM load_log WHERE kind = 'observations'").fetchone()
    return int(row[0]) if row else 0


@pytest.fixture
def con(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    db = connect(tmp_path / "store.duckdb")
    report = load_stations(db, write(tmp_path / "stations.csv", STATIONS))
    assert report.new == 3 and report.rejected == 0
    return db


# --- 1. values below the detection limit -----------------------------------------------------


def test_below_detection_values_are_stored_with_their_limit(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    f = write(
        tmp_path / "long.csv",
        "station,time,parameter,value,unit\n"
        "W1,2020-01-01 08:00,氨氮,0.025L,mg/L\n"  # line 2: below the limit 0.025 mg/L
        "W1,2020-01-01 08:00,总磷,0.01 l,mg/L\n"  # line 3: lower-case l, space before it
        "W1,2020-01-01 08:00,高锰酸盐指数,2.1,mg/L\n"  # line 4: measured
        "S1,2020-01-01 08:00,SO2,0.003L,mg/m3\n"  # line 5: 3 µg/m³ limit after conversion
        "S1,2020-01-01 09:00,SO2,0L,mg/m3\n"  # line 6: a zero limit is no limit
        "S1,2020-01-01 10:00,SO2,-1L,mg/m3\n"  # line 7: negative
        "S1,2020-01-01 11:00,SO2,L,mg/m3\n"  # line 8: no number
        "S1,2020-01-01 12:00,SO2,0.01LL,mg/m3\n",  # line 9: not the syntax
    )
    report = load_observations(con, f)
    assert report.new == 4
    assert stored(con) == {
        ("W1", "w21003", "2020-01-01T00:00Z"): (0.025, True),
        ("W1", "w21011", "2020-01-01T00:00Z"): (0.01, True),
        ("W1", "w01019", "2020-01-01T00:00Z"): (2.1, False),
        ("S1", "a21026", "2020-01-01T00:00Z"): (3.0, True),
    }
    assert report.reject_path is not None
    assert rejects(report.reject_path) == [
        ("6", "value", "0L", "detection limit (value before L) must be above 0"),
        # A text starting with "-" that is not a plain number: a ' in front, so no spreadsheet
        # reads the reject file's cell as a formula (ecohub.queries.cells).
        ("7", "value", "'-1L", "negative value"),
        ("8", "value", "L", "not a number"),
        ("9", "value", "0.01LL", "not a number"),
    ]


def test_a_value_changing_to_below_detection_is_an_update(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    first = write(tmp_path / "a.csv", "station,time,SO2\nS1,2020-01-01 08:00,3\n")
    second = write(tmp_path / "b.csv", "station,time,SO2\nS1,2020-01-01 08:00,3L\n")
    assert load_observations(con, first).new == 1
    report = load_observations(con, second)
    assert (report.new, report.updated) == (0, 1)
    assert stored(con) == {("S1", "a21026", "2020-01-01T00:00Z"): (3.0, True)}


def test_below_detection_counts_as_half_the_limit_in_water_and_air(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    from ecohub.analytics.air import hourly_values
    from ecohub.analytics.water import water_samples

    f = write(
        tmp_path / "long.csv",
        "station,time,parameter,value,unit\n"
        "W1,2020-01-01 08:00,氨氮,0.025L,mg/L\n"
        "W1,2020-01-01 08:00,总磷,0.04,mg/L\n"
        "S1,2020-01-01 08:00,SO2,3L,ug/m3\n"
        "S1,2020-01-01 08:00,NO2,40,ug/m3\n",
    )
    assert load_observations(con, f).new == 4
    backend = ibis.duckdb.from_connection(con)
    water = water_samples(backend).to_pandas().set_index("parameter")["value"].to_dict()
    # Hand-worked: 0.025 mg/L below detection counts as 0.025 / 2; a measured value as itself.
    assert water == {"w21003": pytest.approx(0.0125), "w21011": pytest.approx(0.04)}
    hourly = hourly_values(backend.table("observation")).to_pandas()
    # The hourly table holds every hour of the day (the O3 8-h windows need them): take 08:00 CST.
    at8 = hourly[hourly.observed].iloc[0]
    assert at8["so2_1h"] == pytest.approx(1.5)
    assert at8["no2_1h"] == pytest.approx(40.0)


# --- 2, 3. impossible times, non-finite values ------------------------------------------------


def test_impossible_times_are_rejected_and_good_rows_land(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    future = (datetime.now(UTC) + timedelta(days=3)).strftime("%Y-%m-%d %H:%M")
    f = write(
        tmp_path / "t.csv",
        "station,time,PM2.5\n"
        "S1,290309-12-22 (BC) 00:00:00,1\n"  # 2: DuckDB's own minimum; used to overflow
        "S1,infinity,2\n"  # 3
        "S1,-infinity,3\n"  # 4
        "S1,epoch,4\n"  # 5: 1970-01-01, a reset clock
        "S1,0000-01-01,5\n"  # 6
        f"S1,{future},6\n"  # 7: three days ahead
        "S1,1972-12-31 23:00,7\n"  # 8: before 1973
        "S1,2020-01-01 00:00,8\n",  # 9: good
    )
    report = load_observations(con, f)
    assert report.new == 1 and report.rejected == 7
    assert report.reject_path is not None
    got = rejects(report.reject_path)
    assert [r[0] for r in got] == ["2", "3", "4", "5", "6", "7", "8"]
    assert all(r[1] == "time" and r[3].startswith("time outside 1973-01-01 .. ") for r in got)
    assert stored(con) == {("S1", "a34004", "2019-12-31T16:00Z"): (8.0, False)}


def test_typed_parquet_times_at_the_extremes(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    f = tmp_path / "t.parquet"
    times = [datetime(1, 1, 1), datetime(9999, 12, 31, 23), datetime(2020, 1, 1, 8)]
    pq.write_table(
        pa.table(
            {
                "station": ["S1"] * 3,
                "time": pa.array(times, pa.timestamp("us")),
                "so2": [1.0, 2.0, 3.0],
            }
        ),
        f,
    )
    report = load_observations(con, f)
    assert report.new == 1
    assert [(r.row, r.reason[:13]) for r in report.first_rejects] == [
        (1, "time outside "),
        (2, "time outside "),
    ]


def test_hours_outside_0_to_23_are_rejected(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    f = write(
        tmp_path / "h.csv",
        "station,date,hour,PM2.5\n"
        "S1,2020-01-01,2147483647,1\n"
        "S1,2020-01-01,-5,2\n"
        "S1,2020-01-01,24,3\n"
        "S1,2020-01-01,1.5,4\n"
        "S1,2020-01-01,23,5\n"
        "S1,2020-01-01,7.0,6\n",
    )
    report = load_observations(con, f)
    assert report.new == 2
    assert [(r.row, r.column, r.value, r.reason) for r in report.first_rejects] == [
        (2, "date+hour", "2020-01-01 2147483647", "hour is not a whole number 0..23"),
        (3, "date+hour", "2020-01-01 -5", "hour is not a whole number 0..23"),
        (4, "date+hour", "2020-01-01 24", "hour is not a whole number 0..23"),
        (5, "date+hour", "2020-01-01 1.5", "hour is not a whole number 0..23"),
    ]
    assert set(stored(con)) == {
        ("S1", "a34004", "2020-01-01T15:00Z"),
        ("S1", "a34004", "2019-12-31T23:00Z"),
    }


def test_year_month_day_hour_columns_out_of_range(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    f = write(
        tmp_path / "ymd.csv",
        "station,year,month,day,hour,PM2.5\n"
        "S1,-290308,12,22,0,1\n"
        "S1,2020,1,1,24,2\n"
        "S1,2020,13,1,0,3\n"
        "S1,2020,1,1,0,4\n",
    )
    report = load_observations(con, f)
    assert report.new == 1
    assert [(r.row, r.reason) for r in report.first_rejects] == [
        (2, report.first_rejects[0].reason),
        (3, "hour is not a whole number 0..23"),
        (4, "time is not a date-time"),
    ]
    assert report.first_rejects[0].reason.startswith("time outside 1973-01-01")


def test_non_finite_values_and_overflow_after_conversion(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    f = write(
        tmp_path / "v.csv",
        "station,time,parameter,value,unit\n"
        "S1,2020-01-01 00:00,SO2,infinity,ug/m3\n"
        "S1,2020-01-01 01:00,SO2,-Infinity,ug/m3\n"
        "S1,2020-01-01 02:00,SO2,1e400,ug/m3\n"
        "S1,2020-01-01 03:00,SO2,1e306,mg/m3\n"  # x 1000 = inf in doubles
        "S1,2020-01-01 04:00,SO2,1_000,ug/m3\n"
        "S1,2020-01-01 05:00,SO2,0x10,ug/m3\n"
        "S1,2020-01-01 06:00,SO2,1e300,mg/m3\n",  # x 1000 is still finite
    )
    report = load_observations(con, f)
    assert report.new == 1
    assert [(r.row, r.value, r.reason) for r in report.first_rejects] == [
        (2, "infinity", "not a finite number"),
        (3, "-Infinity", "not a finite number"),
        (4, "1e400", "not a finite number"),
        (5, "1e306", "not a finite number after conversion to µg/m³"),
        (6, "1_000", "not a number"),
        (7, "0x10", "not a number"),
    ]


# --- 2. Parquet list columns, damaged XLSX ----------------------------------------------------


def test_parquet_list_columns(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    wide = tmp_path / "wide.parquet"
    pq.write_table(
        pa.table(
            {
                "station": ["S1", "S2"],
                "time": ["2020-01-01 08:00"] * 2,
                "so2": [[1.0], [2.0]],
                "pm25": [10.0, 20.0],
            }
        ),
        wide,
    )
    report = load_observations(con, wide)
    assert report.new == 2
    assert [(r.row, r.column, r.value, r.reason) for r in report.first_rejects] == [
        (0, "so2", "DOUBLE[]", "not one value per cell: column not loaded")
    ]
    long = tmp_path / "long.parquet"
    pq.write_table(
        pa.table(
            {
                "station": ["S1"],
                "time": ["2020-01-01 09:00"],
                "parameter": ["SO2"],
                "value": [[1.0, 2.0]],
            }
        ),
        long,
    )
    report = load_observations(con, long)
    assert report.new == 0
    assert [(r.row, r.value, r.reason) for r in report.first_rejects] == [
        (1, "[1.0, 2.0]", "not a number")
    ]


def _workbook(path: Path, rows: list[list[object]]) -> Path:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def test_damaged_xlsx_is_one_clear_error(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    good = _workbook(
        tmp_path / "good.xlsx",
        [["station", "time", "PM2.5"], *(["S1", f"2020-01-01 {h:02d}:00", h] for h in range(24))],
    )
    data = good.read_bytes()
    rng = random.Random(1)
    outcomes = set()
    for i in range(25):
        damaged = bytearray(data)
        for _ in range(5):
            damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        path = tmp_path / f"d{i}.xlsx"
        path.write_bytes(bytes(damaged))
        try:
            load_observations(con, path)
            outcomes.add("loaded")
        except LoadError as exc:
            assert str(exc).startswith(f"d{i}.xlsx: not a readable XLSX workbook (")
            outcomes.add("error")
    assert "error" in outcomes
    (tmp_path / "cut.xlsx").write_bytes(data[: len(data) // 2])
    with pytest.raises(LoadError, match=r"cut.xlsx: not a readable XLSX workbook"):
        load_observations(con, tmp_path / "cut.xlsx")


# --- 4. the reject file and load_log ----------------------------------------------------------


def test_unwritable_reject_path_stops_before_loading(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    f = write(tmp_path / "o.csv", "station,time,PM2.5\nS1,2020-01-01 00:00,1\nS1,bad,2\n")
    (tmp_path / "a_dir").mkdir()
    (tmp_path / "a_file").write_text("x")
    for target in (tmp_path / "a_dir", tmp_path / "a_file" / "rejects.csv"):
        with pytest.raises(LoadError, match=r"^--reject .*(directory|cannot write)"):
            load_observations(con, f, reject_path=target)
    assert stored(con) == {} and logged(con) == 0
    # The default path is written before the store: still nothing loaded when it fails.
    (tmp_path / "o.csv.rejects.csv").mkdir()
    with pytest.raises(LoadError, match=r"nothing was stored"):
        load_observations(con, f)
    assert stored(con) == {} and logged(con) == 0
    report = load_observations(con, f, reject_path=tmp_path / "ok.csv")
    assert (report.new, report.rejected, logged(con)) == (1, 1, 1)


# --- 5. formula cells without a cached value -------------------------------------------------


def test_formula_cells_without_a_cached_value_are_rejected_by_cell(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    f = _workbook(
        tmp_path / "f.xlsx",
        [
            ["station", "time", "PM2.5", "SO2"],
            ["S1", "2020-01-01 00:00", 10, 1],
            ["S1", "2020-01-01 01:00", "=C2*2", 2],  # openpyxl writes no cached value
        ],
    )
    report = load_observations(con, f)
    assert report.new == 3
    assert [(r.row, r.column, r.value, r.reason[:46]) for r in report.first_rejects] == [
        (3, "PM2.5", "=C2*2", "formula without a cached value in cell C3 (ope")
    ]


# --- 6. huge cells ----------------------------------------------------------------------------


def test_huge_cells_are_cut_in_rejects_and_messages(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    big = "x" * 1_000_000
    f = write(
        tmp_path / "big.csv",
        f"station,time,PM2.5\nS1,2020-01-01 00:00,{big}\nS1,2020-01-01 01:00,5\n",
    )
    report = load_observations(con, f)
    assert report.new == 1
    shown = f"{'x' * 200}… (1000000 characters)"
    assert report.first_rejects[0].value == shown
    assert report.reject_path is not None
    assert rejects(report.reject_path)[0][2] == shown
    long_name = "y" * 100_000
    header = write(tmp_path / "h.csv", f"station,time,{long_name}\nS1,2020-01-01 00:00,1\n")
    with pytest.raises(LoadError) as err:
        load_observations(con, header)
    assert len(str(err.value)) < 1000 and "(100000 characters)" in str(err.value)
    header = write(tmp_path / "h2.csv", f"station,time,{big}\nS1,2020-01-01 00:00,1\n")
    with pytest.raises(LoadError, match=r"h2.csv: the first line cannot be read as column names"):
        load_observations(con, header)


def test_dates_beyond_the_timestamp_range(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    f = tmp_path / "d.parquet"
    days = pa.array([2**31 - 1, -(2**31), 100_000_000, 18262], pa.date32())  # 18262: 2020-01-01
    pq.write_table(
        pa.table({"station": ["S1"] * 4, "date": days, "hour": [23, 1, 3, 8], "so2": [1.0] * 4}),
        f,
    )
    report = load_observations(con, f)
    assert report.new == 1
    assert [r.row for r in report.first_rejects] == [1, 2, 3]
    assert all(r.reason.startswith("time ") for r in report.first_rejects)
    text = write(
        tmp_path / "d.csv", "station,date,hour,SO2\nS1,294247-01-10,23,1\nS1,5000000-01-01,1,2\n"
    )
    assert [r.row for r in load_observations(con, text).first_rejects] == [2, 3]
