"""What a department's list says about a unit's state: its status word and the record's own date.

Both columns are optional in a list (``records.HEADERS`` knows their usual headers). A value the
loader cannot read is not guessed at: the record loads without it and carries a flag saying why
(``status_unknown``, ``record_date_unreadable``), like the other doubtful parts of a record.

Status words are our own vocabulary, gathered from permit, business-registration and
enforcement exports (注销 deregistered, 吊销 licence revoked, 关闭 / 关停 / 取缔 closed, 停产
suspended, 正常 / 在产 / 存续 operating, ...). A value is matched by the words it contains, the
most final state first, so 已注销 and 注销（2021年） are closed and 正常生产 is active; a value
with a negation (未注销, 非正常) or without a known word is unknown rather than guessed.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pandas as pd

__all__ = ["RECORD_STATUSES", "normalize_dates", "normalize_statuses"]

#: What a record can say, most final first (the first whose word a value contains wins).
RECORD_STATUSES = ("revoked", "closed", "suspended", "active")
_WORDS: dict[str, tuple[str, ...]] = {
    "revoked": ("吊销", "撤销", "revoked", "revocation"),
    "closed": ("注销", "关闭", "关停", "取缔", "拆除", "淘汰", "closed", "shut", "deregistered"),
    "suspended": ("停产", "停业", "歇业", "停止", "临时停", "suspended", "idle"),
    "active": ("正常", "在产", "生产", "运行", "运营", "存续", "在业", "开业", "营业", "在营",
               "有效", "active", "operating", "open", "normal"),
}  # fmt: skip
# Before a word: a negation, or an English prefix glued to it (inactive, non-operating).
_NEGATIONS = ("未", "非", "不", "无", "not", "non", "no")
_GLUED = ("in", "un", "non")
# The oldest date a register of pollution sources can mean (our own bound: older is a typo).
_EARLIEST = date(1949, 10, 1)
_DASHED = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")


def _status_of(value: str) -> str | None:
    text = value.lower()
    for status in RECORD_STATUSES:
        for word in _WORDS[status]:
            at = text.find(word)
            if at < 0:
                continue
            before = text[:at]
            # "未注销" (not deregistered), "非正常" (abnormal), "inactive": not what the word says.
            if before.endswith(_GLUED) or before.rstrip(" -_").endswith(_NEGATIONS):
                return None
            return status
    return None


def normalize_statuses(values: pd.Series) -> pd.DataFrame:
    """``status_raw`` (as sent, trimmed), ``status`` (one of :data:`RECORD_STATUSES`, or None)
    and ``status_flag`` (``status_unknown`` when a value was given but not understood)."""
    raw = values.astype("string").str.normalize("NFKC").str.strip()
    raw = raw.astype(object).where(raw.notna() & (raw != ""), None)
    known = {v: _status_of(v) for v in pd.unique(raw.dropna())}
    status = raw.map(lambda v: known.get(v) if isinstance(v, str) else None)
    flag = [
        "status_unknown" if isinstance(r, str) and s is None else None
        for r, s in zip(raw, status, strict=True)
    ]
    return pd.DataFrame(
        {"status_raw": raw, "status": status, "status_flag": flag}, index=values.index
    )


def _date_of(value: str, latest: date) -> date | None:
    text = re.sub(r"[年月./]", "-", value).replace("日", "")
    m = _DASHED.match(text) or _COMPACT.match(text)
    if m is None:
        return None
    try:
        day = date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:  # 2024-02-30
        return None
    return day if _EARLIEST <= day <= latest else None


def normalize_dates(values: pd.Series, today: date | None = None) -> pd.DataFrame:
    """``record_date`` (a date, or None) and ``record_date_flag`` (``record_date_unreadable``
    when a value was given but is not a calendar date between 1949-10-01 and tomorrow).

    Read: 2024-05-01, 2024/5/1, 2024.5.1, 2024年5月1日, 20240501, and any of them followed by a
    time (spreadsheets write dates as ``2024-05-01 00:00:00``). A future date is refused: it
    would make its record the newest for years."""
    text = values.astype("string").str.normalize("NFKC").str.strip()
    text = text.astype(object).where(text.notna() & (text != ""), None)
    latest = (today or date.today()) + timedelta(days=1)
    seen = {v: _date_of(v, latest) for v in pd.unique(text.dropna())}
    out = text.map(lambda v: seen.get(v) if isinstance(v, str) else None).astype(object)
    flag = [
        "record_date_unreadable" if isinstance(v, str) and d is None else None
        for v, d in zip(text, out, strict=True)
    ]
    return pd.DataFrame({"record_date": out, "record_date_flag": flag}, index=values.index)
