"""File loaders: layouts, header vocabularies, units, time, rejects, idempotence."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from openpyxl import Workbook

from ecohub.ingest import params
from ecohub.ingest.files import LoadError, load_observations, load_stations
from ecohub.store.db import connect

STATIONS = """station_id,站点名称,name_en,district_code,lon,lat,remark
S1,东四,Dongsi,110101,116.417,39.929,city
S2,天坛,Tiantan,110101,116.407,39.886,park
W1,密云水库,Miyun Reservoir,110118,116.9,40.5,lake
"""


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_text(text, encoding=encoding)
    return path


def read_rejects(path: Path) -> list[dict[str, str]]:
    """The reject file as a spreadsheet reads it: UTF-8 after its byte-order mark."""
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    with path.open(encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))


def values(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str, str, str], tuple[float, str]]:
    """(station, parameter, period, UTC ISO time) -> (value, unit) of every stored observation."""
    rows = con.execute(
        "SELECT station_id, parameter, period, time, value, unit FROM observation"
    ).fetchall()
    return {
        (s, p, per, t.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")): (v, u)
        for s, p, per, t, v, u in rows
    }


@pytest.fixture
def con(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    db = connect(tmp_path / "store.duckdb")
    report = load_stations(db, write(tmp_path / "stations.csv", STATIONS))
    assert report.new == 3 and report.rejected == 0
    return db


# --- layouts and headers ---------------------------------------------------------------------


def test_wide_csv_english_headers(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    f = write(
        tmp_path / "wide.csv",
        "station,time,PM2.5,pm10,so2,NO2,CO,O3,temp_c\n"
        "S1,2020-01-01 00:00:00,35,60,5,40,0.8,20,-3.5\n"
        "S2,2020-01-01 00:00:00,NA,70,,41,1.1,22,-4\n",
    )
    report = load_observations(con, f)
    assert (report.layout, report.format, report.rows_read) == ("wide", "csv", 2)
    assert (report.new, report.skipped_null, report.rejected) == (10, 2, 0)
    assert report.ignored_columns == ["temp_c"]
    got = values(con)
    assert got[("S1", "a34004", "1h", "2019-12-31T16:00Z")] == (35.0, "µg/m³")
    assert got[("S1", "a21005", "1h", "2019-12-31T16:00Z")] == (0.8, "mg/m³")
    assert ("S2", "a34004", "1h", "2019-12-31T16:00Z") not in got  # NA is not stored


def test_wide_xlsx_chinese_headers(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(
        ["监测点", "监测时间", "细颗粒物", "二氧化硫", "一氧化碳", "臭氧8小时", "可吸入颗粒物"]
    )
    ws.append(["东四", datetime(2021, 6, 1, 8), 12.5, 3, 0.6, 150, 40])
    ws.append(["天坛", "2021-06-01 08:00", 13, 4, 0.7, 151, None])
    f = tmp_path / "zh.xlsx"
    wb.save(f)
    report = load_observations(con, f)
    assert (report.format, report.new, report.rejected) == ("xlsx", 9, 0)
    got = values(con)
    # Station found by its unambiguous Chinese name; O3_8h is O3 (a05024) over 8 hours.
    assert got[("S1", "a34004", "1h", "2021-06-01T00:00Z")] == (12.5, "µg/m³")
    assert got[("S2", "a05024", "8h", "2021-06-01T00:00Z")] == (151.0, "µg/m³")
    assert got[("S1", "a21005", "1h", "2021-06-01T00:00Z")] == (0.6, "mg/m³")


def test_long_parquet_with_units_periods_and_flags(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    table = pa.table(
        {
            "站点": ["S1", "S1", "S1", "S2", "S2", "W1", "W1"],
            "时间": [datetime(2022, 3, 1, h) for h in (0, 0, 0, 0, 0, 0, 0)],
            "污染物": ["PM2.5", "CO", "XYZ", "a21004", "SO2", "氨氮", "总磷"],
            "浓度": [10.0, 900.0, 1.0, 30.0, 4.0, 250.0, 0.05],
            "单位": ["ug/m3", "μg/m³", "", "", "ppb", "µg/L", "mg/L"],
            "周期": ["1h", "1h", "1h", "24h", "1h", "1d", "日"],
            "标识": ["N", "N", "N", "N", "N", "N", "M"],
        }
    )
    f = tmp_path / "long.parquet"
    pq.write_table(table, f)
    report = load_observations(con, f)
    assert (report.layout, report.new, report.rejected) == ("long", 5, 2)
    got = values(con)
    # The naive Parquet TIMESTAMP is CST too.
    assert got[("S1", "a21005", "1h", "2022-02-28T16:00Z")] == (0.9, "mg/m³")
    assert got[("S2", "a21004", "24h", "2022-02-28T16:00Z")] == (30.0, "µg/m³")
    assert got[("W1", "w21003", "24h", "2022-02-28T16:00Z")] == (0.25, "mg/L")
    flag = con.execute("SELECT flag FROM observation WHERE parameter = 'w21011'").fetchone()
    assert flag == ("M",)
    rejects = {(r["row"], r["column"], r["reason"]) for r in read_rejects(report.reject_path)}  # type: ignore[arg-type]
    assert ("3", "污染物", "unknown parameter; " + params.parameter_hint("XYZ")) in rejects
    assert ("5", "单位", "unknown unit 'ppb'") in rejects


def test_map_overrides_roles_and_parameters(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    f = write(
        tmp_path / "odd.csv",
        "site code,when,fine dust,sulfur,comment\nS1,2020-05-01T10:00,7,2,ok\n",
    )
    with pytest.raises(LoadError, match="no station column"):
        load_observations(con, f)
    report = load_observations(
        con,
        f,
        mapping={"site code": "station", "when": "time", "fine dust": "PM2.5", "sulfur": "a21026"},
    )
    assert report.new == 2
    assert report.columns["fine dust"].startswith("a34004")
    with pytest.raises(LoadError, match="--map nope=station: the file has no column 'nope'"):
        load_observations(con, f, mapping={"nope": "station"}, force=True)
    with pytest.raises(LoadError, match="--map sulfur=bogus"):
        load_observations(con, f, mapping={"sulfur": "bogus"}, force=True)


def test_date_and_hour_columns_and_gb18030_csv(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    f = write(tmp_path / "gbk.csv", "日期,小时,站点,PM10\n20200102,23,东四,80\n", "gb18030")
    report = load_observations(con, f)
    assert report.new == 1
    assert ("S1", "a34002", "1h", "2020-01-02T15:00Z") in values(con)


# --- time ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        ("2020-01-01 00:00:00", "2019-12-31T16:00Z"),
        ("2020/1/1 8:00", "2020-01-01T00:00Z"),
        ("2020年1月1日 8时", "2020-01-01T00:00Z"),
        ("2020-01-01T08:00:00+08:00", "2020-01-01T00:00Z"),
        ("2020-01-01T08:00:00Z", "2020-01-01T08:00Z"),  # an explicit zone wins over CST
        ("2020-01-01T09:00+09:00", "2020-01-01T00:00Z"),
        ("1988-07-01 12:00", "1988-07-01T04:00Z"),  # fixed UTC+8 even in Shanghai's DST years
    ],
)
def test_times_are_cst_unless_zoned(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, text: str, utc: str
) -> None:
    f = write(tmp_path / "t.csv", f"station,time,SO2\nS1,{text},1\n")
    assert load_observations(con, f).new == 1
    assert list(values(con)) == [("S1", "a21026", "1h", utc)]


# --- units -----------------------------------------------------------------------------------


def test_co_in_ug_by_option_or_header_is_stored_in_mg(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    plain = write(tmp_path / "a.csv", "station,time,CO\nS1,2020-01-01 00:00,1500\n")
    assert load_observations(con, plain, units={"CO": "ug/m3"}).new == 1
    bracket = write(tmp_path / "b.csv", "station,time,CO(μg/m³)\nS2,2020-01-01 00:00,700\n")
    assert load_observations(con, bracket).new == 1
    suffix = write(tmp_path / "c.csv", "station,time,co_ugm3\nS2,2020-01-01 01:00,300\n")
    assert load_observations(con, suffix).new == 1
    got = values(con)
    assert got[("S1", "a21005", "1h", "2019-12-31T16:00Z")] == (1.5, "mg/m³")
    assert got[("S2", "a21005", "1h", "2019-12-31T16:00Z")] == (0.7, "mg/m³")
    assert got[("S2", "a21005", "1h", "2019-12-31T17:00Z")] == (0.3, "mg/m³")
    with pytest.raises(LoadError, match="--unit CO=ppm"):
        load_observations(con, plain, units={"CO": "ppm"}, force=True)
    with pytest.raises(LoadError, match="cannot be converted"):
        load_observations(con, plain, units={"CO": "mg/L"}, force=True)


# --- bad rows --------------------------------------------------------------------------------


def test_bad_rows_go_to_the_reject_file_and_good_rows_land(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    f = write(
        tmp_path / "bad.csv",
        "station,time,PM2.5,SO2\n"
        "S1,2020-01-01 00:00,10,1\n"  # line 2: good
        "S1,yesterday,10,1\n"  # line 3: bad time
        "S9,2020-01-01 00:00,10,1\n"  # line 4: unknown station
        "S1,2020-01-01 01:00,ten,-2\n"  # line 5: two bad values
        "S1,2020-01-01 02:00,10,1,extra\n"  # line 6: too many fields
        "\n"  # line 7: blank, skipped
        ",2020-01-01 03:00,1,1\n"  # line 8: empty station
        "S2,2020-01-01 03:00,inf,3\n",  # line 9: one bad, one good
    )
    report = load_observations(con, f)
    assert report.reject_path == tmp_path / "bad.csv.rejects.csv"
    rows = [
        (r["row"], r["column"], r["value"], r["reason"]) for r in read_rejects(report.reject_path)
    ]
    assert rows == [
        ("3", "time", "yesterday", "time is not a date-time"),
        ("4", "station", "S9", "unknown station"),
        ("5", "PM2.5", "ten", "not a number"),
        ("5", "SO2", "-2", "negative value"),
        ("6", "", "S1,2020-01-01 02:00,10,1,extra", "expected 4 fields, found 5"),
        ("8", "station", "", "station is empty"),
        ("9", "PM2.5", "inf", "not a finite number"),
    ]
    assert (report.new, report.rejected, report.rows_read) == (3, 7, 7)
    assert set(values(con)) == {
        ("S1", "a34004", "1h", "2019-12-31T16:00Z"),
        ("S1", "a21026", "1h", "2019-12-31T16:00Z"),
        ("S2", "a21026", "1h", "2019-12-31T19:00Z"),
    }


def test_in_file_duplicates(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    f = write(
        tmp_path / "dup.csv",
        "station,time,PM2.5,pm25,SO2\n"
        "S1,2020-01-01 00:00,10,11,1\n"  # PM2.5 twice on one row, different values
        "S1,2020-01-01 01:00,5,,2\n"
        "S1,2020-01-01 01:00,5,,2\n",  # an identical repeat is harmless
    )
    report = load_observations(con, f, reject_path=tmp_path / "r.csv")
    rejects = read_rejects(tmp_path / "r.csv")
    assert {(r["row"], r["column"]) for r in rejects} == {("2", "PM2.5"), ("2", "pm25")}
    assert all(r["reason"].startswith("duplicate key") for r in rejects)
    assert report.new == 3  # SO2 at 00:00, PM2.5 and SO2 at 01:00


def test_reject_earlier_stored_data_is_never_lost(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    load_observations(con, write(tmp_path / "a.csv", "station,time,SO2\nS1,2020-01-01,4\n"))
    report = load_observations(
        con, write(tmp_path / "b.csv", "station,time,SO2\nS1,2020-01-01,oops\n")
    )
    assert report.rejected == 1
    assert values(con)[("S1", "a21026", "1h", "2019-12-31T16:00Z")] == (4.0, "µg/m³")


# --- idempotence -----------------------------------------------------------------------------


def test_loading_twice_changes_nothing_and_changed_files_load_their_changes(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    f = write(tmp_path / "x.csv", "station,time,SO2,NO2\nS1,2020-01-01,4,20\nS2,2020-01-01,5,21\n")
    first = load_observations(con, f)
    before = values(con)
    again = load_observations(con, f)
    assert again.already_loaded and again.stored == 0
    forced = load_observations(con, f, force=True)
    assert (forced.new, forced.updated, forced.unchanged) == (0, 0, 4)
    assert values(con) == before and first.new == 4
    write(f, "station,time,SO2,NO2\nS1,2020-01-01,4,20\nS2,2020-01-01,6,21\nS2,2020-01-02,1,2\n")
    changed = load_observations(con, f)
    assert (changed.new, changed.updated, changed.unchanged) == (2, 1, 3)
    assert values(con)[("S2", "a21026", "1h", "2019-12-31T16:00Z")] == (6.0, "µg/m³")
    assert con.execute("SELECT count(*) FROM load_log WHERE kind = 'observations'").fetchone() == (
        2,
    )


# --- file-level errors -----------------------------------------------------------------------


def test_file_errors_name_the_problem(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="no such file"):
        load_observations(con, tmp_path / "missing.csv")
    with pytest.raises(LoadError, match="not a readable Parquet file"):
        load_observations(con, write(tmp_path / "x.parquet", "not parquet"))
    with pytest.raises(LoadError, match="not a readable XLSX"):
        load_observations(con, write(tmp_path / "x.xlsx", "PK but not a zip"))
    with pytest.raises(LoadError, match="no time column found"):
        load_observations(con, write(tmp_path / "nt.csv", "station,SO2\nS1,1\n"))
    with pytest.raises(LoadError, match="no parameter columns found"):
        load_observations(con, write(tmp_path / "np.csv", "station,time,foo\nS1,2020-01-01,1\n"))
    with pytest.raises(LoadError, match="the file is empty"):
        load_observations(con, write(tmp_path / "e.csv", ""))
    with pytest.raises(LoadError, match="--period"):
        load_observations(con, write(tmp_path / "p.csv", "station,time,SO2\n"), period="fortnight")


# --- stations --------------------------------------------------------------------------------


def test_station_loader_checks_and_upserts(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    f = write(
        tmp_path / "st.csv",
        "站点编码,站点名称,经度,纬度,行政区划代码,网络,流域\n"
        "S1,东四站,116.42,39.93,,,\n"  # rename; blank fields keep what is stored
        "S3,新站,200,39.9,110101,地表水,海河\n"  # bad longitude
        "S4,新站二,116.1,39.9,1101,空气,\n"  # bad region code
        "S5,新站三,116.1,39.9,110102,地表水,海河\n",
    )
    report = load_stations(con, f)
    assert (report.new, report.updated, report.rejected) == (1, 1, 2)
    reasons = {r["row"]: (r["column"], r["reason"]) for r in read_rejects(report.reject_path)}  # type: ignore[arg-type]
    assert reasons == {
        "3": ("经度", "longitude outside -180..180"),
        "4": ("行政区划代码", "not a six-digit GB/T 2260 code"),
    }
    s1 = con.execute(
        "SELECT name, region_code, lon FROM station WHERE station_id = 'S1'"
    ).fetchone()
    assert s1 == ("东四站", "110101", 116.42)
    s5 = con.execute("SELECT network, basin FROM station WHERE station_id = 'S5'").fetchone()
    assert s5 == ("surface_water", "海河")
    assert load_stations(con, f, force=True).stored == 0


def test_a_station_file_with_every_row_rejected_reports_them(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    # Nothing to store: the counts are zero (they were NULL, and the load failed with a 500).
    f = write(tmp_path / "bad.csv", "station_id,name,region_code,lon,lat\nX1,x,abc,999,999\n")
    report = load_stations(con, f)
    assert (report.new, report.updated, report.unchanged, report.rejected) == (0, 0, 0, 1)
    assert con.execute("SELECT count(*) FROM station WHERE station_id = 'X1'").fetchall() == [(0,)]


# --- vocabulary tables -----------------------------------------------------------------------


def test_every_parameter_unit_is_a_known_unit() -> None:
    for code, p in params.parameters().items():
        assert params.unit_factor(p.unit, code) == 1.0


@pytest.mark.parametrize(
    ("header", "code", "period", "unit"),
    [
        ("PM2.5", "a34004", None, None),
        ("pm2_5", "a34004", None, None),
        ("细颗粒物", "a34004", None, None),
        ("ＰＭ２．５", "a34004", None, None),
        ("O3_8h", "a05024", "8h", None),
        ("臭氧8小时", "a05024", "8h", None),
        ("co_ugm3", "a21005", None, "µg/m³"),
        ("CO（mg/m3）", "a21005", None, "mg/m³"),
        ("NH3-N", "w21003", None, None),
        ("高锰酸盐指数", "w01019", None, None),
    ],
)
def test_header_aliases(header: str, code: str, period: str | None, unit: str | None) -> None:
    assert params.resolve_parameter(header) == params.ParamMatch(code, period, unit)


def test_operations_doc_lists_every_parameter() -> None:
    doc = Path(__file__).parents[2] / "docs" / "operations.md"
    text = doc.read_text(encoding="utf-8")
    missing = [code for code in params.parameters() if code not in text]
    assert not missing, f"docs/operations.md lacks {missing}"


# --- the bundled sample ----------------------------------------------------------------------


def test_sample_slice_through_the_same_loader(tmp_path: Path) -> None:
    from importlib import resources

    data = resources.files("ecohub.sample") / "data"
    con = connect(tmp_path / "s.duckdb")
    assert load_stations(con, Path(str(data / "stations.csv"))).new == 12
    src = str(data / "prsa_hourly.parquet")
    slice_ = tmp_path / "slice.parquet"
    duckdb.execute(
        f"COPY (SELECT * FROM '{src}' WHERE station IN ('Dongsi', 'Huairou') "
        f"AND time_local < TIMESTAMP '2013-03-08') TO '{slice_}' (FORMAT parquet)"
    )
    expected = duckdb.execute(
        f"SELECT count(pm25) + count(pm10) + count(so2) + count(no2) + count(co_ugm3) + count(o3),"
        f" max(co_ugm3) FROM '{slice_}'"
    ).fetchone()
    assert expected is not None
    report = load_observations(con, slice_)
    assert (report.rows_read, report.new, report.rejected) == (2 * 7 * 24, expected[0], 0)
    row = con.execute(
        "SELECT max(value), any_value(unit) FROM observation WHERE parameter = 'a21005'"
    ).fetchone()
    assert row == (expected[1] / 1000, "mg/m³")
    first = con.execute("SELECT min(time) FROM observation WHERE station_id = 'Dongsi'").fetchone()
    assert first is not None and first[0] == datetime(2013, 2, 28, 16, tzinfo=UTC)
    station = con.execute(
        "SELECT name, region_code, network, lat FROM station WHERE station_id = 'Dongsi'"
    ).fetchone()
    assert station == ("东四", "110101", "air", 39.929)


def test_full_sample_loads_every_non_null_value_once(tmp_path: Path) -> None:
    from ecohub.sample import load_sample

    con = connect(tmp_path / "full.duckdb")
    result = load_sample(con)
    # 420,768 station-hours x 6 pollutants minus the nulls of the source (counted by DuckDB).
    assert result["stations"] == 12
    assert result["observations"] == result["observations_total"] == 2_454_305
    assert result["rejected"] == 0
    again = load_sample(con)
    assert again["already_loaded"] and again["observations"] == 0
    assert again["observations_total"] == 2_454_305


def test_wide_parquet_rejects_show_the_value(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    f = tmp_path / "w.parquet"
    table = {"station": ["S1", "S2"], "time": ["2020-01-01 00:00"] * 2, "so2": [-1.5, 2.0]}
    pq.write_table(pa.table(table), f)
    report = load_observations(con, f)
    assert report.new == 1
    assert [(r.row, r.column, r.value, r.reason) for r in report.first_rejects] == [
        (1, "so2", "-1.5", "negative value")
    ]
