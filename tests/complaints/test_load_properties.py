"""Property test of the complaint loader: whatever the cells hold, the load raises nothing, and
every record is either stored or rejected with a row, a column and a reason (never lost)."""

from __future__ import annotations

import atexit
import csv
import shutil
import tempfile
from pathlib import Path

import duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecohub.complaints.load import load_complaints
from ecohub.store.db import connect

_DIR = Path(tempfile.mkdtemp(prefix="ecohub-cprop-"))
atexit.register(shutil.rmtree, _DIR, ignore_errors=True)
_DB: list[duckdb.DuckDBPyConnection] = []

cell = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["", "NaN", "2026-10-01 08:00", "2026年10月1日", "116.4", "39.9", "-1e309",
                     "北京市朝阳区", "夜间施工噪音", "=1+1", "\x00", "９９"]),
)  # fmt: skip


def _con() -> duckdb.DuckDBPyConnection:
    if not _DB:
        _DB.append(connect(":memory:"))
    return _DB[0]


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.tuples(cell, cell, cell, cell, cell), min_size=1, max_size=8))
def test_every_record_is_stored_or_rejected(rows: list[tuple[str, ...]]) -> None:
    con = _con()
    con.execute("DELETE FROM complaint")
    path = _DIR / "p.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "投诉时间", "投诉内容", "经度", "纬度"])
        for i, r in enumerate(rows):
            w.writerow([f"R{i}", *(c.replace("\x00", "") for c in r[:4])])
    report = load_complaints(con, path, force=True, reject_path=_DIR / "p.rejects.csv")
    rejected_rows = {r.row for r in report.first_rejects}
    assert report.new + report.rejected == len(rows), report  # the id cell is never blank
    assert len(rejected_rows) == report.rejected
    assert all(r.reason and r.column for r in report.first_rejects)
    stored = con.execute("SELECT count(*) FROM complaint").fetchone()
    assert stored == (report.new,)
