"""A permit file's reject file escapes formula text (assessment finding F2) and, fixed and
loaded again, gives the original values."""

from __future__ import annotations

import csv
from pathlib import Path

from ecohub.supervision import load_permits
from tests.supervision.series import store

HEADER = ["permit_no", "source_code", "outlet_code", "pollutant", "limit", "unit", "period",
          "reference_o2", "standard", "valid_from", "valid_to"]  # fmt: skip
STANDARD = '=HYPERLINK("http://evil.example/","GB 13223-2011")'


def test_a_fixed_reject_file_loads_the_original_values(tmp_path: Path) -> None:
    con = store()
    src = tmp_path / "p.csv"
    with src.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        w.writerow(["P1", "S1", "DA001", "a99999", "35", "mg/m3", "hour", "6", STANDARD, "", ""])
    out = load_permits(con, src)
    assert out["rejected"] == 1
    with open(out["reject_path"], encoding="utf-8-sig", newline="") as fh:
        rejects = list(csv.DictReader(fh))
    assert rejects[0]["standard"] == "'" + STANDARD and rejects[0]["limit"] == "35"
    fixed = tmp_path / "fixed.csv"
    with fixed.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rejects[0]))
        w.writeheader()
        w.writerow({**rejects[0], "pollutant": "a21026"})
    assert load_permits(con, fixed)["loaded"] == 1
    assert con.execute("SELECT basis FROM permit_limit").fetchall() == [(STANDARD,)]
