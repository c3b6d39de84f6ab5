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
    r = runner.invoke(app, ["air", "compute"])
    assert r.exit_code == 0, r.output
    assert "air_daily" in r.output


def test_errors_go_to_stderr_without_traceback(store: Path) -> None:
    r = runner.invoke(app, ["air", "aqi", "--edition", "2020"])
    assert r.exit_code != 0
    assert "edition must be one of" in r.output and "Traceback" not in r.output
    r = runner.invoke(app, ["air", "aqi", "--station", "nope"])
    assert r.exit_code != 0 and "unknown air station" in r.output
