"""`ecohub geo in / summary / county`: thin shells over the services, errors without tracebacks."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ecohub.cli.main import app
from ecohub.settings import get_settings
from ecohub.store.db import connect

runner = CliRunner()


@pytest.fixture
def store(base_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    db = tmp_path / "cli.duckdb"
    shutil.copy(base_store, db)
    con = connect(db)
    con.executemany(
        "INSERT INTO source (source_code, region_code, industry, lon, lat) VALUES (?, ?, ?, ?, ?)",
        [("S1", "110101", "4411", 116.3975, 39.9087), ("S2", "110105", "4411", 116.4605, 39.9087)],
    )
    con.close()
    monkeypatch.setenv("ECOHUB_DB_PATH", str(db))
    get_settings.cache_clear()
    yield db
    get_settings.cache_clear()


def test_in_and_summary(store: Path) -> None:
    r = runner.invoke(app, ["geo", "in", "110101", "--what", "sources", "--json"])
    assert r.exit_code == 0, r.output
    assert [row["source_code"] for row in json.loads(r.output)] == ["S1"]
    r = runner.invoke(app, ["geo", "in", "--point", "116.4605,39.9087", "--distance", "500",
                            "--what", "sources", "--json"])  # fmt: skip
    assert [row["source_code"] for row in json.loads(r.output)] == ["S2"]
    r = runner.invoke(app, ["geo", "summary", "110000", "--what", "sources"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["by_industry"] == {"4411": 2}


def test_errors_are_one_line(store: Path) -> None:
    r = runner.invoke(app, ["geo", "in", "999999"])
    assert r.exit_code == 1 and "no region '999999'" in r.output and "Traceback" not in r.output
    r = runner.invoke(app, ["geo", "in", "--point", "116.4,39.9"])
    assert r.exit_code == 1 and "--distance" in r.output
    r = runner.invoke(app, ["geo", "in", "--point", "x,y", "--distance", "5"])
    assert r.exit_code == 1 and "--point: expected LON,LAT" in r.output
    r = runner.invoke(app, ["geo", "county", "122.8", "31.0"])
    assert r.exit_code == 1 and "in no county" in r.output
