"""The sources a caller may see, as a SQL subquery (scope in the query, never a filter after).

Region scope and an enterprise user's own source codes come from :mod:`ecohub.access.scope`;
a ``region`` the caller asks for narrows that further. Merged (retired) codes are left out.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import duckdb

from ecohub.access.principal import Principal
from ecohub.access.scope import region_sql, source_sql
from ecohub.cst import CST
from ecohub.enterprise.tables import industries
from ecohub.queries import QueryError, scoped_row
from ecohub.queries.stations import region_filter

__all__ = ["INDUSTRY_SQL", "Month", "month_of", "require_source", "sources_sql"]


def sources_sql(
    principal: Principal, region: str | None = None, code: str | None = None
) -> tuple[str, list[Any]]:
    """``SELECT source_code, name, region_code, industry, uscc, address FROM source`` in scope."""
    reg, rp = region_sql(principal, "s.region_code")
    own, op = source_sql(principal, "s.source_code")
    want, wp = region_filter("s.region_code", region)
    where = [own, want, "coalesce(s.status, 'active') <> 'merged'"]
    params: list[Any] = [*op, *wp]
    if not principal.nationwide:
        where.insert(0, reg)
        params = [*rp, *params]
    if code is not None:
        where.append("s.source_code = ?")
        params.append(code)
    sql = ("SELECT s.source_code, s.name, s.region_code, s.industry, s.uscc, s.address "
           f"FROM source s WHERE {' AND '.join(where)}")  # fmt: skip
    return sql, params


def require_source(con: duckdb.DuckDBPyConnection, principal: Principal, code: str) -> None:
    """:class:`NotFound` unless ``code`` is a source the caller may see (unknown and out of
    scope answer alike)."""
    sql, params = sources_sql(principal, code=code)
    scoped_row(con, f"SELECT 1 AS seen FROM ({sql})", params, "source", code)


def _industry_values() -> str:
    def q(s: str) -> str:
        return "'" + s.replace("'", "''") + "'"

    rows = ", ".join(
        f"({q(i.prefix)}, {q(i.name_zh)}, {str(i.eia_required).upper()}, "
        f"{str(i.permit_required).upper()}, {q(i.permit_class)})"
        for i in industries()
    )
    cols = "prefix, industry_name, eia_required, permit_required, permit_class"
    return f"(VALUES {rows}) AS ind({cols})"


#: Per source of a subquery ``src``: its listed industry (LEFT JOIN it ``ON ind.source_code``).
INDUSTRY_SQL = f"""
SELECT src.source_code, ind.prefix, ind.industry_name, ind.eia_required, ind.permit_required,
       ind.permit_class
FROM src JOIN {_industry_values()}
  ON starts_with(regexp_replace(coalesce(src.industry, ''), '^[A-Za-z]+', ''), ind.prefix)
QUALIFY row_number() OVER (PARTITION BY src.source_code ORDER BY length(ind.prefix) DESC) = 1
"""


class Month:
    """A calendar month in CST: [start, end), and the 12 months before its end."""

    def __init__(self, year: int, month: int) -> None:
        self.label = f"{year:04d}-{month:02d}"
        self.start = datetime(year, month, 1, tzinfo=CST)
        nxt = (self.start + timedelta(days=32)).replace(day=1)
        self.end = nxt
        self.end_day: date = nxt.date()
        self.year_before: date = nxt.date().replace(year=nxt.year - 1)


def month_of(text: str | None, field: str = "month") -> Month:
    """``YYYY-MM`` (the current month when ``None``)."""
    if text is None:
        now = datetime.now(CST)
        return Month(now.year, now.month)
    try:
        year, month = text.split("-")
        if len(year) != 4 or len(month) != 2:
            raise ValueError
        value = Month(int(year), int(month))
    except ValueError:
        raise QueryError(field, f"expected YYYY-MM, got {text!r}") from None
    if not 1990 <= value.start.year <= 2200:
        raise QueryError(field, f"{text} is outside 1990..2200")
    return value
