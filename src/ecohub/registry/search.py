"""Finding sources in the unified registry, scoped to the caller.

Search by name (any system's spelling), unified social credit code, source code or region; the
caller's region and source predicates are in the query. :func:`source_detail` answers an
out-of-scope source exactly as an unknown one.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import duckdb

from ecohub.access.principal import Principal
from ecohub.access.scope import region_sql, source_sql
from ecohub.queries import NotFound, QueryError, scoped_row
from ecohub.queries.paging import decode_cursor, encode_cursor, fingerprint, page_size
from ecohub.queries.stations import region_filter
from ecohub.standards import source_codes

_COLS = "s.source_code, s.uscc, s.name, s.address, s.region_code, s.industry, s.status"
MAX_QUERY_CHARS = 100


def _scope(principal: Principal, table: str | None = "source") -> tuple[str, list[Any]]:
    reg, rp = region_sql(principal, "s.region_code", lon="s.lon", lat="s.lat", table=table)
    own, op = source_sql(principal, "s.source_code")
    if principal.nationwide:
        return own, op
    return f"{reg} AND {own}", [*rp, *op]


def search(
    con: duckdb.DuckDBPyConnection,
    principal: Principal,
    *,
    name: str | None = None,
    uscc: str | None = None,
    source_code: str | None = None,
    region: str | None = None,
    limit: int | None = None,
    cursor: str | None = None,
) -> dict[str, Any]:
    """Sources in scope matching every given filter, by source code; one page.

    ``name`` matches any part of the unified name or of any system's record name (case and
    width as stored); ``uscc`` and ``source_code`` match exactly, in any case and width (a
    code is compared in its canonical form, ``source_codes.compact``).
    """
    for field, value in (("name", name), ("uscc", uscc), ("source_code", source_code)):
        if value is not None and (not value.strip() or len(value) > MAX_QUERY_CHARS):
            raise QueryError(field, f"must be 1-{MAX_QUERY_CHARS} non-blank characters")
    n = page_size(limit)
    where, params = _scope(principal)
    want, wp = region_filter("s.region_code", region)
    clauses, params = [where, want], [*params, *wp]
    if name is not None:
        clauses.append(
            "(contains(s.name, ?) OR s.source_code IN "
            "(SELECT r.source_code FROM source_record r WHERE contains(r.name, ?)))"
        )
        params += [name.strip(), name.strip()]
    if uscc is not None:
        clauses.append(
            "(upper(s.uscc) = upper(?) OR s.source_code IN "
            "(SELECT r.source_code FROM source_record r WHERE r.uscc_norm = upper(?)))"
        )
        params += [uscc.strip(), uscc.strip()]
    if source_code is not None:
        clauses.append("s.source_code = ?")
        params.append(source_codes.compact(source_code))
    fp = fingerprint(principal, {"name": name, "uscc": uscc, "code": source_code, "region": region})
    after = decode_cursor(cursor, fp, ("VARCHAR",))
    if after is not None:
        clauses.append("s.source_code > ?")
        params.append(after[0])
    rows = (
        con.execute(
            f"SELECT {_COLS} FROM source s WHERE {' AND '.join(clauses)} "
            "ORDER BY s.source_code LIMIT ?",
            [*params, n + 1],
        )
        .fetch_arrow_table()
        .to_pylist()
    )
    nxt = encode_cursor([rows[n - 1]["source_code"]], fp) if len(rows) > n else None
    return {"items": rows[:n], "next_cursor": nxt}


def source_detail(
    con: duckdb.DuckDBPyConnection, principal: Principal, code: str
) -> dict[str, Any]:
    """Everything known about source ``code`` (see :func:`ecohub.registry.show.show`) when it is
    in the caller's scope; :class:`NotFound` otherwise. A source seen only through a
    conditional-sharing grant on the registry (not the caller's own region) shows its row, and
    of its other parts only those whose own resource is granted for its region too (outlets,
    permits, ...); the system records (不予共享) never. The parts left out are named in
    ``withheld``, and are not read. ``code`` in any case and width: it is looked up (and
    answered) in its canonical form."""
    from ecohub.registry.show import PART_TABLES, show

    code = source_codes.compact(code)

    where, params = _scope(principal)
    own, own_params = _scope(replace(principal, grants=()))
    checks, check_params = [f"({own}) AS own"], list(own_params)
    for part, table in PART_TABLES.items():
        held = tuple(g for g in principal.grants if g.table == table)
        pred, pp = _scope(replace(principal, grants=held, own_scope=False), table)
        checks.append(f"({pred}) AS {part}")
        check_params += pp
    row = scoped_row(
        con,
        f"SELECT {', '.join(checks)} FROM source s WHERE s.source_code = ? AND {where}",
        [*check_params, code, *params],
        "source",
        code,
    )
    parts = None if row["own"] else frozenset(k for k in PART_TABLES if row[k])
    try:
        return show(con, code, parts)
    except KeyError:
        raise NotFound("source", code) from None
