"""`ecohub load cases|eia` and `ecohub source profile|watchlist|unapproved` end to end through a
temporary store (the CLI's door runs the API in-process)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import Result

from ecohub.registry.records import load_records
from ecohub.registry.service import link
from ecohub.store.db import connect
from tests.cli._run import csv_rows, run_cli
from tests.enterprise.test_loads import CASES, REGISTRY, _code


def _invoke(data: Path, *args: str) -> Result:
    return run_cli(*args, data_dir=data)


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import pandas as pd

    root = tmp_path_factory.mktemp("ent-cli")
    con = connect(root / "ecohub.duckdb")
    rows = [{"许可证流水号": r[0], "单位名称": r[1], "统一社会信用代码": _code(i),
             "行政区划代码": r[2], "行业类别": r[3], "生产经营场所地址": r[4]}
            for i, r in enumerate(REGISTRY)]  # fmt: skip
    pd.DataFrame(rows).to_csv(root / "permit.csv", index=False)
    load_records(con, "permit", root / "permit.csv")
    link(con)
    con.close()
    (root / "cases.csv").write_text(CASES.format(c0=_code(0)), encoding="utf-8")
    out = _invoke(root, "load", "cases", str(root / "cases.csv"))
    assert out.exit_code == 0, out.output
    assert "3 new" in out.output and "4 rejected" in out.output
    assert "row 5, 检查日期: case_date: no such day" in out.output
    return root


def test_reload_and_whole_file_errors(data: Path) -> None:
    again = _invoke(data, "load", "cases", str(data / "cases.csv"))
    assert again.exit_code == 0 and "already loaded" in again.output
    bad = data / "bad.csv"
    bad.write_text("单位名称\n某公司\n", encoding="utf-8")
    out = _invoke(data, "load", "eia", str(bad))
    assert out.exit_code == 1
    assert "bad.csv: missing column(s) approval_no, approval_date, project" in out.output
    assert "Traceback" not in out.output
    out = _invoke(data, "load", "eia", str(data / "none.csv"))
    assert out.exit_code == 1 and "no such file" in out.output


def test_source_commands(data: Path) -> None:
    con = connect(data / "ecohub.duckdb", read_only=True)
    row = con.execute("SELECT source_code FROM source_record WHERE record_id = 'R1'").fetchone()
    con.close()
    assert row is not None
    code = row[0]
    out = _invoke(data, "source", "profile", code, "--format", "json")
    assert out.exit_code == 0, out.output
    prof = json.loads(out.output)
    assert [c["case_id"] for c in prof["cases"]] == ["K1"]
    assert "open_cases" in prof["risk"]["serious"]
    out = _invoke(data, "source", "watchlist", "--region", "130000", "--format", "csv")
    assert out.exit_code == 0, out.output
    listed = csv_rows(out.output)
    assert code in [r["source_code"] for r in listed]
    out = _invoke(data, "source", "unapproved", "--region", "130000")
    assert out.exit_code == 0, out.output
    assert "6 row(s)" in out.output  # six listed industries, no approval loaded
    out = _invoke(data, "source", "profile", "NOSUCH")
    assert out.exit_code == 1 and "not found" in out.output
    out = _invoke(data, "source", "watchlist", "--month", "2026-13")
    assert out.exit_code == 1 and "--month" in out.output and "YYYY-MM" in out.output
    out = _invoke(data, "source", "unapproved", "--format", "xml")
    assert out.exit_code == 1 and "--format" in out.output
