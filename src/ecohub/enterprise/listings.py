"""Cases and approvals as lists, in the caller's scope, with their source and link state.

A row whose record has no source yet (no link run) has no region: only nationwide readers see
it, as with every regional scope (``ecohub.access.scope``).
"""

from __future__ import annotations

from typing import Any

import duckdb

from ecohub.access.principal import Principal
from ecohub.enterprise.links import cases_sql, eia_sql
from ecohub.enterprise.scope import sources_sql
from ecohub.queries import QueryError

__all__ = ["CASE_COLUMNS", "EIA_COLUMNS", "LINK_STATES", "cases", "eia"]

LINK_STATES = ("linked", "review", "unmatched", "pending")
CASE_COLUMNS = ("case_id", "case_date", "unit_name", "uscc", "address", "violation_type",
                "legal_basis", "penalty_yuan", "status", "source_code", "link_status",
                "match_probability")  # fmt: skip
EIA_COLUMNS = ("approval_no", "approval_date", "project", "unit_name", "uscc", "address",
               "capacity", "industry", "source_code", "link_status",
               "match_probability")  # fmt: skip


def _list(
    con: duckdb.DuckDBPyConnection,
    principal: Principal,
    inner: str,
    columns: tuple[str, ...],
    order: str,
    region: str | None,
    source: str | None,
    link_status: str | None,
) -> list[dict[str, Any]]:
    if link_status is not None and link_status not in LINK_STATES:
        raise QueryError("link", f"expected one of {', '.join(LINK_STATES)}, got {link_status!r}")
    src, params = sources_sql(principal, region=region, code=source)
    where = ["x.source_code IN (SELECT source_code FROM src)"]
    if principal.nationwide and region is None and source is None:
        where = [f"({where[0]} OR x.source_code IS NULL)"]
    if link_status is not None:
        where.append("x.link_status = ?")
        params.append(link_status)
    cols = ", ".join(f"x.{c}" for c in columns)
    rows = (
        con.execute(
            f"WITH src AS ({src}) SELECT {cols} FROM ({inner}) x WHERE {' AND '.join(where)} "
            f"ORDER BY {order}",
            params,
        )
        .fetch_arrow_table()
        .to_pylist()
    )
    for r in rows:
        for k, v in r.items():
            if hasattr(v, "isoformat"):
                r[k] = v.isoformat()
    return rows


def cases(
    con: duckdb.DuckDBPyConnection,
    principal: Principal,
    *,
    region: str | None = None,
    source: str | None = None,
    link_status: str | None = None,
) -> list[dict[str, Any]]:
    """Enforcement cases in scope, newest first."""
    return _list(con, principal, cases_sql, CASE_COLUMNS, "x.case_date DESC, x.case_id",
                 region, source, link_status)  # fmt: skip


def eia(
    con: duckdb.DuckDBPyConnection,
    principal: Principal,
    *,
    region: str | None = None,
    source: str | None = None,
    link_status: str | None = None,
) -> list[dict[str, Any]]:
    """EIA approvals in scope, newest first."""
    return _list(con, principal, eia_sql, EIA_COLUMNS, "x.approval_date DESC, x.approval_no",
                 region, source, link_status)  # fmt: skip
