"""The supervision listings: anomaly findings and exceedance events that a caller may see,
oldest first, with the caller's source and region scope in the SQL."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import duckdb

from ecohub.access import Principal, region_sql, source_sql
from ecohub.queries.listing import Keyset, Window
from ecohub.supervision.rules import rule
from ecohub.supervision.service import check_period

__all__ = [
    "ANOMALY_KEY",
    "COLUMNS",
    "EXCEEDANCE_COLUMNS",
    "EXCEEDANCE_KEY",
    "anomalies",
    "exceedances",
]

#: The columns of one finding as ``anomalies`` returns it.
COLUMNS = (
    "mn", "source_code", "outlet", "pollutant", "rule", "start", "end", "evidence", "severity",
    "status",
)  # fmt: skip


def _pollutant_code(text: str) -> str:
    """``text`` as an HJ 212 code (the permit loader's resolver); QueryError naming
    ``pollutant`` when it is none."""
    from ecohub.queries import QueryError
    from ecohub.supervision.permits import pollutant_code

    try:
        return pollutant_code(text)
    except ValueError as exc:
        raise QueryError("pollutant", str(exc).removeprefix("pollutant: ")) from None


def anomalies(
    con: duckdb.DuckDBPyConnection,
    principal: Principal,
    frm: datetime | None = None,
    to: datetime | None = None,
    mn: str | None = None,
    rule_name: str | None = None,
    pollutant: str | None = None,
    limit: int | None = None,
    page: Window | None = None,
) -> list[dict[str, Any]]:
    """Findings overlapping [frm, to) that ``principal`` may see, oldest first.

    With ``page`` (a :class:`ecohub.queries.listing.Window` keyed on :data:`ANOMALY_KEY`):
    only that page's rows, plus one when there is a next page (``page.cut_rows`` cuts it).

    One dict per finding with :data:`COLUMNS`; times are ISO 8601 with offset, ``evidence`` a
    dict. ``rule_name`` must be a known rule (``RuleError`` otherwise).
    """
    if rule_name is not None:
        rule(rule_name)
    if pollutant is not None and pollutant != "*":  # '*': the device-wide rules' findings
        pollutant = _pollutant_code(pollutant)
    if frm is not None and to is not None:
        check_period(frm, to)
    if limit is not None and limit < 1:
        raise ValueError(f"limit: expected a positive number, got {limit}")
    src_pred, src_args = source_sql(principal, "a.source_code")
    reg_pred, reg_args = region_sql(principal, "s.region_code")
    where = [src_pred, reg_pred]
    args: list[Any] = [*src_args, *reg_args]
    for cond, value in (
        ('a."end" >= ?', frm),
        ("a.start < ?", to),
        ("a.mn = ?", mn),
        ("a.rule = ?", rule_name),
        ("a.pollutant = ?", pollutant),
    ):
        if value is not None:
            where.append(cond)
            args.append(value)
    sql = f"""
        SELECT a.mn, a.source_code, a.outlet_code, a.pollutant, a.rule, a.start, a."end",
               a.evidence, a.severity, a.status
        FROM anomaly a LEFT JOIN source s ON s.source_code = a.source_code
        WHERE {" AND ".join(where)}
    """
    if page is not None:
        sql, args = page.wrap(sql, args)
    else:
        sql += " ORDER BY a.start, a.mn, a.pollutant, a.rule"
        sql += f" LIMIT {int(limit)}" if limit else ""
    out = []
    for row in con.execute(sql, args).fetchall():
        item = dict(zip(COLUMNS, row, strict=True))
        item["start"] = item["start"].isoformat()
        item["end"] = item["end"].isoformat()
        item["evidence"] = json.loads(item["evidence"]) if item["evidence"] else {}
        out.append(item)
    return out


#: The order (and paging key) of the listings.
ANOMALY_KEY = Keyset(("start", "mn", "pollutant", "rule"),
                     ("TIMESTAMPTZ", "VARCHAR", "VARCHAR", "VARCHAR"))  # fmt: skip
EXCEEDANCE_KEY = Keyset(("start", "mn", "pollutant", "period"),
                        ("TIMESTAMPTZ", "VARCHAR", "VARCHAR", "VARCHAR"))  # fmt: skip

#: The columns of one exceedance event as ``exceedances`` returns it.
EXCEEDANCE_COLUMNS = (
    "mn", "source_code", "outlet", "pollutant", "period", "start", "end", "peak", "limit",
    "multiple", "permit_no", "open",
)  # fmt: skip


def exceedances(
    con: duckdb.DuckDBPyConnection,
    principal: Principal,
    frm: datetime | None = None,
    to: datetime | None = None,
    mn: str | None = None,
    pollutant: str | None = None,
    page: Window | None = None,
) -> list[dict[str, Any]]:
    """Exceedance events overlapping [frm, to) that ``principal`` may see, oldest first
    (``page``: one page keyed on :data:`EXCEEDANCE_KEY`, as :func:`anomalies`). ``pollutant``:
    an HJ 212 code, its Chinese or English name or a common formula (SO2); an unknown one is a
    :class:`QueryError` naming ``pollutant``, never an empty answer."""
    if pollutant is not None:
        pollutant = _pollutant_code(pollutant)
    if frm is not None and to is not None:
        check_period(frm, to)
    src_pred, src_args = source_sql(principal, "a.source_code")
    reg_pred, reg_args = region_sql(principal, "s.region_code")
    where = [src_pred, reg_pred]
    args: list[Any] = [*src_args, *reg_args]
    for cond, value in (('a."end" >= ?', frm), ("a.start < ?", to), ("a.mn = ?", mn),
                        ("a.pollutant = ?", pollutant)):  # fmt: skip
        if value is not None:
            where.append(cond)
            args.append(value)
    sql = f"""
        SELECT a.mn, a.source_code, a.outlet_code, a.pollutant, a.period, a.start, a."end",
               a.peak, a."limit", a.multiple, a.permit_no, a.open
        FROM exceedance a LEFT JOIN source s ON s.source_code = a.source_code
        WHERE {" AND ".join(where)}
    """
    if page is not None:
        sql, args = page.wrap(sql, args)
    else:
        sql += " ORDER BY a.start, a.mn, a.pollutant, a.period"
    out = []
    for row in con.execute(sql, args).fetchall():
        item = dict(zip(EXCEEDANCE_COLUMNS, row, strict=True))
        item["start"] = item["start"].isoformat()
        item["end"] = item["end"].isoformat()
        out.append(item)
    return out
