"""The raw value of every risk factor (``data/risk_factors.csv``) per source and month.

One SQL statement over the sources in the caller's scope; every raw value is a plain count,
sum or flag of stored rows, so a person can recount it from the listings (exceedances,
anomalies, cases, complaints, the unapproved list).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import duckdb

from ecohub.access.principal import Principal
from ecohub.cst import CST
from ecohub.enterprise.links import cases_sql, eia_sql
from ecohub.enterprise.scope import INDUSTRY_SQL, Month, sources_sql
from ecohub.enterprise.unapproved import judge

__all__ = ["raw_factors"]

_SQL = f"""
WITH src AS ({{sources}}),
ind AS ({INDUSTRY_SQL}),
exc AS (
    SELECT source_code,
           sum(epoch(least("end", $m1) - greatest(start, $m0)) / 3600.0)
               FILTER (WHERE period = 'hour') AS hours,
           max(multiple) AS multiple
    FROM exceedance
    WHERE source_code IN (SELECT source_code FROM src) AND "end" > $m0 AND start < $m1
    GROUP BY 1),
anom AS (
    SELECT source_code, count(*) FILTER (WHERE severity = 'high') AS high,
           count(*) FILTER (WHERE severity = 'medium') AS medium,
           count(*) FILTER (WHERE severity = 'low') AS low
    FROM anomaly
    WHERE source_code IN (SELECT source_code FROM src) AND "end" >= $m0 AND start < $m1
    GROUP BY 1),
dev AS (SELECT mn, source_code FROM monitor_point
        WHERE source_code IN (SELECT source_code FROM src)),
first_data AS (SELECT mn, min(data_time) AS t0 FROM emission
               WHERE mn IN (SELECT mn FROM dev) GROUP BY 1),
heard AS (SELECT mn, count(DISTINCT date_trunc('hour', data_time)) AS n FROM emission
          WHERE mn IN (SELECT mn FROM dev) AND data_time >= $m0 AND data_time < $upto
          GROUP BY 1),
offline AS (
    SELECT dev.source_code,
           sum(greatest(0, ceil(epoch($upto - greatest($m0,
               coalesce(date_trunc('hour', first_data.t0), $m0))) / 3600.0)
               - coalesce(heard.n, 0))) AS hours
    FROM dev LEFT JOIN first_data USING (mn) LEFT JOIN heard USING (mn)
    GROUP BY 1),
cs AS (
    SELECT source_code,
           count(*) FILTER (WHERE violation_type IS NOT NULL AND case_date >= $y0
                            AND case_date < $d1) AS violations,
           coalesce(sum(penalty_yuan) FILTER (WHERE case_date >= $y0 AND case_date < $d1), 0)
               / 10000.0 AS penalty_10k,
           count(*) FILTER (WHERE violation_type IS NOT NULL AND status = 'open'
                            AND case_date < $d1) AS open_cases
    FROM ({cases_sql}) c
    WHERE source_code IN (SELECT source_code FROM src)
    GROUP BY 1),
compl AS (
    SELECT source_code, sum(coalesce(score, 1)) AS n FROM complaint_source
    WHERE source_code IN (SELECT source_code FROM src)
      AND received_at >= $l0 AND received_at < $l1
    GROUP BY 1),
appr AS (
    SELECT DISTINCT source_code FROM ({eia_sql}) a
    WHERE source_code IN (SELECT source_code FROM src) AND approval_date < $d1),
perm AS (SELECT DISTINCT source_code FROM permit
         WHERE source_code IN (SELECT source_code FROM src))
SELECT src.source_code, src.name, src.region_code, src.industry,
       coalesce(exc.hours, 0) AS exceedance_hours,
       greatest(coalesce(exc.multiple, 1) - 1, 0) AS exceedance_excess,
       coalesce(anom.high, 0) AS anomaly_high,
       coalesce(anom.medium, 0) AS anomaly_medium,
       coalesce(anom.low, 0) AS anomaly_low,
       coalesce(offline.hours, 0) AS offline_hours,
       coalesce(cs.violations, 0) AS violations,
       coalesce(cs.penalty_10k, 0) AS penalty_10k,
       coalesce(cs.open_cases, 0) AS open_cases,
       coalesce(compl.n, 0) AS complaints,
       CASE WHEN coalesce(ind.eia_required, FALSE) AND appr.source_code IS NULL THEN 1 ELSE 0 END
           AS no_eia,
       CASE WHEN coalesce(ind.permit_required, FALSE) AND perm.source_code IS NULL THEN 1
            ELSE 0 END AS no_permit,
       CASE WHEN ind.permit_class = 'key' THEN 1 ELSE 0 END AS key_industry
FROM src
LEFT JOIN ind USING (source_code) LEFT JOIN exc USING (source_code)
LEFT JOIN anom USING (source_code) LEFT JOIN offline USING (source_code)
LEFT JOIN cs USING (source_code) LEFT JOIN compl USING (source_code)
LEFT JOIN appr USING (source_code) LEFT JOIN perm USING (source_code)
ORDER BY src.source_code
"""


def _ts(value: datetime) -> str:
    return f"TIMESTAMPTZ '{value.isoformat()}'"


def raw_factors(
    con: duckdb.DuckDBPyConnection,
    principal: Principal,
    month: Month,
    *,
    region: str | None = None,
    code: str | None = None,
) -> list[dict[str, Any]]:
    """One dict per source in scope: identity and the raw value of each factor in ``month``."""
    now = datetime.now(CST)
    upto = min(month.end, max(now, month.start))
    sql, params = sources_sql(principal, region=region, code=code)
    # Our own dates only are written into the SQL (from datetime objects, never user text).
    body = _SQL.replace("{sources}", sql)
    for mark, value in (
        ("$upto", _ts(upto)),
        ("$m0", _ts(month.start)),
        ("$m1", _ts(month.end)),
        ("$l0", f"TIMESTAMP '{month.start.replace(tzinfo=None).isoformat()}'"),
        ("$l1", f"TIMESTAMP '{month.end.replace(tzinfo=None).isoformat()}'"),
        ("$y0", f"DATE '{month.year_before.isoformat()}'"),
        ("$d1", f"DATE '{month.end_day.isoformat()}'"),
    ):
        body = body.replace(mark, value)
    rows = con.execute(body, params).fetch_arrow_table().to_pylist()
    before = {r["source_code"] for r in judge(con, principal, region=region, code=code,
                                              as_of=month.end_day)
              if r["status"] == "before_approval"}  # fmt: skip
    for r in rows:
        r["built_before_approval"] = 1 if r["source_code"] in before else 0
    return rows
