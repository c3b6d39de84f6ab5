"""`ecohub water assess` / `ecohub water classify` through Typer's CliRunner, on a real store."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from ecohub.analytics._testdata import water_observations, water_stations
from ecohub.cli.main import app

runner = CliRunner()


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from ecohub.store.db import connect

    path = tmp_path_factory.mktemp("water") / "ecohub.duckdb"
    con = connect(path)
    st = water_stations(8, 3)
    obs = water_observations(st, start="2023-01", months=12)
    obs.loc[0, "value"] = -1.0  # one bad sample: listed, not averaged
    con.register("st", st)
    con.execute(
        "INSERT INTO station (station_id, name, network, region_code, basin, waterbody, lon, lat) "
        "SELECT * FROM st"
    )
    con.register("obs", obs)
    con.execute("INSERT INTO observation SELECT * FROM obs")
    con.close()
    return path


def _run(db: Path, *args: str) -> object:
    from ecohub.settings import get_settings

    get_settings.cache_clear()
    return runner.invoke(app, ["water", *args], env={"ECOHUB_DB_PATH": str(db), "COLUMNS": "200"})


def test_assess_year_prints_tables_stores_and_exports(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "sections.xlsx"
    r = _run(db, "assess", "--year", "2023", "--out", str(out))
    assert r.exit_code == 0, r.output
    assert "Class distribution" in r.output and "Sections" in r.output
    assert "I-III" in r.output and "1 sample value(s) left out" in r.output
    assert "value: negative concentration" in r.output
    back = pd.read_excel(out)
    assert len(back) == 11 and set(back.grade) <= {"I", "II", "III", "IV", "V", "劣V"}
    from ecohub.store.db import connect

    con = connect(db, read_only=True)
    assert con.execute("SELECT count(*) FROM water_class_annual").fetchone()[0] == 11
    con.close()


def test_assess_month_region_basin(db: Path) -> None:
    r = _run(
        db,
        "assess",
        "--month",
        "2023-05",
        "--region",
        "320000",
        "--basin",
        "长江",
        "--method",
        "gb3838",
    )
    assert r.exit_code == 0, r.output
    assert "2023-05" in r.output and "长江" in r.output and "淮河" not in r.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["assess", "--month", "2023-13"], "month: expected YYYY-MM"),
        (["assess", "--method", "1999"], "--method"),
        (["assess", "--year", "1990"], "no usable surface-water sample"),
        (["assess", "--year", "2023", "--out", "x.json"], "--out: x.json"),
        (["classify", "COD=abc"], "COD: expected a number"),
        (["classify", "Nitrate=1"], "Nitrate"),
        (["classify", "COD=-1"], "negative"),
        (["classify", "COD"], "expected ITEM=VALUE"),
        (["classify", "COD=10", "--waterbody", "sea"], "waterbody"),
    ],
)
def test_errors_go_to_stderr_without_traceback(db: Path, args: list[str], message: str) -> None:
    r = _run(db, *args)
    assert r.exit_code != 0
    assert message in r.output
    assert "Traceback" not in r.output


def test_classify_one_sample(db: Path) -> None:
    r = _run(db, "classify", "COD=35", "BOD5=8", "w21003=0.4")
    assert r.exit_code == 0, r.output
    assert "class V" in r.output and "COD" in r.output and "0.8" in r.output
    r = _run(db, "classify", "FecalColiform=30000", "COD=10", "--method", "2011")
    assert r.exit_code == 0 and "class I" in r.output and "(reference)" in r.output


def test_unwritable_out_names_the_option(db: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    r = _run(db, "assess", "--year", "2023", "--no-store", "--out", str(blocker / "s.csv"))
    assert r.exit_code != 0 and "--out" in r.output and "Traceback" not in r.output
