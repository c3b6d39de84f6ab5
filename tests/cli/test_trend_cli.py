"""`ecohub trend` through Typer's CliRunner, on a real store with hourly air data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from ecohub.cli.main import app

runner = CliRunner()


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from ecohub.store.db import connect

    path = tmp_path_factory.mktemp("trend") / "ecohub.duckdb"
    times = pd.date_range("2014-01-01", "2017-12-31 23:00", freq="h", tz="Asia/Shanghai")
    years = (times - times[0]).days / 365.25
    frames = []
    for sid, slope in (("S1", -8.0), ("S2", 0.0)):
        value = 70 + 25 * np.cos(2 * np.pi * (times.month - 1) / 12) + slope * years
        value = np.round(value + 6 * np.sin(np.arange(len(times)) * 0.7), 0)
        frames.append(
            pd.DataFrame(
                {
                    "station_id": sid,
                    "parameter": "a34004",
                    "period": "1h",
                    "time": times,
                    "value": value,
                    "unit": "µg/m³",
                    "flag": "N",
                    "source": "t",
                }
            )
        )
    obs = pd.concat(frames)
    con = connect(path)
    con.register("obs", obs)
    con.execute("INSERT INTO observation SELECT * FROM obs")
    con.close()
    return path


def _run(db: Path, *args: str) -> object:
    from ecohub.settings import get_settings

    get_settings.cache_clear()
    return runner.invoke(app, ["trend", *args], env={"ECOHUB_DB_PATH": str(db), "COLUMNS": "200"})


def test_trend_table_store_and_export(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "trend.csv"
    r = _run(db, "--parameter", "PM2.5", "--from", "2014", "--to", "2017", "--out", str(out))
    assert r.exit_code == 0, r.output
    assert "Seasonal Kendall" in r.output and "decreasing" in r.output and "no trend" in r.output
    table = pd.read_csv(out, encoding="utf-8-sig").set_index("station_id")
    assert table.loc["S1", "trend"] == "decreasing"
    assert table.loc["S1", "slope_per_year"] == pytest.approx(-8.0, abs=1.0)
    from ecohub.store.db import connect

    con = connect(db, read_only=True)
    assert con.execute("SELECT count(*) FROM trend_result").fetchone()[0] == 2
    con.close()


def test_no_seasonal_and_station_filter(db: Path) -> None:
    r = _run(db, "--station", "S1", "--no-seasonal", "--no-store")
    assert r.exit_code == 0, r.output
    assert "Mann-Kendall" in r.output and "S2" not in r.output


def test_short_series_says_why(db: Path) -> None:
    r = _run(db, "--from", "2016", "--to", "2017", "--no-store")
    assert r.exit_code == 0, r.output
    assert "insufficient" in r.output and "seasonal Kendall needs 3" in r.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--parameter", "XYZ"], "unknown parameter 'XYZ'"),
        (["--from", "2017", "--to", "2014"], "after --to"),
        (["--alpha", "2"], "--alpha"),
        (["--station", "NOPE"], "no observation matches"),
        (["--out", "t.txt"], "--out: t.txt"),
    ],
)
def test_errors_without_traceback(db: Path, args: list[str], message: str) -> None:
    r = _run(db, *args)
    assert r.exit_code != 0
    assert message in r.output and "Traceback" not in r.output


def test_unwritable_out_names_the_option_before_any_work(db: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    r = _run(db, "--parameter", "PM2.5", "--out", str(blocker / "trend.csv"))
    assert r.exit_code != 0 and "--out" in r.output and "Traceback" not in r.output


def test_impossible_stored_times_are_set_aside(tmp_path: Path) -> None:
    """A store written before the loaders rejected impossible times: trend still runs and
    says how many rows it set aside."""
    from ecohub.store.db import connect

    path = tmp_path / "bad.duckdb"
    con = connect(path)
    times = pd.date_range("2014-01-01", periods=24 * 40, freq="h", tz="Asia/Shanghai")
    con.register("o", pd.DataFrame({"station_id": "S1", "parameter": "a34004", "period": "1h",
                                    "time": times, "value": 50.0, "unit": "µg/m³", "flag": "N",
                                    "source": "t"}))  # fmt: skip
    con.execute("INSERT INTO observation SELECT * FROM o")
    for t in ("infinity", "-infinity", "290309-12-22 (BC) 00:00:00+00", "0001-01-01 00:00:00+08"):
        con.execute(
            "INSERT INTO observation VALUES ('S1', 'a34004', '1h', CAST(? AS TIMESTAMPTZ), 'nan', "
            "'µg/m³', 'N', 't')",
            [t],
        )
    con.close()
    r = _run(path, "--parameter", "PM2.5", "--no-store")
    assert r.exit_code == 0, r.output
    assert "4 row(s) set aside" in r.output and "Traceback" not in r.output
