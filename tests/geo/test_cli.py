"""`ecohub geo …` with no server running (the CLI runs the API in-process over the store): thin
shells over the ``/api/v1/geo`` routes and the ``geo-*`` jobs, errors one line naming the option.
Through a running ``ecohub up``: tests/geo/test_cli_through_server.py."""

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
    monkeypatch.setenv("ECOHUB_DATA_DIR", str(tmp_path / "data"))  # the local credential's
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
    # The API's answer for an unknown region (404, as for one outside the caller's scope).
    assert r.exit_code == 1 and "region '999999' not found" in r.output
    assert "Traceback" not in r.output
    r = runner.invoke(app, ["geo", "in", "--point", "116.4,39.9"])
    assert r.exit_code == 1 and "--distance" in r.output
    r = runner.invoke(app, ["geo", "in", "--point", "x,y", "--distance", "5"])
    assert r.exit_code == 1 and "--point: expected LON,LAT" in r.output
    # The API's region.line / region.distance_m are this command's options.
    r = runner.invoke(app, ["geo", "in", "--line", "39.9,116.3;39.95,116.5", "--distance", "5"])
    assert r.exit_code == 1 and "--line: position 0 [39.9, 116.3] looks swapped" in r.output
    r = runner.invoke(app, ["geo", "in", "--point", "116.4,39.9", "--distance", "600000"])
    assert r.exit_code == 1 and "--distance: must be > 0 and <= 500000" in r.output
    r = runner.invoke(app, ["geo", "county", "122.8", "31.0"])
    assert r.exit_code == 1 and "in no county" in r.output
    r = runner.invoke(app, ["geo", "county", "116.4", "39.9", "--crs", "bd09"])
    assert r.exit_code == 1 and "--crs: " in r.output
    r = runner.invoke(app, ["geo", "county", "216.4", "39.9"])
    assert r.exit_code == 1 and "lon: " in r.output
    r = runner.invoke(app, ["geo", "in", "110105", "--what", "rivers"])
    assert r.exit_code == 1 and "--what: " in r.output
    r = runner.invoke(app, ["geo", "summary", "110105", "--what", "water"])
    assert r.exit_code == 1 and "--year: is required for what=water" in r.output
    r = runner.invoke(
        app, ["geo", "summary", "110105", "--from", "2024-02-01", "--to", "2024-01-01"]
    )
    assert r.exit_code == 1 and "--from: 2024-02-01 is after to (2024-01-01)" in r.output
    r = runner.invoke(app, ["geo", "summary", "110105", "--to", "2024-01-01"])
    assert r.exit_code == 1 and "--from: is required for what=air" in r.output
    r = runner.invoke(app, ["geo", "list", "--kind", "division"])
    assert r.exit_code == 1 and "--kind: " in r.output
    assert "Traceback" not in r.output


def _square(x: float, y: float, half: float) -> dict[str, object]:
    ring = [[x - half, y - half], [x + half, y - half], [x + half, y + half], [x - half, y + half]]
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


def test_county_load_list_reorder_install(store: Path, tmp_path: Path) -> None:
    from ecohub.geo.gcj02 import wgs84_to_gcj02

    r = runner.invoke(app, ["geo", "county", "116.3975", "39.9087"])
    assert r.exit_code == 0 and r.output.strip() == "110101 东城区", r.output
    (gx,), (gy,) = wgs84_to_gcj02([116.4605], [39.9087])
    r = runner.invoke(app, ["geo", "county", str(gx), str(gy), "--crs", "gcj02"])
    assert r.output.strip() == "110105 朝阳区", r.output
    area = tmp_path / "area.geojson"
    area.write_text(json.dumps(_square(116.4605, 39.9087, 0.002)), encoding="utf-8")
    r = runner.invoke(app, ["geo", "load", str(area), "--name", "小区域", "--kind", "custom"])
    assert r.exit_code == 0, r.output
    code = json.loads(r.output)["code"]
    r = runner.invoke(app, ["geo", "list", "--kind", "custom"])
    assert r.exit_code == 0 and code in r.output and "小区域" in r.output
    r = runner.invoke(app, ["geo", "in", "小区域", "--what", "sources", "--json"])
    assert [row["source_code"] for row in json.loads(r.output)] == ["S2"]
    r = runner.invoke(app, ["geo", "in", "--geojson", str(area), "--what", "sources"])
    assert r.exit_code == 0 and "1 sources" in r.output and "S2" in r.output
    r = runner.invoke(app, ["geo", "load", str(area), "--name", "x", "--kind", "lake"])
    assert r.exit_code == 1 and "--kind: " in r.output
    r = runner.invoke(app, ["geo", "load", str(tmp_path / "none.geojson"), "--name", "x",
                            "--kind", "basin"])  # fmt: skip
    assert r.exit_code == 1 and "none.geojson: no such file" in r.output
    r = runner.invoke(app, ["geo", "reorder"])
    assert r.exit_code == 0 and json.loads(r.output) == {"sources": 2}, r.output
    r = runner.invoke(app, ["geo", "install"])
    assert r.exit_code == 0 and json.loads(r.output)["regions"] > 3000, r.output
    r = runner.invoke(app, ["geo", "list", "--kind", "custom"])
    assert code in r.output  # a reinstall keeps the loaded regions
