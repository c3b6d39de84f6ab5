"""A source's operational status: what its lists say (注销, 吊销, 停产, 正常 ...), a steward's
close / reopen with a reason, and records a system's full list no longer holds. The newest
statement wins; a closure is never softened by a list dropping the record; codes stay."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from ecohub.registry import lifecycle, records, service
from ecohub.registry.report import report
from ecohub.store.db import connect
from tests.registry import steward_lists as lists
from tests.registry.steward_lists import BRICKS, PLATING, PRINTING, hj608

CLOSED = hj608(BRICKS)  # 旧城砖厂: P09 says 注销


def _status(con: duckdb.DuckDBPyConnection, code: str) -> tuple[object, ...]:
    rows = con.execute(
        "SELECT status, valid_to IS NOT NULL FROM source WHERE source_code = ?", [code]
    ).fetchall()
    return tuple(rows[0])


def _events(con: duckdb.DuckDBPyConnection, code: str) -> list[tuple[object, ...]]:
    return con.execute(
        "SELECT kind, status, reason, actor FROM source_event WHERE source_code = ? "
        "AND kind IN ('status', 'close', 'reopen', 'withdraw') ORDER BY id",
        [code],
    ).fetchall()


def _linked() -> duckdb.DuckDBPyConnection:
    con = connect(":memory:")
    lists.load_all(con)
    service.link(con)
    return con


def test_a_status_column_is_read_and_closes_the_source() -> None:
    con = _linked()
    row = con.execute(
        "SELECT status, status_raw, source_code FROM source_record WHERE record_id = 'P09'"
    ).fetchall()
    assert row == [("closed", "注销", CLOSED)]
    assert _status(con, CLOSED) == ("closed", True)
    assert _events(con, CLOSED) == [("status", "closed", "permit:P09 says 注销", "system")]
    assert _status(con, hj608(PLATING)) == ("active", False)  # 正常
    # Six units (华兴, 绿源, 蓝天, 电镀, 喷涂, 旧城砖厂), one closed.
    assert report(con)["sources_by_status"] == {"active": 5, "closed": 1}
    # The code is kept, with its record, and shown as closed.
    assert con.execute(
        "SELECT count(*) FROM source_record WHERE source_code = ?", [CLOSED]
    ).fetchall() == [(1,)]


def test_an_unknown_status_word_is_flagged_not_guessed(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = tmp_path / "p.csv"
    frame = lists.PERMIT.assign(状态=["正常", "未注销", "停产整治", "吊销", "在产", "xyz"])
    frame.to_csv(path, index=False)
    res = records.load_records(con, "permit", path)
    assert res.rows_loaded == 6 and res.rows_flagged == 2
    got = con.execute(
        "SELECT record_id, status, flags FROM source_record ORDER BY record_id"
    ).fetchall()
    assert got == [
        ("P01", "active", None),
        ("P04", None, "status_unknown"),  # 未注销: "not deregistered" - not a closure
        ("P05", "suspended", None),
        ("P07", "revoked", None),
        ("P08", "active", None),
        ("P09", None, "status_unknown"),
    ]


def test_a_steward_closes_and_reopens_with_a_reason_and_it_holds() -> None:
    con = _linked()
    code = hj608(PRINTING)
    done = lifecycle.set_status(con, code.lower(), "closed", reason="site demolished", by="wang")
    assert (done["source_code"], done["status"], done["before"]) == (code, "closed", "active")
    service.link(con)  # nothing newer was said: the steward's word holds
    assert _status(con, code) == ("closed", True)
    lifecycle.set_status(con, code, "active", reason="reopened after inspection", by="li")
    service.link(con)
    assert _status(con, code) == ("active", False)
    assert _events(con, code) == [
        ("close", "closed", "site demolished", "wang"),
        ("reopen", "active", "reopened after inspection", "li"),
    ]
    # A steward's reopen of a source its list says is 注销 also holds until something newer.
    lifecycle.set_status(con, CLOSED, "active", reason="注销 was a data-entry error", by="wang")
    service.link(con)
    assert _status(con, CLOSED) == ("active", False)


def test_a_newer_list_overrides_an_older_steward_closure(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    lists.load_all(con)
    service.link(con)
    lifecycle.set_status(con, CLOSED, "active", reason="believed running", by="wang")
    later = tmp_path / "permit-2.csv"
    lists.PERMIT.assign(状态="吊销").to_csv(later, index=False)
    records.load_records(con, "permit", later)  # changed rows: a newer statement
    service.link(con)
    assert _status(con, CLOSED) == ("revoked", True)
    assert _events(con, CLOSED)[-1] == ("status", "revoked", "permit:P09 says 吊销", "system")


@pytest.mark.parametrize(
    ("status", "reason", "message"),
    [
        ("gone", "x", "--status: expected active, suspended, closed, revoked"),
        ("closed", "  ", "--reason: must be 1-500 characters"),
    ],
)
def test_bad_steward_actions_name_the_option(status: str, reason: str, message: str) -> None:
    con = _linked()
    with pytest.raises(ValueError, match=message):
        lifecycle.set_status(con, CLOSED, status, reason=reason, by="wang")
    with pytest.raises(KeyError):
        lifecycle.set_status(con, "91110105MA01JC0A37009P", "closed", reason="x", by="wang")


def test_a_full_list_withdraws_the_missing_and_a_list_can_bring_them_back(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    """P09 loaded without its status (active), then a full permit list without it: withdrawn
    (kept, coded), and its source - no other system lists it - becomes inactive. P05 missing
    too, but enforcement still lists its unit (E03): its source stays active. A later list with
    P09 brings it back."""
    first = tmp_path / "permit.csv"
    lists.PERMIT.drop(columns="状态").to_csv(first, index=False)
    records.load_records(con, "permit", first)
    for system in ("enforcement", "eia"):
        records.load_frame(con, system, lists.LISTS[system])
    service.link(con)
    full = tmp_path / "permit-full.csv"
    kept = lists.PERMIT.drop(columns="状态")
    kept[~kept.记录编号.isin(["P05", "P09"])].to_csv(full, index=False)
    res = records.load_records(con, "permit", full, full_list=True, actor="wang")
    assert (res.rows_withdrawn, res.rows_unchanged, res.rows_loaded) == (2, 4, 0)
    withdrawn = con.execute(
        "SELECT record_id, source_code FROM source_record WHERE withdrawn_at IS NOT NULL "
        "ORDER BY record_id"
    ).fetchall()
    assert withdrawn == [("P05", hj608(PRINTING)), ("P09", CLOSED)]
    service.link(con)
    assert _status(con, CLOSED) == ("inactive", True)
    assert _status(con, hj608(PRINTING)) == ("active", False)
    assert _events(con, CLOSED) == [
        ("withdraw", None, "missing from permit's full list permit-full.csv", "wang"),
        ("status", "inactive", "no system lists it any more", "system"),
    ]
    # The same full list again: skipped. Loaded earlier as a plain list, it would still run.
    assert records.load_records(con, "permit", full, full_list=True).skipped
    records.load_records(con, "permit", first)  # loaded before: skipped, nothing comes back
    back = tmp_path / "permit-back.csv"
    lists.PERMIT.drop(columns="状态").iloc[::-1].to_csv(back, index=False)
    records.load_records(con, "permit", back)
    service.link(con)
    assert _status(con, CLOSED) == ("active", False)


def test_a_list_dropping_a_closed_plant_does_not_soften_its_closure(tmp_path: Path) -> None:
    con = _linked()
    full = tmp_path / "permit-full.csv"
    lists.PERMIT[lists.PERMIT.记录编号 != "P09"].to_csv(full, index=False)
    assert records.load_records(con, "permit", full, full_list=True).rows_withdrawn == 1
    service.link(con)
    assert _status(con, CLOSED) == ("closed", True)


def test_the_status_migration_applies_to_an_existing_store(tmp_path: Path) -> None:
    """A store as 029 left it, with a linked record and its source: 030 adds the columns
    (empty: nothing stated, no own date, never withdrawn) and the store links as before."""
    from ecohub.store.db import migrate, migrations

    con = duckdb.connect(str(tmp_path / "old.duckdb"))
    migrate(con, before=30)
    con.execute(
        "INSERT INTO source_record (system, record_id, name, name_norm, name_core, uscc_status, "
        "source_code, row_hash, loaded_at) VALUES ('permit', 'P1', '某厂', '某厂', '某厂', "
        "'missing', 'H9990000000000001a001P', 'h', now())"
    )
    con.execute(
        "INSERT INTO source (source_code, name, status) VALUES "
        "('H9990000000000001a001P', '某厂', 'active')"
    )
    assert migrate(con) == [v for v, _, _ in migrations() if v >= 30]
    assert con.execute(
        "SELECT status, status_raw, record_date, withdrawn_at FROM source_record"
    ).fetchall() == [(None, None, None, None)]
    service.link(con)
    assert con.execute("SELECT source_code, status FROM source").fetchall() == [
        ("H9990000000000001a001P", "active")
    ]
