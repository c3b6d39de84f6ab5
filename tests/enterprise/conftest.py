from __future__ import annotations

from collections.abc import Iterator

import duckdb
import pytest

from ecohub.store.db import connect


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    c = connect(":memory:")
    yield c
    c.close()


def add_source(con: duckdb.DuckDBPyConnection, code: str, region: str, industry: str | None,
               name: str | None = None) -> None:  # fmt: skip
    con.execute(
        "INSERT INTO source (source_code, name, region_code, industry, status) "
        "VALUES (?, ?, ?, ?, 'active')",
        [code, name or f"企业{code}", region, industry],
    )


def link_row(con: duckdb.DuckDBPyConnection, system: str, record_id: str, code: str) -> None:
    """A registry record of ``system`` given to source ``code`` (what a link run leaves)."""
    con.execute(
        "INSERT INTO source_record (system, record_id, name, uscc_status, row_hash, loaded_at, "
        "source_code) VALUES (?, ?, 'x', 'missing', 'h', now(), ?)",
        [system, record_id, code],
    )


def add_case(con: duckdb.DuckDBPyConnection, case_id: str, code: str, day: str,
             violation: str | None, penalty: float | None, status: str) -> None:  # fmt: skip
    con.execute(
        "INSERT INTO enforcement_case (case_id, case_date, unit_name, violation_type, "
        "penalty_yuan, status, row_hash, loaded_at) VALUES (?, ?, 'x', ?, ?, ?, 'h', now())",
        [case_id, day, violation, penalty, status],
    )
    link_row(con, "enforcement", case_id, code)


def add_eia(con: duckdb.DuckDBPyConnection, no: str, code: str, day: str) -> None:
    con.execute(
        "INSERT INTO eia_approval (approval_no, approval_date, project, unit_name, row_hash, "
        "loaded_at) VALUES (?, ?, 'p', 'x', 'h', now())",
        [no, day],
    )
    link_row(con, "eia_approval", no, code)
