"""The columns of the two files: header spellings (Chinese or English) and cell parsing.

Each parser takes the cell text and returns the clean value or raises ``ValueError`` whose
message is the reason written to the reject file (the column is named beside it).
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime

__all__ = [
    "CASE_HEADERS",
    "CASE_REQUIRED",
    "EIA_HEADERS",
    "EIA_REQUIRED",
    "MAX_CHARS",
    "parse_amount",
    "parse_date",
    "parse_status",
]

#: Field -> accepted header spellings, compared trimmed and lower-cased.
CASE_HEADERS: dict[str, tuple[str, ...]] = {
    "case_id": ("case_id", "case_no", "案件编号", "案号", "处罚决定书文号", "文书号", "编号"),
    "case_date": ("date", "case_date", "日期", "检查日期", "处罚日期", "决定日期", "立案日期"),
    "unit_name": ("unit", "unit_name", "name", "单位名称", "企业名称", "当事人", "被处罚单位"),
    "uscc": ("uscc", "credit_code", "统一社会信用代码", "社会信用代码", "信用代码"),
    "address": ("address", "地址", "单位地址", "详细地址"),
    "violation_type": ("violation_type", "violation", "违法类型", "违法行为", "违法行为类型"),
    "legal_basis": ("legal_basis", "basis", "处罚依据", "法律依据", "依据"),
    "penalty": ("penalty", "penalty_amount", "penalty_yuan", "罚款金额", "处罚金额", "罚款"),
    "status": ("status", "状态", "办理状态", "案件状态", "执行情况"),
}
CASE_REQUIRED = ("case_date", "unit_name")

EIA_HEADERS: dict[str, tuple[str, ...]] = {
    "approval_no": ("approval_no", "批复文号", "审批文号", "文号"),
    "approval_date": ("approval_date", "date", "批复日期", "审批日期", "批准日期"),
    "project": ("project", "项目名称", "建设项目名称", "项目"),
    "unit_name": ("unit", "unit_name", "name", "建设单位", "单位名称", "企业名称"),
    "uscc": ("uscc", "credit_code", "统一社会信用代码", "社会信用代码", "信用代码"),
    "address": ("address", "建设地点", "地址", "项目地址"),
    "capacity": ("capacity", "规模", "建设规模", "产能", "设计产能"),
    "industry": ("industry", "行业", "行业类别", "行业代码"),
}
EIA_REQUIRED = ("approval_no", "approval_date", "project", "unit_name")

#: Longest text a cell may hold (characters); a longer one is a broken export or an attack and
#: the row is rejected (the registry caps its fields the same way).
MAX_CHARS: dict[str, int] = {
    "case_id": 100, "unit_name": 200, "uscc": 40, "address": 500, "violation_type": 200,
    "legal_basis": 500, "status": 40, "approval_no": 100, "project": 300, "capacity": 200,
    "industry": 200, "penalty": 40, "case_date": 40, "approval_date": 40,
}  # fmt: skip

# Dates as departments write them: 2026-03-02, 2026/3/2, 2026.3.2, 2026年3月2日, and Excel's
# "2026-03-02 00:00:00".
_DATE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T]00:00(?::00)?)?$")
EARLIEST = date(1979, 9, 13)  # 环境保护法（试行）: no environmental case or approval before it


def parse_date(text: str) -> date:
    """A calendar day between 1979-09-13 and today."""
    m = _DATE.match(text.strip())
    if m is None:
        raise ValueError(f"not a date (YYYY-MM-DD): {text!r}")
    try:
        day = date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        raise ValueError(f"no such day: {text!r}") from None
    if day < EARLIEST:
        raise ValueError(f"{day} is before 1979-09-13 (the first environmental protection law)")
    if day > datetime.now().date():
        raise ValueError(f"{day} is in the future")
    return day


# Amounts: "50000", "5万", "5万元", "50,000元", "5.2 万元".
_AMOUNT = re.compile(r"^([0-9][0-9,]*(?:\.[0-9]+)?)\s*(万)?\s*元?$")
MAX_PENALTY_YUAN = 1e10  # above any penalty under Chinese environmental law; a typo or an attack


def parse_amount(text: str) -> float | None:
    """Yuan; blank is ``None`` (no penalty)."""
    s = text.strip().replace("，", ",").replace("．", ".")
    if not s or s in ("-", "—", "无"):
        return None
    m = _AMOUNT.match(s)
    if m is None:
        raise ValueError(f"not an amount in yuan (50000, 5万元): {text!r}")
    value = float(m[1].replace(",", "")) * (10_000 if m[2] else 1)
    if not math.isfinite(value) or value > MAX_PENALTY_YUAN:
        raise ValueError(f"amount {text!r} is above {MAX_PENALTY_YUAN:.0e} yuan")
    return value


# Case states as the enforcement systems write them; anything else is rejected.
_STATUS = {
    "closed": ("closed", "done", "已结案", "结案", "已办结", "办结", "已执行", "执行完毕",
               "已整改"),
    "open": ("open", "pending", "未结案", "在办", "办理中", "执行中", "立案", "已立案", "待整改",
             "未整改"),
}  # fmt: skip


def parse_status(text: str) -> str:
    """``open`` or ``closed``; blank is ``closed`` only for an inspection without violation,
    which the caller decides, so blank raises here."""
    s = text.strip().lower()
    for status, words in _STATUS.items():
        if s in words:
            return status
    known = ", ".join(w for words in _STATUS.values() for w in words[:4])
    raise ValueError(f"unknown status {text!r} (e.g. {known})")
