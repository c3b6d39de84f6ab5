"""Permit loader defects (9): every copy of a conflicting duplicate in the rejects file, GB 18030
/ GBK files read, a pollutant on an outlet of the other medium rejected."""

from __future__ import annotations

import csv
from pathlib import Path

from ecohub.supervision import load_permits
from tests.supervision.series import store

from .test_permits import GOOD, HEADER, _write


def _rejects(out: dict) -> list[dict[str, str]]:
    """The reject file as a spreadsheet reads it: UTF-8 after its byte-order mark."""
    path = Path(out["reject_path"])
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    with path.open(encoding="utf-8-sig") as f:
        return list(csv.DictReader(f))


def test_every_copy_of_a_conflicting_duplicate_is_in_the_rejects_file(tmp_path: Path) -> None:
    con = store()
    other = [*GOOD[:4], "40", *GOOD[5:]]  # the same permit, outlet, pollutant, period; limit 40
    nox = ["P1", "S1", "DA001", "a21002", "50", "mg/m3", "hour", "6", "", "", ""]
    out = load_permits(con, _write(tmp_path / "p.csv", [GOOD, nox, other, GOOD]))
    assert (out["loaded"], out["rejected"]) == (1, 3)
    got = _rejects(out)
    assert [r["line"] for r in got] == ["2", "4", "5"]  # lines 2, 4 and 5; line 3 is NOx
    assert all("repeated with different values" in r["reason"] for r in got)
    assert con.execute("SELECT pollutant FROM permit_limit").fetchall() == [("a21002",)]


def test_a_gb18030_file_is_read(tmp_path: Path) -> None:
    con = store()
    path = tmp_path / "许可.csv"
    header = [
        "许可证编号",
        "污染源编码",
        "排放口编号",
        "污染物",
        "限值",
        "单位",
        "时段",
        "基准氧含量",
    ]
    with path.open("w", newline="", encoding="gb18030") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerow(["P1", "S1", "DA001", "二氧化硫", "35", "mg/m³", "小时", "6"])
    out = load_permits(con, path)
    assert (out["loaded"], out["rejected"]) == (1, 0), out
    assert con.execute('SELECT pollutant, "limit" FROM permit_limit').fetchall() == [
        ("a21026", 35.0)
    ]


def test_a_pollutant_of_the_other_medium_is_rejected(tmp_path: Path) -> None:
    con = store()
    con.execute(
        "INSERT INTO outlet (outlet_code, source_code, medium) VALUES ('DW001', 'S1', 'water')"
    )
    rows = [
        ["P1", "S1", "DW001", "a21026", "35", "mg/m3", "hour", "6", "", "", ""],
        ["P1", "S1", "DA001", "w01018", "50", "mg/L", "day", "", "", "", ""],
        ["P1", "S1", "DW001", "w01018", "50", "mg/L", "day", "", "", "", ""],
    ]
    out = load_permits(con, _write(tmp_path / "p.csv", rows, HEADER))
    assert (out["loaded"], out["rejected"]) == (1, 2)
    first, second = _rejects(out)
    assert "a21026 is a flue-gas (a…) pollutant, not one of outlet DW001" in first["reason"]
    assert "w01018 is a water (w…) pollutant, not one of outlet DA001" in second["reason"]


def test_the_registered_medium_decides(tmp_path: Path) -> None:
    con = store()
    # An outlet coded outside HJ 608 but registered as a gas outlet.
    con.execute(
        "INSERT INTO outlet (outlet_code, source_code, medium) VALUES ('FQ01', 'S1', 'gas')"
    )
    rows = [["P1", "S1", "FQ01", "w01018", "50", "mg/L", "day", "", "", "", ""],
            ["P1", "S1", "FQ01", "a21026", "35", "mg/m3", "hour", "6", "", "", ""]]  # fmt: skip
    out = load_permits(con, _write(tmp_path / "p.csv", rows, HEADER))
    assert (out["loaded"], out["rejected"]) == (1, 1)
    assert "not one of outlet FQ01" in out["rejects"][0]["reason"]
