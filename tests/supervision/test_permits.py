"""`load permits`: good rows in, bad rows out with reasons; exceedance events from the limits."""

from __future__ import annotations

import csv
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecohub.supervision import PermitLoadError, detect, load_permits
from ecohub.supervision.rules import rule
from tests.supervision.series import MN, T0, clean, load, store, table

H = timedelta(hours=1)
D = timedelta(days=1)
HEADER = ["permit_no", "source_code", "outlet_code", "pollutant", "limit", "unit", "period",
          "reference_o2", "standard", "valid_from", "valid_to"]  # fmt: skip
GOOD = ["P1", "S1", "DA001", "a21026", "35", "mg/m3", "hour", "6", "GB 13223-2011", "", ""]


def _write(path: Path, rows: list[list[str]], header: list[str] = HEADER) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


BAD = [
    (["P1", "S1", "DA001", "a99999", "35", "mg/m3", "hour", "6", "", "", ""], "pollutant: unknown"),
    (["P1", "S1", "DA001", "a21002", "-1", "mg/m3", "hour", "6", "", "", ""], "limit: must be"),
    (["P1", "S1", "DA001", "a21002", "x", "mg/m3", "hour", "6", "", "", ""], "limit: not a number"),
    (["P1", "S1", "DA001", "a21002", "50", "mg/L", "hour", "6", "", "", ""], "unit: 'mg/L'"),
    (["P1", "S1", "DA001", "a21002", "50", "mg/m3", "week", "6", "", "", ""], "period: expected"),
    (["P1", "S1", "DA009", "a21002", "50", "mg/m3", "hour", "6", "", "", ""], "outlet_code: DA009"),
    (["P2", "S9", "DA001", "a21002", "50", "mg/m3", "hour", "6", "", "", ""], "source_code: S9"),
    (["P1", "S1", "DA001", "a21002", "50", "mg/m3", "day", "21", "", "", ""], "reference_o2"),
    (["P1", "S1", "DA001", "a21002", "50", "mg/m3", "day", "6", "", "2026-05-01", "2026-01-01"],
     "is after valid_to"),
    (["P1", "S2", "DA001", "a21002", "50", "mg/m3", "day", "6", "", "", ""], "belongs to S1"),
    (["", "S1", "DA001", "a21002", "50", "mg/m3", "day", "6", "", "", ""], "permit_no: empty"),
]  # fmt: skip


def test_good_rows_loaded_bad_rows_rejected_with_reasons(tmp_path: Path) -> None:
    con = store()
    nox_day = ["P1", "S1", "DA001", "二氧化硫", "30", "mg/m³", "日", "6", "", "2026-01-01", ""]
    path = _write(tmp_path / "permits.csv", [GOOD, nox_day] + [r for r, _ in BAD])
    out = load_permits(con, path)
    assert (out["rows"], out["loaded"], out["rejected"]) == (2 + len(BAD), 2, len(BAD))
    for got, (_, reason) in zip(out["rejects"], BAD, strict=True):
        assert reason in got["reason"], (got, reason)
    assert Path(out["reject_path"]).exists()
    rows = con.execute(
        'SELECT pollutant, "limit", unit, period, reference_o2, basis FROM permit_limit '
        "ORDER BY period"
    ).fetchall()
    assert rows == [("a21026", 30.0, "mg/m³", "day", 6.0, None),
                    ("a21026", 35.0, "mg/m³", "hour", 6.0, "GB 13223-2011")]  # fmt: skip
    again = load_permits(con, path)
    assert again["loaded"] == 2
    assert con.execute("SELECT count(*) FROM permit_limit").fetchall()[0][0] == 2


def test_chinese_headers_and_missing_columns(tmp_path: Path) -> None:
    con = store()
    zh = ["许可证编号", "污染源编码", "排放口编号", "污染物", "限值", "单位", "时段", "基准氧含量",
          "执行标准", "有效期起", "有效期止"]  # fmt: skip
    assert load_permits(con, _write(tmp_path / "zh.csv", [GOOD], zh))["loaded"] == 1
    with pytest.raises(PermitLoadError, match="missing column"):
        load_permits(con, _write(tmp_path / "bad.csv", [GOOD[:3]], HEADER[:3]))
    with pytest.raises(PermitLoadError, match="no such file"):
        load_permits(con, tmp_path / "none.csv")


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.lists(st.text(max_size=12), min_size=11, max_size=11), max_size=6))
def test_junk_rows_never_raise(tmp_path: Path, rows: list[list[str]]) -> None:
    con = store()
    clean_rows = [[c.replace("\x00", "") for c in r] for r in rows]
    out = load_permits(con, _write(tmp_path / "junk.csv", clean_rows))
    assert out["loaded"] + out["rejected"] == out["rows"]


def _limits(con, tmp_path: Path, rows: list[list[str]]) -> None:
    load_permits(con, _write(tmp_path / "p.csv", rows))


def test_hourly_exceedance_event(tmp_path: Path) -> None:
    v = clean(8 * 60)
    hour = np.arange(8 * 60) // 60
    zs = np.where((hour >= 2) & (hour <= 4), 40.0 + hour, 20.0)  # 42, 43, 44 over a 35 limit
    con = store()
    _limits(con, tmp_path, [GOOD])
    load(con, table(v, zs={"a21026": zs}))
    detect(con, T0, T0 + 8 * H, rules=[rule("missing_minutes")])
    got = con.execute(
        'SELECT pollutant, period, start, "end", peak, "limit", multiple, open FROM exceedance'
    ).fetchall()
    assert got == [("a21026", "hour", T0 + 2 * H, T0 + 5 * H, 44.0, 35.0, 44.0 / 35.0, False)]


@pytest.mark.parametrize("flag", ["C", "X", "c"])
def test_marked_hours_are_not_exceedances(tmp_path: Path, flag: str) -> None:
    v = clean(4 * 60)
    zs = np.full(4 * 60, 50.0)
    # calibration all along, or a flag HJ 212-2017 does not define
    flags = {p: np.full(4 * 60, flag, dtype=object) for p in v}
    con = store()
    _limits(con, tmp_path, [GOOD])
    load(con, table(v, zs={"a21026": zs}, flags=flags))
    detect(con, T0, T0 + 4 * H, rules=[rule("missing_minutes")])
    assert con.execute("SELECT count(*) FROM exceedance").fetchall()[0][0] == 0


def test_daily_limit_and_open_event(tmp_path: Path) -> None:
    # day 1 mean 31 over a daily 30; day 2 the same -> one event of two days, still open
    v = clean(2 * 1440)
    con = store()
    day = ["P1", "S1", "DA001", "a21026", "30", "mg/m3", "day", "6", "", "", ""]
    _limits(con, tmp_path, [day])
    load(con, table(v, zs={"a21026": np.full(2 * 1440, 31.0)}))
    detect(con, T0, T0 + 2 * D, rules=[rule("missing_minutes")])
    got = con.execute('SELECT period, start, "end", peak, open FROM exceedance').fetchall()
    assert got == [("day", T0, T0 + 2 * D, 31.0, True)]


def test_limit_not_in_force_is_not_used(tmp_path: Path) -> None:
    v = clean(4 * 60)
    con = store()
    later = [*GOOD[:9], "2026-04-01", ""]
    _limits(con, tmp_path, [later])
    load(con, table(v, zs={"a21026": np.full(4 * 60, 50.0)}))
    detect(con, T0, T0 + 4 * H, rules=[rule("missing_minutes")])
    assert con.execute("SELECT count(*) FROM exceedance").fetchall()[0][0] == 0
    assert MN  # the series' device
