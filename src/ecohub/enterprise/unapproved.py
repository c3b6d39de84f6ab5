"""Built before approval (未批先建): sources that operated before their EIA approval.

A source is listed when, as of a day:

* ``before_approval``: it has HJ 212 data, a permit (dated by its or its limits' validity) or an
  inspection record dated before its first EIA approval; or
* ``no_approval``: it has no EIA approval at all while its industry needs one
  (``data/eia_industries.csv``).

Each row carries the evidence with dates and references, and the approval it is judged against.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import duckdb

from ecohub.access.principal import Principal
from ecohub.cst import CST
from ecohub.enterprise.links import cases_sql, eia_sql
from ecohub.enterprise.scope import INDUSTRY_SQL, sources_sql

__all__ = ["COLUMNS", "judge", "unapproved"]

COLUMNS = ("source_code", "name", "region_code", "industry", "status", "first_approval",
           "approval_no", "evidence")  # fmt: skip

# One row per piece of evidence of operation (kind, day, reference) of each source of `src`.
_EVIDENCE = f"""
SELECT m.source_code, 'hj212_data' AS kind,
       CAST(timezone('Asia/Shanghai', min(e.data_time)) AS DATE) AS day, m.mn AS ref
FROM emission e JOIN monitor_point m USING (mn)
WHERE m.source_code IN (SELECT source_code FROM src) AND e.data_time < $as_of_t
GROUP BY m.source_code, m.mn
UNION ALL
SELECT p.source_code, 'permit', coalesce(p.valid_from, min(pl.valid_from)), p.permit_no
FROM permit p LEFT JOIN permit_limit pl USING (permit_no)
WHERE p.source_code IN (SELECT source_code FROM src)
GROUP BY p.source_code, p.permit_no, p.valid_from
UNION ALL
SELECT c.source_code, 'inspection', c.case_date, c.case_id
FROM ({cases_sql}) c
WHERE c.source_code IN (SELECT source_code FROM src) AND c.case_date < $as_of
"""

_JUDGE = f"""
WITH src AS ({{sources}}),
ind AS ({INDUSTRY_SQL}),
appr AS (
    SELECT source_code, min(approval_date) AS first_approval,
           arg_min(approval_no, approval_date) AS approval_no
    FROM ({eia_sql}) a
    WHERE source_code IN (SELECT source_code FROM src) AND approval_date < $as_of
    GROUP BY 1),
ev AS (SELECT * FROM ({_EVIDENCE}) WHERE day IS NOT NULL AND day < $as_of)
SELECT src.source_code, src.name, src.region_code, src.industry,
       CASE WHEN appr.first_approval IS NULL THEN 'no_approval' ELSE 'before_approval' END
           AS status,
       appr.first_approval, appr.approval_no,
       (SELECT list({{'kind': ev.kind, 'day': ev.day, 'ref': ev.ref,
                      'days_before': CASE WHEN appr.first_approval IS NULL THEN NULL
                                     ELSE appr.first_approval - ev.day END}}
                    ORDER BY ev.day, ev.kind, ev.ref)
        FROM ev WHERE ev.source_code = src.source_code
          AND (appr.first_approval IS NULL OR ev.day < appr.first_approval)) AS evidence
FROM src LEFT JOIN appr USING (source_code) LEFT JOIN ind USING (source_code)
WHERE (appr.first_approval IS NULL AND coalesce(ind.eia_required, FALSE))
   OR (appr.first_approval IS NOT NULL AND EXISTS (
         SELECT 1 FROM ev WHERE ev.source_code = src.source_code
           AND ev.day < appr.first_approval))
ORDER BY src.region_code, src.source_code
"""


def judge(
    con: duckdb.DuckDBPyConnection,
    principal: Principal,
    *,
    region: str | None = None,
    code: str | None = None,
    as_of: date | None = None,
) -> list[dict[str, Any]]:
    """Listed sources in scope as of ``as_of`` (exclusive; default: tomorrow, i.e. all)."""
    day = as_of or date.fromordinal(datetime.now(CST).date().toordinal() + 1)
    sql, params = sources_sql(principal, region=region, code=code)
    # The dates are ours (a date object), written as literals; the scope keeps its parameters.
    body = _JUDGE.replace("{sources}", sql)
    body = body.replace("$as_of_t", f"TIMESTAMPTZ '{day.isoformat()} 00:00:00+08'")
    body = body.replace("$as_of", f"DATE '{day.isoformat()}'")
    rows = con.execute(body, params).fetchall()
    out = []
    for r in rows:
        item = dict(zip(COLUMNS, r, strict=True))
        item["evidence"] = item["evidence"] or []
        out.append(item)
    return out


def unapproved(
    con: duckdb.DuckDBPyConnection, principal: Principal, region: str | None = None
) -> list[dict[str, Any]]:
    """Every listed source in scope (and in ``region``), with its evidence; dates as ISO text."""
    out = judge(con, principal, region=region)
    for item in out:
        item["first_approval"] = _iso(item["first_approval"])
        item["evidence"] = [{**e, "day": _iso(e["day"])} for e in item["evidence"]]
    return out


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value
