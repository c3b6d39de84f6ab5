"""`ecohub load complaints` and `ecohub complaints list|hotspots|show` through Typer's CliRunner
(in-process door: the same API routes and services as with a running server)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ecohub.cli.main import app
from ecohub.settings import get_settings
from tests.cli._run import csv_rows

runner = CliRunner()
# Five odour complaints within ~100 m over two days (a hot spot), one noise complaint elsewhere.
ROWS = [
    ("K1", "2026-10-01 08:00", "化工厂异味刺鼻", 116.4000, 39.9000),
    ("K2", "2026-10-01 20:00", "又闻到很重的臭味", 116.4005, 39.9002),
    ("K3", "2026-10-02 08:00", "刺鼻气味，开不了窗", 116.3996, 39.8998),
    ("K4", "2026-10-02 20:00", "恶臭扰民", 116.4003, 39.8995),
    ("K5", "2026-10-03 08:00", "化工厂臭气熏天", 116.3998, 39.9004),
    ("K6", "2026-10-03 09:00", "工地夜间施工噪音", 116.3000, 39.9800),
]


@pytest.fixture
def loaded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("ECOHUB_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    path = tmp_path / "k.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["工单号", "投诉时间", "投诉内容", "经度", "纬度"])
        w.writerows(ROWS)
    r = runner.invoke(app, ["load", "complaints", str(path)])
    assert r.exit_code == 0, r.output
    assert "6 complaints stored" in r.output and "1 hot spots" in r.output
    yield path
    get_settings.cache_clear()


def test_list_hotspots_show(loaded: Path) -> None:
    r = runner.invoke(app, ["complaints", "list", "--category", "air", "--format", "csv"])
    assert r.exit_code == 0, r.output
    rows = csv_rows(r.output)
    assert [x["complaint_id"] for x in rows] == ["K5", "K4", "K3", "K2", "K1"]  # newest first
    assert {x["hotspot_id"] for x in rows} == {"HK1"}
    r = runner.invoke(app, ["complaints", "hotspots", "--format", "json"])
    spots = json.loads(r.output)
    assert [(s["hotspot_id"], s["n_complaints"], s["topic"]) for s in spots] == [
        ("HK1", 5, "odour")
    ]
    r = runner.invoke(app, ["complaints", "show", "K2", "--format", "json"])
    shown = json.loads(r.output)
    assert shown["repeat_of"] == "K1" and shown["repeat_chain"] == ["K1", "K2", "K3", "K4", "K5"]
    assert shown["region_code"] == "110101"  # the point lies in Dongcheng


def test_errors_name_the_option(loaded: Path) -> None:
    r = runner.invoke(app, ["complaints", "list", "--topic", "smell"])
    assert r.exit_code == 1 and "--topic" in r.output and "unknown topic" in r.output
    r = runner.invoke(app, ["complaints", "show", "NOPE"])
    assert r.exit_code == 1 and "not found" in r.output
    r = runner.invoke(app, ["complaints", "list", "--format", "xml"])
    assert r.exit_code == 1 and "--format" in r.output
    r = runner.invoke(app, ["load", "complaints", str(loaded), "--crs", "bd09"])
    assert r.exit_code == 1 and "crs" in r.output
