"""Which grants widen the ordinary routes, and the predicate they add (run against rows here)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import duckdb

from ecohub.access.principal import Principal
from ecohub.access.scope import region_sql
from ecohub.catalog import grant_scope, grants, service

OBS, PM25, AUDIT_LOG = "30100101-00002", "30100101-00003", "30100602-00006"
ANA = Principal("ana", "analyst", "110105")
BOSS = Principal("boss", "admin", None)
JAN = (date(2026, 1, 1), date(2026, 1, 31))


def _grant(con: duckdb.DuckDBPyConnection, code: str, region: str) -> str:
    a = grants.apply(
        con, ANA, code, purpose="协查", region=region, valid_from=JAN[0], valid_to=JAN[1]
    )
    grants.decide(con, BOSS, a["id"], "grant")
    return str(a["id"])


def _regions(con: duckdb.DuckDBPyConnection, p: Principal) -> list[str]:
    pred, params = region_sql(p, "code")
    rows = con.execute(
        f"SELECT code FROM (VALUES ('110105'), ('110108'), ('110102'), (NULL)) t(code) "
        f"WHERE {pred} ORDER BY code",
        params,
    ).fetchall()
    return [r[0] for r in rows]


def test_table_grants_in_their_period_widen_the_region_predicate(
    small: duckdb.DuckDBPyConnection,
) -> None:
    service.ensure(small)
    gid = _grant(small, OBS, "110108")
    _grant(small, PM25, "110102")  # a product: read through its own data route only
    # A grant recorded for a 不予共享 resource (the service refuses to make one) gives nothing.
    small.execute(
        "INSERT INTO catalog_application (id, resource_code, applicant, filed_by, purpose, "
        "region, valid_from, valid_to, submitted_at) VALUES ('x1', ?, 'ana', 'ana', 'x', "
        "'110102', ?, ?, ?)",
        [AUDIT_LOG, *JAN, datetime.now(UTC)],
    )
    small.execute(
        "INSERT INTO catalog_decision (application_id, decision, decided_by, decided_at, reason, "
        "region, valid_from, valid_to) VALUES ('x1', 'grant', 'boss', ?, NULL, '110102', ?, ?)",
        [datetime.now(UTC), *JAN],
    )
    got = grant_scope.in_force(small, "ana", date(2026, 1, 15))
    assert [(g.id, g.table, g.prefix) for g in got] == [(gid, "observation", "110108")]
    assert grant_scope.in_force(small, "ana", JAN[1]) == got  # the last day counts
    assert grant_scope.in_force(small, "ana", date(2026, 2, 1)) == []
    assert grant_scope.in_force(small, "ana", date(2025, 12, 31)) == []
    assert grant_scope.for_tables(small, ANA, ("station",), date(2026, 1, 15)) == ()
    assert grant_scope.for_tables(small, BOSS, ("observation",), date(2026, 1, 15)) == ()
    # The predicate: its own district, plus the granted one; rows without a region: neither.
    assert _regions(small, ANA) == ["110105"]
    assert _regions(small, replace(ANA, grants=tuple(got))) == ["110105", "110108"]
    # In by the grant alone (a role the route does not list): only the granted district.
    assert _regions(small, replace(ANA, grants=tuple(got), own_scope=False)) == ["110108"]
    assert _regions(small, replace(ANA, own_scope=False)) == []


def test_a_grant_that_extends_the_period_names_the_bound_at_fault(
    small: duckdb.DuckDBPyConnection,
) -> None:
    from ecohub.queries import QueryError

    service.ensure(small)
    for bound, value in (("valid_from", "2025-12-31"), ("valid_to", "2026-02-01")):
        a = grants.apply(
            small, ANA, OBS, purpose="协查", region="110108", valid_from=JAN[0], valid_to=JAN[1]
        )
        try:
            grants.decide(small, BOSS, a["id"], "grant", **{bound: value})
        except QueryError as exc:
            assert exc.field == bound
            assert "2026-01-01 to 2026-01-31" in exc.reason
        else:
            raise AssertionError(f"{bound} {value} was granted")
    # And a grant that shortens the period is a grant, with the shorter period.
    a = grants.apply(
        small, ANA, OBS, purpose="协查", region="110108", valid_from=JAN[0], valid_to=JAN[1]
    )
    got = grants.decide(small, BOSS, a["id"], "grant", valid_from="2026-01-10")
    assert got["grant"]["valid_from"] == "2026-01-10"
