"""`ecohub air`: AQI and assessment from a store, exports, and errors without tracebacks."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from ecohub.cli.main import app
from ecohub.settings import get_settings
from ecohub.store.db import connect

from ..analytics.test_air import obs_frame

runner = CliRunner()


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    db = tmp_path / "s.duckdb"
    monkeypatch.setenv("ECOHUB_DB_PATH", str(db))
    get_settings.cache_clear()
    con = connect(db)
    con.execute(
        "INSERT INTO station (station_id, network, region_code) VALUES ('s1', 'air', '110105')"
    )
    con.register("o", obs_frame(start="2026-02-28", days=2))
    con.execute("INSERT INTO observation BY NAME SELECT * FROM o")
    con.close()
    yield db
    get_settings.cache_clear()


def test_aqi_daily_prints_and_exports(store: Path, tmp_path: Path) -> None:
    out = tmp_path / "aqi.xlsx"
    r = runner.invoke(app, ["air", "aqi", "--kind", "daily", "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "2026-03-01" in r.output
    df = pd.read_excel(out)
    assert df.aqi.tolist() == [82, 100]


def test_assess_and_compute(store: Path) -> None:
    r = runner.invoke(app, ["air", "assess", "--year", "2026"])
    assert r.exit_code == 0, r.output
    assert "HJ 663 statistics 2026" in r.output
    # Two days are no valid year: every pollutant's verdict is "-" (not judged).
    assert "GB 3095 class 2 by pollutant 2026" in r.output
    assert "达标" not in r.output and "超标" not in r.output
    # assess computed the stored results first; nothing has changed since
    r = runner.invoke(app, ["air", "compute"])
    assert r.exit_code == 0, r.output
    assert "(fresh)" in r.output
    r = runner.invoke(app, ["air", "compute", "--full"])
    assert r.exit_code == 0, r.output
    assert "air_daily" in r.output and "(full)" in r.output


def test_errors_go_to_stderr_without_traceback(store: Path) -> None:
    r = runner.invoke(app, ["air", "aqi", "--edition", "2020"])
    assert r.exit_code != 0
    assert "edition must be one of" in r.output and "Traceback" not in r.output
    r = runner.invoke(app, ["air", "aqi", "--station", "nope"])
    assert r.exit_code != 0 and "unknown air station" in r.output


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["air", "assess", "--year", "-5"], "--year"),
        (["air", "assess", "--year", "99999"], "--year"),
        (["air", "aqi", "--kind", "weekly"], "--kind"),
        (["air", "aqi", "--scope", "county"], "--scope"),
        (["air", "aqi", "--from", "2026-03-02", "--to", "2026-03-01"], "--from"),
        (["air", "compute", "--edition", "1999"], "--edition"),
    ],
    ids=["year-negative", "year-too-large", "kind", "scope", "from-after-to", "edition"],
)
def test_bad_options_are_named(store: Path, args: list[str], option: str) -> None:
    r = runner.invoke(app, args)
    assert r.exit_code != 0
    assert option in r.output and "Traceback" not in r.output


@pytest.mark.parametrize("command", [["aqi"], ["assess", "--year", "2026"]])
def test_unwritable_out_is_named_before_any_work(
    store: Path, tmp_path: Path, command: list[str]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    r = runner.invoke(app, ["air", *command, "--out", str(blocker / "out.csv")])
    assert r.exit_code != 0 and "--out" in r.output and "Traceback" not in r.output
    con = connect(store, read_only=True)
    assert con.execute("SELECT count(*) FROM air_daily").fetchone()[0] == 0  # nothing ran
    con.close()


def test_impossible_stored_times_and_values_are_set_aside(store: Path) -> None:
    """Rows a store may hold from before the loaders rejected them: infinite, extreme and
    year-0 times, NaN and infinite values. compute, aqi and assess still run; compute says
    how many rows it set aside and why."""
    con = connect(store)
    bad = ["infinity", "-infinity", "290309-12-22 (BC) 00:00:00+00", "0001-01-01 00:00:00+08"]
    for t in bad:
        con.execute(
            "INSERT INTO observation (station_id, parameter, period, time, value, unit, "
            "flag, source) VALUES ('s1', 'a34004', '1h', CAST(? AS TIMESTAMPTZ), 10, "
            "'µg/m³', 'N', 'x')",
            [t],
        )
    con.execute(
        "UPDATE observation SET value = 'inf' WHERE parameter = 'a21026' "
        "AND time = TIMESTAMPTZ '2026-03-01 05:00:00+08'"
    )
    con.execute(
        "UPDATE observation SET value = 'nan' WHERE parameter = 'a21004' "
        "AND time = TIMESTAMPTZ '2026-03-01 06:00:00+08'"
    )
    con.close()
    r = runner.invoke(app, ["air", "compute"])
    assert r.exit_code == 0, r.output
    assert "4 observation row(s) set aside" in r.output and "time out of range" in r.output
    r = runner.invoke(app, ["air", "aqi", "--kind", "hourly"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["air", "assess", "--year", "2026"])
    assert r.exit_code == 0, r.output
    con = connect(store, read_only=True)
    # the non-finite values count as missing hours: 23 valid SO2 and NO2 hours on 03-01
    n = con.execute(
        "SELECT n_so2, n_no2 FROM air_daily WHERE code = 's1' AND date = DATE '2026-03-01'"
    ).fetchone()
    con.close()
    assert n == (23, 23)
