"""`ecohub supervise detect|anomalies` end to end through a temporary store file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import Result

from ecohub.store.db import connect
from tests.cli._run import csv_rows, run_cli
from tests.supervision.series import MN, clean, load, table


def _invoke(db: Path, *args: str) -> Result:
    return run_cli("supervise", *args, db=db)


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sup") / "ecohub.duckdb"
    con = connect(path)
    con.execute("INSERT INTO source (source_code, region_code) VALUES ('S1', '130203')")
    con.execute(
        f"INSERT INTO monitor_point (mn, source_code, outlet_code) VALUES ('{MN}', 'S1', 'DA001')"
    )
    v = clean(600)
    v["a21026"][100:400] = 42.0  # 300 equal values: constant for 5 h
    load(con, table(v))
    con.close()
    result = _invoke(path, "detect", "--from", "2026-03-02", "--to", "2026-03-02")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["findings"] == {"constant": 1}
    return path


def test_anomalies_formats(db: Path) -> None:
    out = _invoke(db, "anomalies", "--format", "json", "--rule", "constant")
    assert out.exit_code == 0, out.output
    rows = json.loads(out.output)
    assert [(r["mn"], r["source_code"], r["outlet"], r["pollutant"], r["start"], r["end"])
            for r in rows] == [(MN, "S1", "DA001", "a21026", "2026-03-02T01:40:00+08:00",
                                "2026-03-02T06:39:00+08:00")]  # fmt: skip
    out = _invoke(db, "anomalies", "--format", "csv", "--mn", MN, "--from", "2026-03-02")
    got = csv_rows(out.output)
    assert list(got[0]) == ["mn", "source_code", "outlet", "pollutant", "rule", "start", "end",
                            "evidence", "severity", "status"]  # fmt: skip
    assert json.loads(got[0]["evidence"])["min"] == 42.0
    out = _invoke(db, "anomalies")
    assert out.exit_code == 0 and "1 row(s)" in out.output
    assert (
        _invoke(db, "anomalies", "--format", "json", "--from", "2026-03-03").output.strip() == "[]"
    )
    # --pollutant by code or formula; another pollutant has no finding.
    for name in ("a21026", "SO2"):
        out = _invoke(db, "anomalies", "--format", "json", "--pollutant", name)
        assert [r["pollutant"] for r in json.loads(out.output)] == ["a21026"], out.output
    out = _invoke(db, "anomalies", "--format", "json", "--pollutant", "a21002")
    assert out.output.strip() == "[]"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["anomalies", "--format", "xml"], "--format: expected one of table, csv, json"),
        (["anomalies", "--rule", "nope"], "--rule: unknown rule 'nope'"),
        (["anomalies", "--from", "yesterday"], "--from: expected a day"),
        (["anomalies", "--from", "2026-03-03", "--to", "2026-03-01"], "is not before"),
        (["detect", "--from", "2026-03-02", "--to", "2026-02-01"], "is not before"),
        (["detect", "--from", "2026-03-02", "--to", "2026-03-02", "--rule", "x"], "unknown rule"),
    ],
)
def test_bad_options(db: Path, args: list[str], message: str) -> None:
    out = _invoke(db, *args)
    assert out.exit_code != 0
    assert message in out.output
    assert "Traceback" not in out.output


def test_load_permits_and_exceedances(db: Path, tmp_path: Path) -> None:
    from ecohub.settings import get_settings

    permits = tmp_path / "permits.csv"
    permits.write_text(
        "permit_no,source_code,outlet_code,pollutant,limit,unit,period,reference_o2\n"
        "P1,S1,DA001,a21026,35,mg/m3,hour,6\n"
        "P1,S1,DA001,a21002,abc,mg/m3,hour,6\n",
        encoding="utf-8",
    )
    get_settings.cache_clear()
    out = run_cli("load", "permits", str(permits), db=db)
    assert out.exit_code == 0, out.output
    summary = json.loads(out.output)
    assert (summary["loaded"], summary["rejected"]) == (1, 1)
    assert "limit: not a number" in Path(summary["reject_path"]).read_text(encoding="utf-8")
    done = _invoke(db, "detect", "--from", "2026-03-02", "--to", "2026-03-02", "--rule", "silent")
    assert done.exit_code == 0, done.output
    rows = json.loads(_invoke(db, "exceedances", "--format", "json").output)
    # the series' SO2 of 42 mg/m3 (hours 1-6) converts at 6 % O2 to more than 35
    assert rows and {r["pollutant"] for r in rows} == {"a21026"}
    assert all(r["multiple"] > 1 for r in rows)
    missing = run_cli("load", "permits", str(tmp_path / "none.csv"), db=db)
    assert missing.exit_code == 1 and "no such file" in missing.output


def test_load_permits_through_the_door(db: Path, tmp_path: Path) -> None:
    from ecohub.settings import get_settings

    good = tmp_path / "permits.csv"
    good.write_text(
        "permit_no,source_code,outlet_code,pollutant,limit,unit,period,reference_o2\n"
        "P1,S1,DA001,a21026,35,mg/m3,hour,6\n"
        "P1,S9,DA001,a21026,35,mg/m3,hour,6\n",
        encoding="utf-8",
    )
    get_settings.cache_clear()
    out = run_cli("load", "permits", str(good), db=db)
    assert out.exit_code == 0, out.output
    summary = json.loads(out.output)
    assert (summary["rows"], summary["loaded"], summary["rejected"]) == (2, 1, 1)
    assert "rejects" not in summary and Path(summary["reject_path"]).exists()
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n", encoding="utf-8")
    out = run_cli("load", "permits", str(bad), db=db)
    assert out.exit_code == 1 and "missing column(s): permit_no" in out.output
    assert "Traceback" not in out.output
