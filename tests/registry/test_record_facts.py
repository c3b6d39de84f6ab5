"""Status words and record dates as departments write them: read, or flagged - never guessed."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from ecohub.registry.record_facts import normalize_dates, normalize_statuses


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        ("注销", "closed"),  # deregistered (business registration)
        ("已注销", "closed"),
        ("关停", "closed"),
        ("取缔", "closed"),
        ("吊销", "revoked"),  # licence revoked
        ("许可证撤销", "revoked"),
        ("停产整治", "suspended"),
        ("停止生产", "suspended"),
        ("歇业", "suspended"),
        ("正常", "active"),
        ("正常生产", "active"),
        ("存续（在营、开业、在册）", "active"),
        ("Active", "active"),
        ("未注销", None),  # "not deregistered": not a closure, and not clearly active either
        ("非正常", None),  # "abnormal" (tax: 非正常户)
        ("inactive", None),
        ("non-operating", None),
        ("迁出", None),  # moved out of the district: no status we know
    ],
)
def test_status_words(raw: str, status: str | None) -> None:
    got = normalize_statuses(pd.Series([raw])).iloc[0]
    assert got["status"] == status
    assert got["status_flag"] == (None if status else "status_unknown")


def test_no_status_is_no_statement() -> None:
    got = normalize_statuses(pd.Series([None, "", "  "]))
    assert got.isna().all().all()


@pytest.mark.parametrize(
    ("raw", "day"),
    [
        ("2024-05-01", date(2024, 5, 1)),
        ("2024/5/1", date(2024, 5, 1)),
        ("2024.5.1", date(2024, 5, 1)),
        ("2024年5月1日", date(2024, 5, 1)),
        ("20240501", date(2024, 5, 1)),
        ("2024-05-01 00:00:00", date(2024, 5, 1)),  # a spreadsheet's date cell as text
        ("2024-02-30", None),  # no such day
        ("45413", None),  # a spreadsheet serial number: not guessed
        ("1900-01-01", None),  # before any register of pollution sources
        ("2030-01-01", None),  # after "today" (2026-01-01 below)
        ("不详", None),
    ],
)
def test_record_dates(raw: str, day: date | None) -> None:
    got = normalize_dates(pd.Series([raw]), today=date(2026, 1, 1)).iloc[0]
    assert got["record_date"] == day
    assert got["record_date_flag"] == (None if day else "record_date_unreadable")
