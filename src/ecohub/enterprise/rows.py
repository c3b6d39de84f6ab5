"""The rows of a cases or approvals file: columns by header, each row parsed or rejected.

Pure: a frame in, the good rows (one per id) and the rejects (row, column, value, reason) out.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ecohub.enterprise import fields
from ecohub.enterprise.links import CASE_SYSTEM, EIA_SYSTEM, cases_sql, eia_sql
from ecohub.ingest.report import LoadError, shorten

__all__ = ["KINDS", "Kind", "parse"]


@dataclass(frozen=True)
class Kind:
    """One kind of file: its table, key, registry system, headers and row parser."""

    name: str  # cases | eia
    table: str
    key: str
    system: str
    headers: dict[str, tuple[str, ...]]
    required: tuple[str, ...]
    parse: Callable[[dict[str, str]], dict[str, Any]]
    linked_sql: str


def _text(raw: dict[str, str], field: str) -> str | None:
    value = raw.get(field, "").strip()
    return value or None


def _case(raw: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "case_date": _cell(raw, "case_date", fields.parse_date),
        "unit_name": _text(raw, "unit_name"),
        "uscc": _text(raw, "uscc"),
        "address": _text(raw, "address"),
        "violation_type": _text(raw, "violation_type"),
        "legal_basis": _text(raw, "legal_basis"),
        "penalty_yuan": _cell(raw, "penalty", fields.parse_amount),
        "status_raw": _text(raw, "status"),
    }
    if out["unit_name"] is None:
        raise _Bad("unit_name", "", "empty unit name")
    if out["status_raw"] is None:
        # An inspection that found nothing has nothing to close; a violation without a state
        # cannot be judged (open cases weigh in the risk score), so it is rejected.
        if out["violation_type"] or out["penalty_yuan"]:
            raise _Bad("status", "", "empty status of a case with a violation or penalty")
        out["status"] = "closed"
    else:
        out["status"] = _cell(raw, "status", fields.parse_status)
    given = _text(raw, "case_id")
    if given is None:
        # No case number in the file: one from what identifies a case, so a reload of the same
        # case (a changed status or amount) updates it rather than adding another.
        ident = "|".join(str(out[k] or "") for k in ("case_date", "unit_name", "uscc",
                                                       "violation_type"))  # fmt: skip
        given = "C" + hashlib.sha1(ident.encode("utf-8")).hexdigest()[:16].upper()
    out["case_id"] = given
    return out


def _eia(raw: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "approval_no": _text(raw, "approval_no"),
        "approval_date": _cell(raw, "approval_date", fields.parse_date),
        "project": _text(raw, "project"),
        "unit_name": _text(raw, "unit_name"),
        "uscc": _text(raw, "uscc"),
        "address": _text(raw, "address"),
        "capacity": _text(raw, "capacity"),
        "industry": _text(raw, "industry"),
    }
    for f in ("approval_no", "project", "unit_name"):
        if out[f] is None:
            raise _Bad(f, "", f"empty {f.replace('_', ' ')}")
    return out


class _Bad(ValueError):
    def __init__(self, field: str, value: str, reason: str) -> None:
        super().__init__(reason)
        self.field, self.value, self.reason = field, value, reason


def _cell(raw: dict[str, str], field: str, parse: Callable[[str], Any]) -> Any:
    value = raw.get(field, "")
    try:
        return parse(value)
    except ValueError as exc:
        raise _Bad(field, value, str(exc)) from None


KINDS = {
    "cases": Kind("cases", "enforcement_case", "case_id", CASE_SYSTEM, fields.CASE_HEADERS,
                   fields.CASE_REQUIRED, _case, cases_sql),
    "eia": Kind("eia", "eia_approval", "approval_no", EIA_SYSTEM, fields.EIA_HEADERS,
                 fields.EIA_REQUIRED, _eia, eia_sql),
}  # fmt: skip


def _columns(frame: pd.DataFrame, kind: Kind) -> dict[str, str]:
    found: dict[str, str] = {}
    for name in frame.columns:
        key = str(name).strip().lower()
        for target, spellings in kind.headers.items():
            if target not in found and key in (s.lower() for s in spellings):
                found[target] = str(name)
    missing = [f for f in kind.required if f not in found]
    if missing:
        heads = ", ".join(shorten(str(c), 40) for c in frame.columns)
        spell = "; ".join(f"{f}: {' / '.join(kind.headers[f][:4])}" for f in missing)
        raise LoadError(f"missing column(s) {', '.join(missing)} ({spell}); the file has: {heads}")
    return found


def parse(frame: pd.DataFrame, kind: Kind) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """Good rows (one per id) and the rejects."""
    cols = _columns(frame, kind)
    good: dict[str, dict[str, Any]] = {}
    first_line: dict[str, int] = {}
    rejects: list[dict[str, Any]] = []
    for i, values in enumerate(frame.to_dict("records")):
        line = i + 2
        raw = {f: str(values[c]) for f, c in cols.items()}
        try:
            for f, text in raw.items():
                cap = fields.MAX_CHARS.get(f)
                if cap and len(text) > cap:
                    raise _Bad(f, text, f"longer than {cap} characters ({len(text)})")
            row = kind.parse(raw)
        except _Bad as bad:
            column = cols.get(bad.field, bad.field)
            rejects.append({"row": line, "column": column, "value": bad.value,
                            "reason": f"{bad.field}: {bad.reason}"})  # fmt: skip
            continue
        key = row[kind.key]
        if key in good and good[key] != row:
            rejects.append({"row": line, "column": cols.get(kind.key, kind.key), "value": key,
                            "reason": f"{kind.key}: repeated with different content (line "
                                      f"{first_line[key]} kept)"})  # fmt: skip
            continue
        good.setdefault(key, row)
        first_line.setdefault(key, line)
    ok = pd.DataFrame(list(good.values()))
    return ok, rejects
