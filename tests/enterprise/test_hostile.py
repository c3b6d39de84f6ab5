"""Hostile input: any cell text is either accepted or rejected with a reason, never an
exception; parsers accept exactly their documented forms."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecohub.enterprise import fields
from ecohub.enterprise.rows import KINDS, parse

TEXT = st.text(st.characters(codec="utf-8"), max_size=30) | st.sampled_from(
    ["2026-01-02", "2026/1/2", "2026年1月2日", "5万元", "50,000元", "未结案", "已结案", "", " ",
     "1e309", "nan", "-1", "2026-02-30", "x" * 600]
)  # fmt: skip


@given(st.lists(st.fixed_dictionaries({h: TEXT for h in
       ("案件编号", "检查日期", "单位名称", "统一社会信用代码", "违法类型", "罚款金额", "状态")}),
       min_size=1, max_size=8))  # fmt: skip
@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_case_row_is_loaded_or_rejected_with_a_reason(rows: list[dict[str, str]]) -> None:
    frame = pd.DataFrame(rows, dtype=str)
    ok, rejects = parse(frame, KINDS["cases"])
    for r in rejects:
        assert 2 <= r["row"] <= len(rows) + 1
        assert r["column"] in frame.columns and r["reason"]
    rejected = {r["row"] for r in rejects}
    # Every row not rejected is one of the loaded cases (identical repeats collapse into one).
    assert len(ok) <= len(rows) - len(rejected)
    assert len(ok) >= (1 if len(rejected) < len(rows) else 0)
    for _, row in ok.iterrows():
        assert row["status"] in ("open", "closed")
        assert row["penalty_yuan"] is None or 0 <= row["penalty_yuan"] <= fields.MAX_PENALTY_YUAN


@given(TEXT)
@settings(max_examples=300, deadline=None)
def test_parsers_return_a_value_or_a_reason(text: str) -> None:
    for parse_cell in (fields.parse_date, fields.parse_amount, fields.parse_status):
        try:
            parse_cell(text)
        except ValueError as exc:
            assert str(exc)


@pytest.mark.parametrize(
    ("text", "day"),
    [("2026-03-02", date(2026, 3, 2)), ("2026/3/2", date(2026, 3, 2)),
     ("2026.03.02", date(2026, 3, 2)), ("2026年3月2日", date(2026, 3, 2)),
     ("2026-03-02 00:00:00", date(2026, 3, 2))],
)  # fmt: skip
def test_date_forms(text: str, day: date) -> None:
    assert fields.parse_date(text) == day


@pytest.mark.parametrize("text", ["2026-02-30", "1979-01-01", "2999-01-01", "02/03/2026", "x"])
def test_dates_refused(text: str) -> None:
    with pytest.raises(ValueError):
        fields.parse_date(text)


@pytest.mark.parametrize(
    ("text", "yuan"),
    [("50000", 50000.0), ("5万", 50000.0), ("5.2 万元", 52000.0), ("50,000元", 50000.0),
     ("", None), ("无", None)],
)  # fmt: skip
def test_amount_forms(text: str, yuan: float | None) -> None:
    assert fields.parse_amount(text) == yuan


@pytest.mark.parametrize("text", ["-5", "abc", "1e3", "99999999999", "5 万 万"])
def test_amounts_refused(text: str) -> None:
    with pytest.raises(ValueError):
        fields.parse_amount(text)
