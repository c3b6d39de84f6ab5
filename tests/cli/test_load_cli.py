"""`ecohub load stations|observations|sample` through Typer's CliRunner, against a real store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ecohub.cli.main import app
from ecohub.settings import get_settings
from ecohub.store.db import connect


def runner() -> CliRunner:
    try:
        return CliRunner(mix_stderr=False)  # type: ignore[call-arg]
    except TypeError:  # click >= 8.2 keeps stderr apart already
        return CliRunner()


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    db = tmp_path / "cli.duckdb"
    monkeypatch.setenv("ECOHUB_DB_PATH", str(db))
    get_settings.cache_clear()
    yield db
    get_settings.cache_clear()


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def count(db: Path, sql: str) -> Any:
    con = connect(db)
    try:
        row = con.execute(sql).fetchone()
        return row[0] if row else None
    finally:
        con.close()


def test_stations_then_observations_with_map_unit_and_rejects(store: Path, tmp_path: Path) -> None:
    st = write(
        tmp_path / "st.csv", "站点,站点名称,经度,纬度\nA1,甲站,116.4,39.9\nA2,乙站,116.5,39.8\n"
    )
    result = runner().invoke(app, ["load", "stations", str(st)])
    assert result.exit_code == 0, result.stderr
    assert "2 stations stored (2 new" in result.stdout

    obs = write(
        tmp_path / "obs.csv",
        "site,采样时间,fine,CO,风向\n"
        "A1,2024-05-01 08:00,12,1500,N\n"
        "A2,2024-05-01 08:00,x,1200,S\n"
        "A9,2024-05-01 08:00,3,100,S\n",
    )
    rejects = tmp_path / "out" / "rej.csv"
    args = ["load", "observations", str(obs), "--map", "site=station", "--map", "fine=PM2.5"]
    args += ["--map", "采样时间=time", "--unit", "CO=ug/m3", "--reject", str(rejects)]
    result = runner().invoke(app, args)
    assert result.exit_code == 0, result.stderr
    out = " ".join(result.stdout.split())
    assert "3 rows read, 3 values stored" in out
    assert "2 rejected" in out and str(rejects) in out
    assert "ignored: 风向" in out
    # The platform's CSV: a byte-order mark first (Excel reads UTF-8), text cells quoted.
    assert rejects.read_text(encoding="utf-8").splitlines() == [
        '\ufeff"row","column","value","reason"',
        '3,"fine","x","not a number"',
        '4,"site","A9","unknown station"',
    ]
    assert count(store, "SELECT sum(value) FROM observation WHERE parameter = 'a21005'") == 2.7
    assert count(store, "SELECT DISTINCT unit FROM observation WHERE parameter = 'a21005'") == (
        "mg/m³"
    )

    again = runner().invoke(app, args)
    assert again.exit_code == 0
    assert "already loaded" in " ".join(again.stdout.split())
    assert count(store, "SELECT count(*) FROM observation") == 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["observations", "missing.csv"], "missing.csv: no such file"),
        (["observations", "{tmp}/nostation.csv"], "no station column found"),
        (["observations", "{tmp}/ok.csv", "--map", "nonsense"], "expected KEY=VALUE"),
        (["observations", "{tmp}/ok.csv", "--unit", "CO=furlongs"], "unknown unit"),
        (["observations", "{tmp}/ok.csv", "--period", "sometimes"], "--period"),
        (["stations", "{tmp}/broken.parquet"], "not a readable Parquet file"),
        (["observations", "{tmp}/ok.csv", "--reject", "{tmp}"], "is a directory"),
        (["observations", "{tmp}/broken.xlsx"], "not a readable XLSX workbook"),
    ],
)
def test_errors_go_to_stderr_without_traceback(
    store: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    write(tmp_path / "nostation.csv", "time,SO2\n2024-01-01,1\n")
    write(tmp_path / "ok.csv", "station,time,CO\nA1,2024-01-01,1\n")
    write(tmp_path / "broken.parquet", "PAR1 but not really")
    write(tmp_path / "broken.xlsx", "PK\x03\x04 but not really")
    argv = ["load", *[a.replace("{tmp}", str(tmp_path)) for a in args]]
    result = runner().invoke(app, argv)
    assert result.exit_code == 1
    assert message in " ".join(result.stderr.split())
    assert "Traceback" not in result.stderr + result.stdout
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)


def test_load_sample_command(store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The real sample load is covered once in tests/ingest; here only the command's wiring.
    calls: list[object] = []

    def fake_load_sample(con: object, **_: object) -> dict[str, Any]:
        calls.append(con)
        return {
            "stations": 12,
            "observations": 2_454_305,
            "observations_total": 2_454_305,
            "rejected": 0,
            "already_loaded": False,
            "reports": {"observations": {"seconds": 1.5}},  # a job's result is plain data
        }

    monkeypatch.setattr("ecohub.sample.load_sample", fake_load_sample)
    result = runner().invoke(app, ["load", "sample"])
    assert result.exit_code == 0, result.stderr
    assert "12 stations, 2,454,305 values stored" in result.stdout
    assert len(calls) == 1


def test_a_huge_cell_prints_a_short_line(store: Path, tmp_path: Path) -> None:
    st = write(tmp_path / "st.csv", "station,name\nA1,甲站\n")
    assert runner().invoke(app, ["load", "stations", str(st)]).exit_code == 0
    big = write(
        tmp_path / "big.csv",
        f"station,time,PM2.5,{'h' * 5000}\nA1,2024-01-01 00:00,{'x' * 1_000_000},1\n",
    )
    result = runner().invoke(app, ["load", "observations", str(big)])
    assert result.exit_code == 0, result.stderr
    assert len(result.stdout) < 3000
    assert "(1000000 characters)" in " ".join(result.stdout.split())


def test_already_loaded_says_when_in_china_standard_time(store: Path, tmp_path: Path) -> None:
    stations = tmp_path / "st.csv"
    stations.write_text("station_id,name,network\nS1,一号站,air\n", encoding="utf-8")
    assert runner().invoke(app, ["load", "stations", str(stations)]).exit_code == 0
    # The load as if it ran at 00:36 UTC on 28 November: 08:36 the same day in Beijing.
    con = connect(store)
    con.execute("UPDATE load_log SET loaded_at = TIMESTAMPTZ '2026-11-28 00:36:00+00'")
    con.close()
    again = runner().invoke(app, ["load", "stations", str(stations)])
    assert again.exit_code == 0, again.output
    assert "already loaded on 2026-11-28 08:36 CST" in " ".join(again.stdout.split())
