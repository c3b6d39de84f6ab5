"""The rows of a resource as the catalogue's ``…/data`` route serves them.

One scoped query: the caller's scope (:class:`ecohub.catalog.grants.Scope`), the product's
filter and the region asked for are predicates of its ``WHERE``, paged by a keyset cursor
(:class:`ecohub.queries.listing.Window`). A table kept partly in the data lake is read through
its ``<table>_all`` view (the hot rows and the lake's, each key once), ordered by its key; any
other table in storage order (``rowid``).

Credentials are never served, to anyone, an administrator included: the columns of
:data:`CREDENTIALS` and any column whose name looks like one (:data:`CREDENTIAL_NAME`) are left
out of the query, and the ``PW=`` field of raw HJ 212 packets (:data:`PACKETS`) is masked in it.
"""

from __future__ import annotations

import re
from typing import Any

import duckdb

from ecohub.access.principal import Principal
from ecohub.access.scope import region_prefix
from ecohub.catalog import coverage, resources
from ecohub.catalog._time import iso
from ecohub.catalog.grants import Scope
from ecohub.queries import QueryError, packets
from ecohub.queries.export import plain
from ecohub.queries.listing import Keyset, window

ROWID = "__rowid"
#: Credential columns by table: password and token hashes (offline guessing targets), device
#: passwords. Never served.
CREDENTIALS = {
    "app_user": ("password_hash",),
    "api_key": ("secret_hash",),
    "refresh_token": ("token_hash",),
    "monitor_point": ("pw",),
}
#: A column of any table (a later migration, a discovered table) named like a credential.
CREDENTIAL_NAME = re.compile(r"^(pw|passw(or)?d.*|.*secret.*|.*(token|key|password)_hash)$", re.I)
#: Columns holding raw HJ 212 packets, whose ``PW=`` field is the device password (masked).
PACKETS = {"hj212_message": ("raw",), "packet_log": ("raw",)}


def served_columns(table: str, cols: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """``table``'s columns without its credentials."""
    deny = set(CREDENTIALS.get(table, ()))
    return [(c, t) for c, t in cols if c not in deny and not CREDENTIAL_NAME.match(c)]


def _select(table: str, column: str, typ: str) -> str:
    c = f't."{column}"'
    if column in PACKETS.get(table, ()):
        if typ == "BLOB":
            return f'{packets.hex_sql(c)} AS "{column}"'
        return f'{packets.text_sql(c)} AS "{column}"'
    # Bytes go out as hex: JSON has no bytes, and they need not be UTF-8.
    return f'hex({c}) AS "{column}"' if typ == "BLOB" else c


def _keyset(table: str, types: dict[str, str]) -> tuple[str, Keyset]:
    """(what to select from, the order) of ``table``."""
    from ecohub.store import lake

    if table in lake.SPECS:
        keys = lake.spec(table).keys
        return f'"{table}_all"', Keyset(keys, tuple(types[k] for k in keys))
    return f'"{table}"', Keyset((ROWID,), ("BIGINT",))


def page(
    con: duckdb.DuckDBPyConnection,
    p: Principal,
    res: dict[str, Any],
    scope: Scope,
    *,
    region: str | None,
    limit: int | None,
    cursor: str | None,
    month: str | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of ``res``'s rows inside ``scope`` (plain data) and the next cursor;
    ``month`` (``YYYY-MM``, China Standard Time): only that month's rows of a table kept in
    the data lake (one of its month partitions and the hot rows of that month)."""
    table = res["table_name"]
    every = resources.table_columns(con, table)
    source, keyset = _keyset(table, dict(every))
    cols = served_columns(table, every)
    filters = {"code": res["code"], "region": region, "grants": list(scope.grants)}
    if month is not None:
        filters["month"] = month
    win = window(p, filters, keyset, limit, cursor)
    reg_col = coverage.region_expression(table)
    # The scope bounds rows that belong to a region; grants.allowed decided about the others.
    pred, params = scope.sql(coverage.scope_expression(table))
    where = [pred]
    if res.get("row_filter"):
        where.append(f"({res['row_filter']})")
    if region is not None:
        pre = region_prefix(region) if len(region) == 6 and region.isdigit() else None
        if pre is None:
            raise QueryError("region", "must be a six-digit GB/T 2260 code")
        if reg_col is None:
            where.append("FALSE")
        else:
            where.append(f"starts_with({reg_col}, ?)")
            params.append(pre)
    if month is not None:
        column, bounds = _month(table, month)
        where.append(f"t.{column} >= ? AND t.{column} < ?")
        params += bounds
    select = ", ".join(_select(table, c, typ) for c, typ in cols)
    if keyset.names == (ROWID,):
        select = f"t.rowid AS {ROWID}, {select}"
    sql, args = win.wrap(f"SELECT {select} FROM {source} t WHERE {' AND '.join(where)}", params)
    got, next_cursor = win.cut_table(con.execute(sql, args).fetch_arrow_table())
    if ROWID in got.column_names:
        got = got.drop([ROWID])
    return [{k: plain(iso(v)) for k, v in r.items()} for r in got.to_pylist()], next_cursor


def _month(table: str, month: str) -> tuple[str, list[Any]]:
    """The time column of a lake table and the instants its CST ``month`` starts and ends."""
    from ecohub.store import lake

    spec = lake.SPECS.get(table)
    if spec is None:
        raise QueryError(
            "month", f"only for tables kept in the data lake ({', '.join(lake.SPECS)})"
        )
    if re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month) is None or month < "0001-01":
        raise QueryError("month", f"expected YYYY-MM, got {month[:20]!r}")
    return spec.time, list(lake.month_bounds(month))
