"""Vectorised water classes: equal to ecohub.standards.water.classify on every vector, the same
on DuckDB and Spark, and bad samples listed, never averaged in."""

from __future__ import annotations

import csv
import math
import os
import sys
from pathlib import Path
from typing import Any

import ibis
import pandas as pd
import pytest

from ecohub.analytics import water as aw
from ecohub.analytics._testdata import water_observations, water_stations
from ecohub.analytics.export import ExportError, export_table
from ecohub.analytics.water_assess import assess, region_prefix, store_assessment
from ecohub.standards import water as std

from .conftest import put

# Spark's Python workers start `python3` from PATH unless told otherwise, which lacks pandas
# here; set before the session exists (collection precedes fixtures). Belongs in
# store/engine.py's spark_session (reported).
os.environ.setdefault("PYSPARK_PYTHON", sys.executable)

VECTORS = Path(__file__).parents[1] / "standards" / "vectors"
GRADES = ("I", "II", "III", "IV", "V")


def _rows(name: str) -> list[dict[str, str]]:
    lines = (VECTORS / name).read_text(encoding="utf-8").splitlines()
    return list(csv.DictReader(ln for ln in lines if not ln.startswith("#")))


def _water_cases() -> list[Any]:
    return [pytest.param(r, id=r["case"]) for r in _rows("water_cases.csv")]


def _samples(cases: list[dict[str, Any]]) -> pd.DataFrame:
    """One long row per (case, item): the input of the vectorised path."""
    rows = []
    for c in cases:
        body = std.classify({"pH": 7.0}, c["waterbody"]).waterbody  # public normaliser
        for key, value in c["sample"].items():
            rows.append(
                {
                    "station_id": c["id"],
                    "waterbody": body,
                    "item": std.item_key(key),
                    "value": value,
                }
            )
    return pd.DataFrame(rows)


def _vectorised(backend: Any, cases: list[dict[str, Any]], method: str) -> dict[str, dict]:
    """Per case: grade, deciding, exceed, reference grades, not assessed, main pollutants."""
    t = ibis.memtable(_samples(cases))
    items = aw.grade_items(t, method)
    cls = backend.execute(aw.section_classes(items, ["station_id"]))
    allrows = backend.execute(items)
    out = {}
    for c in cases:
        g = cls[cls.station_id == c["id"]]
        a = allrows[allrows.station_id == c["id"]]
        ref = a[a.role == "reference"]
        main = g[g.main_order.notna()].sort_values("main_order")
        out[c["id"]] = {
            "grade": std.GRADES[int(g.class_rank.iloc[0]) - 1] if len(g) else None,
            "deciding": sorted(g[g.deciding].item),
            "exceed": {r.item: r.exceed for r in g.itertuples() if pd.notna(r.exceed)},
            "reference": {r.item: std.GRADES[int(r.rank) - 1] for r in ref.itertuples()},
            "not_assessed": sorted(a[a.role == "not_assessed"].item),
            "main": list(main.item),
        }
    return out


def _expected(case: dict[str, Any], method: str) -> dict[str, Any]:
    r = std.classify(case["sample"], case["waterbody"], method)
    return {
        "grade": r.grade,
        "deciding": sorted(r.deciding),
        "exceed": r.exceed,
        "reference": r.reference_grades,
        "not_assessed": sorted(r.not_assessed),
        "main": r.main_pollutants,
    }


def _assert_same(got: dict[str, Any], want: dict[str, Any], label: str) -> None:
    assert got["grade"] == want["grade"], label
    assert got["deciding"] == want["deciding"], label
    assert got["exceed"].keys() == want["exceed"].keys(), label
    for k, v in want["exceed"].items():
        assert got["exceed"][k] == pytest.approx(v, rel=1e-12), label
    assert got["reference"] == want["reference"], label
    assert got["not_assessed"] == want["not_assessed"], label
    assert got["main"] == want["main"], label


def _case(row: dict[str, str]) -> dict[str, Any]:
    sample = {k: float(v) for k, v in (p.split("=", 1) for p in row["sample"].split(";"))}
    return {"id": row["case"], "waterbody": row["waterbody"], "sample": sample}


@pytest.mark.parametrize("row", _water_cases())
def test_water_vectors_equal_classify(engine: Any, row: dict[str, str]) -> None:
    """Every case of tests/standards/vectors/water_cases.csv, on DuckDB and Spark."""
    case = _case(row)
    got = _vectorised(engine, [case], row["method"])[case["id"]]
    _assert_same(got, _expected(case, row["method"]), f"{row['case']} ({row['clause']})")
    assert got["grade"] == row["grade"]


def _boundary_cases() -> list[dict[str, Any]]:
    """Every class limit of gb3838_table1.csv, at the limit and a hair on the worse side."""
    out = []
    for row in _rows("gb3838_table1.csv"):
        bodies = ("river", "lake") if row["waterbody"] == "all" else (row["waterbody"],)
        if row["direction"] == "range":
            values = [6.0, 9.0, math.nextafter(6.0, 0), math.nextafter(9.0, 10)]
        else:
            lims = [float(row[g]) for g in GRADES]
            away = -math.inf if row["direction"] == "min" else math.inf
            values = [v for lim in lims for v in (lim, math.nextafter(lim, away))]
        for body in bodies:
            for i, v in enumerate(values):
                # pH 7 (class I) beside the item, so that reference items of the 2011
                # method (graded on their own) still come with a sample that has a class.
                sample = {row["key"]: v} if row["key"] == "pH" else {row["key"]: v, "pH": 7.0}
                out.append({"id": f"{row['key']}-{body}-{i}", "waterbody": body, "sample": sample})
    return out


@pytest.mark.parametrize("method", ["gb3838", "2011"])
def test_table1_boundaries_equal_classify(method: str) -> None:
    """All Table 1 limits (both sides of each) on DuckDB: same class as classify."""
    from ecohub.store.db import connect
    from ecohub.store.engine import ibis_duckdb

    backend = ibis_duckdb(connect(":memory:"))
    cases = _boundary_cases()
    got = _vectorised(backend, cases, method)
    for c in cases:
        _assert_same(got[c["id"]], _expected(c, method), c["id"])


def test_generated_samples_equal_classify_per_sample() -> None:
    """Each generated sample (24 items) graded in the engine equals classify, both methods."""
    from ecohub.store.db import connect
    from ecohub.store.engine import ibis_duckdb

    backend = ibis_duckdb(connect(":memory:"))
    obs = water_observations(water_stations(4, 2), months=3)
    codes = dict(zip(*(aw.code_table()[c] for c in ("code", "item")), strict=True))
    obs["item"] = obs.parameter.str.lower().map(codes)
    bodies = water_stations(4, 2).set_index("station_id").waterbody
    cases = []
    for (sid, time), g in obs.groupby(["station_id", "time"]):
        cases.append(
            {
                "id": f"{sid}@{time:%Y%m}",
                "waterbody": bodies[sid],
                "sample": dict(zip(g.item, g.value, strict=True)),
            }
        )
    for method in ("gb3838", "2011"):
        got = _vectorised(backend, cases, method)
        for c in cases:
            _assert_same(got[c["id"]], _expected(c, method), c["id"])


# ----------------------------------------------------------------- store path


def _load(engine: Any, stations: pd.DataFrame, obs: pd.DataFrame) -> None:
    """Store tables on the engine. Text columns go as plain objects with None: pandas' NA
    would reach Spark as a pickled object, and an all-None column has no type for Spark to
    infer, so those get a neutral value (flag N = normal)."""
    cols = ["station_id", "name", "name_en", "network", "region_code", "basin", "waterbody"]
    full = stations.reindex(columns=[*cols, "lon", "lat", "attrs", "source"])
    obs = obs.copy()
    for frame, fills in (
        (full, {"name_en": "", "attrs": "{}", "source": ""}),
        (obs, {"flag": "N"}),
    ):
        for col in frame.columns:
            if frame[col].dtype == object or isinstance(frame[col].dtype, pd.StringDtype):
                values = frame[col].astype(object).where(frame[col].notna(), None)
                frame[col] = (
                    values.fillna(fills[col]) if col in fills and values.isna().all() else values
                )
    put(engine, "station", full)
    put(engine, "observation", obs)


@pytest.fixture
def generated() -> tuple[pd.DataFrame, pd.DataFrame]:
    st = water_stations(8, 3)
    return st, water_observations(st, start="2023-01", months=14)


def test_month_and_year_classes_equal_classify_of_means(engine: Any, generated: Any) -> None:
    """Section-month = classify(mean of the month's samples); section-year = classify(mean of
    the monthly means). Two samples a month here, so the means are real means."""
    st = water_stations(5, 2)
    obs = water_observations(st, start="2023-11", months=3, per_month=2)
    _load(engine, st, obs)
    samples = aw.water_samples(engine)
    valid = samples.filter(samples.problem.isnull())
    codes = dict(zip(*(aw.code_table()[c] for c in ("code", "item")), strict=True))
    obs["item"] = obs.parameter.str.lower().map(codes)
    obs["month"] = obs.time.dt.strftime("%Y-%m")
    bodies = st.set_index("station_id").waterbody
    cls = engine.execute(
        aw.section_classes(aw.period_items(valid, "month", "2011"), ["station_id", "year", "month"])
    )
    cls["key"] = cls.year.astype(str) + "-" + cls.month.map("{:02d}".format)
    for (sid, month), g in obs.groupby(["station_id", "month"]):
        mean = g.groupby("item").value.mean().to_dict()
        want = std.classify(mean, bodies[sid], "2011")
        got = cls[(cls.station_id == sid) & (cls.key == month)]
        assert std.GRADES[int(got.class_rank.iloc[0]) - 1] == want.grade, (sid, month)
        assert sorted(got[got.deciding].item) == sorted(want.deciding)
    year = engine.execute(
        aw.section_classes(aw.period_items(valid, "year", "2011"), ["station_id", "year"])
    )
    obs24 = obs[obs.time.dt.year == 2024]
    for sid, g in obs24.groupby("station_id"):
        monthly = g.groupby(["month", "item"]).value.mean().groupby("item").mean().to_dict()
        want = std.classify(monthly, bodies[sid], "2011")
        got = year[(year.station_id == sid) & (year.year == 2024)]
        assert std.GRADES[int(got.class_rank.iloc[0]) - 1] == want.grade, sid


def test_month_is_the_cst_calendar_month(engine: Any) -> None:
    """2024-02-01 03:00 CST is 2024-01-31 19:00 UTC: it belongs to February."""
    st = water_stations(1, 0)
    times = pd.to_datetime(["2024-01-31 20:00", "2024-02-01 03:00"]).tz_localize("Asia/Shanghai")
    obs = pd.DataFrame(
        {
            "station_id": "R000",
            "parameter": "w01018",
            "period": "24h",
            "time": times,
            "value": [10.0, 35.0],
            "unit": "mg/L",
            "flag": None,
            "source": "t",
        }
    )
    _load(engine, st, obs)
    s = aw.water_samples(engine)
    items = engine.execute(aw.period_items(s.filter(s.problem.isnull()), "month", "gb3838"))
    got = {(r.year, r.month): r.value for r in items.itertuples()}
    assert got == {(2024, 1): 10.0, (2024, 2): 35.0}


def test_bad_samples_are_listed_not_averaged(engine: Any) -> None:
    st = water_stations(2, 0)
    base = {"station_id": "R000", "period": "24h", "unit": "mg/L", "flag": None, "source": "t"}
    t0 = pd.Timestamp("2024-03-05 10:00", tz="Asia/Shanghai")
    rows = [
        {**base, "parameter": "w01018", "time": t0, "value": 12.0},
        {**base, "parameter": "w21003", "time": t0, "value": -0.5},  # negative
        {**base, "parameter": "w99999", "time": t0, "value": 1.0},  # unknown item
        {**base, "parameter": "w01019", "time": t0, "value": None},  # missing
        # infinite: passed as a number on Spark until 2026-11-27 (Ibis compiled isinf to FALSE)
        {**base, "parameter": "w20122", "time": t0, "value": math.inf},
        {**base, "parameter": "w21011", "time": t0, "value": 0.1, "unit": "µg/L"},  # unit
        {**base, "parameter": "w01009", "time": t0, "value": 8.0, "flag": "D"},  # fault flag
        {**base, "parameter": "w01001", "time": t0, "value": 15.0, "unit": "dimensionless"},
        {**base, "parameter": "w01018", "time": t0, "value": 99.0, "period": "1h"},  # same time
        {**base, "station_id": "R001", "parameter": "w01018", "time": t0, "value": 10.0},
    ]
    stations = st.assign(waterbody=["river", "sea"])  # R001: not a GB 3838 water body
    _load(engine, stations, pd.DataFrame(rows))
    s = engine.execute(aw.water_samples(engine)).sort_values(
        ["station_id", "parameter", "period"] if False else ["station_id", "parameter"]
    )
    problems = {
        (r.station_id, r.parameter, r.value if pd.notna(r.value) else None): r.problem
        for r in s.itertuples()
    }
    assert problems[("R000", "w21003", -0.5)].startswith("value: negative")
    assert problems[("R000", "w99999", 1.0)].startswith("parameter: w99999")
    assert problems[("R000", "w01019", None)] == "value: missing"
    assert problems[("R000", "w20122", math.inf)] == "value: not a finite number"
    assert problems[("R000", "w21011", 0.1)].startswith("unit: µg/L, expected mg/L")
    assert problems[("R000", "w01009", 8.0)].startswith("flag: D")
    assert problems[("R000", "w01001", 15.0)] == "value: pH outside 0-14"
    assert problems[("R000", "w01018", 12.0)].startswith("time: stored more than once")
    assert problems[("R001", "w01018", 10.0)].startswith("waterbody: sea")
    with pytest.raises(ValueError, match="no usable"):
        assess(engine, year=2024)


def test_assess_distribution_ratios_and_driving_items(engine: Any, generated: Any) -> None:
    st, obs = generated
    _load(engine, st, obs)
    res = assess(engine, year=2023, method="2011", by="all")
    sec = res.sections
    assert len(sec) == len(st)
    n = len(sec)
    assert res.summary["ratio_i_iii"] == pytest.approx((sec.class_rank <= 3).sum() / n)
    assert res.summary["ratio_worse_v"] == pytest.approx((sec.class_rank == 6).sum() / n)
    rivers = res.distribution[res.distribution.waterbody == "river"].iloc[0]
    assert sum(rivers[g] for g in std.GRADES) == rivers.n_sections == 8
    grades = list(sec[sec.waterbody == "river"].grade)
    assert rivers.status == std.basin_status(grades)  # >= 5 sections: class proportion
    lakes = res.distribution[res.distribution.waterbody == "lake"].iloc[0]
    assert lakes.status_basis == "mean of 3 section(s)"  # < 5: mean concentrations
    # 断面超标率: sections whose annual item class is worse than III, over all sections.
    items = res.items[res.items.role == "graded"]
    for r in res.driving.itertuples():
        over = items[
            (items.item == r.item) & (items.waterbody == r.waterbody) & (items["rank"] > 3)
        ]
        assert r.sections_over_iii == over.station_id.nunique()
    main = res.driving[(res.driving.waterbody == "river") & res.driving.main]
    assert len(main) == min(3, (res.driving.waterbody == "river").sum())
    top = res.driving[res.driving.waterbody == "river"].section_rate.max()
    assert main.section_rate.iloc[0] == top


def test_store_and_export(tmp_path: Path, generated: Any) -> None:
    from ecohub.store.db import connect
    from ecohub.store.engine import ibis_duckdb

    con = connect(":memory:")
    st, obs = generated
    backend = ibis_duckdb(con)
    _load(backend, st, obs)
    res = assess(backend, month="2023-06")
    written = store_assessment(con, res)
    assert store_assessment(con, res) == written  # idempotent: replaces, never doubles
    assert con.execute("SELECT count(*) FROM water_class_monthly").fetchone()[0] == len(
        res.sections
    )
    annual = assess(backend, year=2023, method="gb3838")
    store_assessment(con, annual)
    assert con.execute("SELECT count(*) FROM water_class_annual").fetchone()[0] == len(st)
    for suffix in (".csv", ".parquet", ".xlsx"):
        path = export_table(res.sections, tmp_path / f"sections{suffix}")
        back = {
            ".csv": lambda p: pd.read_csv(p, encoding="utf-8-sig"),
            ".parquet": pd.read_parquet,
            ".xlsx": pd.read_excel,
        }[suffix](path)
        assert list(back.station_id) == list(res.sections.station_id)
        assert list(back.grade) == list(res.sections.grade)
    with pytest.raises(ExportError, match=r"x.json: expected a \.csv"):
        export_table(res.sections, tmp_path / "x.json")
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    with pytest.raises(ExportError, match="not a folder"):
        export_table(res.sections, blocker / "out.csv")


def test_region_prefix() -> None:
    assert region_prefix("320000") == "32"
    assert region_prefix("320500") == "3205"
    assert region_prefix("320506") == "320506"
    assert region_prefix("custom-1") == "custom-1"


@pytest.mark.spark
def test_parity_spark_duckdb(spark_session: Any, generated: Any) -> None:
    """Monthly and annual section classes and items: Spark == DuckDB on the same data."""
    from ecohub.store.db import connect
    from ecohub.store.engine import ibis_duckdb, ibis_spark

    st, obs = generated
    results = {}
    spark_db = "water_parity"
    spark_session.sql(f"CREATE DATABASE IF NOT EXISTS {spark_db}")
    spark_session.catalog.setCurrentDatabase(spark_db)
    try:
        for name, backend in (
            ("duckdb", ibis_duckdb(connect(":memory:"))),
            ("spark", ibis_spark(spark_session)),
        ):
            _load(backend, st, obs)
            out = {}
            for kw in ({"month": "2023-07"}, {"year": 2023}):
                res = assess(backend, **kw)
                out[str(kw)] = (
                    res.sections.sort_values("station_id").reset_index(drop=True),
                    res.items.sort_values(["station_id", "item"]).reset_index(drop=True),
                    res.distribution.reset_index(drop=True),
                )
            results[name] = out
    finally:
        spark_session.sql(f"DROP DATABASE IF EXISTS {spark_db} CASCADE")
        spark_session.catalog.setCurrentDatabase("default")
    for key, (sec, items, dist) in results["duckdb"].items():
        s_sec, s_items, s_dist = results["spark"][key]
        pd.testing.assert_frame_equal(sec, s_sec, check_dtype=False)
        cols = ["station_id", "item", "role", "rank", "grade", "n_samples", "n_over_iii"]
        pd.testing.assert_frame_equal(items[cols], s_items[cols], check_dtype=False)
        assert items.value.tolist() == pytest.approx(s_items.value.tolist(), rel=1e-12)
        pd.testing.assert_frame_equal(dist, s_dist, check_dtype=False)
