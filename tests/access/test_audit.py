"""The audit chain: appends, and verify() catching altered, removed, moved and cut-off entries.

Each tamper case edits the table directly, as someone with database access would.
"""

from __future__ import annotations

import hashlib
import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from ecohub.access import audit, audit_read
from ecohub.access.principal import Principal

ANA = Principal("ana", "analyst", "110105", via="token")
BOB = Principal("bob", "inspector", "110000", via="apikey")


def _fill(con: duckdb.DuckDBPyConnection, n: int = 6) -> None:
    for i in range(1, n + 1):
        p = ANA if i % 2 else BOB
        audit.record(con, p, "read", "/api/v1/stations", {"region": "110105", "page": i}, i, "200")


def test_entries_chain_and_hash_by_hand(store: duckdb.DuckDBPyConnection) -> None:
    audit.record(store, ANA, "read", "/api/v1/stations", {"region": "110105"}, 3, "200")
    audit.record(store, ANA, "write", "/api/v1/x", None, None, "204")
    rows = store.execute(
        "SELECT seq, logged_at, user_name, via, action, route, filters, rows, result, prev_hash, "
        "hash FROM audit_log ORDER BY seq"
    ).fetchall()
    assert [r[0] for r in rows] == [1, 2]
    first, second = rows
    assert first[9] == "0" * 64 and second[9] == first[10]
    # The hash written out by hand: SHA-256 of the JSON array of the columns before it.
    at = first[1].astimezone(UTC).isoformat(timespec="microseconds")
    text = (
        f'[1,"{at}","ana","token","read","/api/v1/stations","{{\\"region\\":\\"110105\\"}}",3,'
        f'"200","{"0" * 64}"]'
    )
    assert first[6] == '{"region":"110105"}'
    assert first[10] == hashlib.sha256(text.encode()).hexdigest()
    assert audit_read.verify(store) is None


def test_client_address_is_hashed_when_there_is_one(store: duckdb.DuckDBPyConnection) -> None:
    """An entry with the request's address hashes it as one more array element; one without
    (a local call, or an entry written before migration 027) hashes as before."""
    audit.record(store, ANA, "login", "/api/v1/auth/token", None, None, "ok", client="10.1.2.3")
    audit.record(store, ANA, "read", "/api/v1/x", None, None, "200")
    rows = store.execute("SELECT logged_at, hash, client FROM audit_log ORDER BY seq").fetchall()
    at = rows[0][0].astimezone(UTC).isoformat(timespec="microseconds")
    text = (
        f'[1,"{at}","ana","token","login","/api/v1/auth/token","{{}}",null,"ok","{"0" * 64}",'
        '"10.1.2.3"]'
    )
    assert rows[0][2] == "10.1.2.3" and rows[0][1] == hashlib.sha256(text.encode()).hexdigest()
    assert rows[1][2] is None
    assert audit_read.show(store)[0]["client"] == "10.1.2.3"
    assert audit_read.verify(store) is None
    # Changing or erasing the address is an alteration like any other.
    store.execute("UPDATE audit_log SET client = '192.168.0.9' WHERE seq = 1")
    bad = audit_read.verify(store)
    assert bad is not None and bad.seq == 1 and "altered" in bad.reason
    store.execute("UPDATE audit_log SET client = NULL WHERE seq = 1")
    bad = audit_read.verify(store)
    assert bad is not None and bad.seq == 1


def test_altered_entry(store: duckdb.DuckDBPyConnection) -> None:
    _fill(store)
    store.execute("UPDATE audit_log SET rows = 999 WHERE seq = 4")
    bad = audit_read.verify(store)
    assert bad is not None and bad.seq == 4 and "altered" in bad.reason


def test_altered_entry_with_its_hash_recomputed(store: duckdb.DuckDBPyConnection) -> None:
    """A forger who also recomputes the entry's own hash still breaks the next link."""
    _fill(store)
    row = store.execute(
        "SELECT seq, logged_at, user_name, via, action, route, filters, rows, result, prev_hash "
        "FROM audit_log WHERE seq = 3"
    ).fetchall()[0]
    forged = list(row)
    forged[2] = "mallory"
    store.execute(
        "UPDATE audit_log SET user_name = 'mallory', hash = ? WHERE seq = 3",
        [audit.entry_hash(*forged)],
    )
    bad = audit_read.verify(store)
    assert bad is not None and bad.seq == 4 and "chain" in bad.reason


def test_removed_entry(store: duckdb.DuckDBPyConnection) -> None:
    _fill(store)
    store.execute("DELETE FROM audit_log WHERE seq = 3")
    bad = audit_read.verify(store)
    assert bad is not None and bad.seq == 3 and "removed" in bad.reason
    assert str(bad) == "audit entry 3: removed"


def test_removed_and_renumbered(store: duckdb.DuckDBPyConnection) -> None:
    _fill(store)
    store.execute("DELETE FROM audit_log WHERE seq = 3")
    for seq in (4, 5, 6):
        store.execute("UPDATE audit_log SET seq = ? WHERE seq = ?", [seq - 1, seq])
    bad = audit_read.verify(store)
    assert bad is not None and bad.seq == 3


def test_swapped_pair(store: duckdb.DuckDBPyConnection) -> None:
    _fill(store)
    store.execute("UPDATE audit_log SET seq = -1 WHERE seq = 2")
    store.execute("UPDATE audit_log SET seq = 2 WHERE seq = 5")
    store.execute("UPDATE audit_log SET seq = 5 WHERE seq = -1")
    bad = audit_read.verify(store)
    assert bad is not None and bad.seq == 2 and "moved" in bad.reason


def test_cut_off_tail_caught_by_the_head_file(
    store: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    _fill(store)
    assert (tmp_path / "audit.head").read_text().split()[0] == "6"
    store.execute("DELETE FROM audit_log WHERE seq >= 5")
    bad = audit_read.verify(store)
    assert bad is not None and bad.seq == 5 and "end" in bad.reason
    # The head file removed too, to hide the cut: the chain alone is whole, but a log with
    # entries and no head file is itself a finding (every append writes the head).
    (tmp_path / "audit.head").unlink()
    bad = audit_read.verify(store)
    assert bad is not None and bad.seq == 5 and "head file audit.head is missing" in bad.reason


def test_rewritten_tail_differs_from_the_head(store: duckdb.DuckDBPyConnection) -> None:
    _fill(store, 3)
    store.execute("UPDATE audit_log SET hash = ? WHERE seq = 3", ["f" * 64])
    bad = audit_read.verify(store)
    assert bad is not None and bad.seq == 3


def test_concurrent_appends_never_fork(store: duckdb.DuckDBPyConnection) -> None:
    def worker(k: int) -> None:
        cur = store.cursor()
        try:
            for i in range(10):
                audit.record(cur, ANA, "read", "/r", {"worker": k, "i": i}, i, "200")
        finally:
            cur.close()

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seqs = [r[0] for r in store.execute("SELECT seq FROM audit_log ORDER BY seq").fetchall()]
    assert seqs == list(range(1, 41))
    assert audit_read.verify(store) is None


def test_show_filters(store: duckdb.DuckDBPyConnection) -> None:
    _fill(store)
    assert [e["seq"] for e in audit_read.show(store, user="bob")] == [2, 4, 6]
    now = datetime.now(UTC)
    assert audit_read.show(store, since=now + timedelta(minutes=1)) == []
    assert len(audit_read.show(store, until=now + timedelta(minutes=1))) == 6
    assert [e["seq"] for e in audit_read.show(store, limit=2)] == [5, 6]
    entry = audit_read.show(store)[0]
    assert entry["filters"] == {"page": 1, "region": "110105"}
    assert json.dumps(entry)  # plain data


@pytest.mark.parametrize("filters", [{"名称": "北京"}, {"q": 'a"b\\c'}, {"n": None}])
def test_unusual_filters_round_trip(store: duckdb.DuckDBPyConnection, filters: dict) -> None:
    audit.record(store, ANA, "read", "/r", filters, None, "200")
    assert audit_read.verify(store) is None
    assert audit_read.show(store)[0]["filters"] == filters


def test_writer_commits_in_order_and_chains(store: duckdb.DuckDBPyConnection) -> None:
    from ecohub.access.audit_writer import AuditWriter

    audit.record(store, ANA, "login", "/api/v1/auth/token", None, None, "ok")
    writer = AuditWriter(store)
    try:
        for i in range(500):
            writer.submit(audit.entry(BOB, "read", "/r", {"i": i}, i, "200"))
        audit.record(store, ANA, "login", "/api/v1/auth/token", None, None, "ok")  # interleaved
        for i in range(500, 700):
            writer.submit(audit.entry(BOB, "read", "/r", {"i": i}, i, "200"))
        assert writer.flush()
    finally:
        writer.close()
    assert audit_read.verify(store) is None
    entries = audit_read.show(store)
    assert [e["seq"] for e in entries] == list(range(1, 703))
    got = [e["filters"]["i"] for e in entries if e["route"] == "/r"]
    assert got == list(range(700))  # submission order kept
