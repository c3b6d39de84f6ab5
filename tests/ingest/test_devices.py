"""Device services: MN validation, and a policy that never creates or registers a device."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from ecohub.api.app import create_app
from ecohub.ingest.devices import register_device, set_policy, validate_mn
from ecohub.protocols import hj212
from ecohub.store.db import connect

# HJ 212-2017 6.3.2: 24 characters 0-9 A-F (EPC-96); HJ/T 212-2005: 14 digits.
VALID = ["010000A8900016F000169DC0", "88888880000001", "MN_01-a.b"]
INVALID = [("", "empty"), ("x" * 100_000, "100000 characters"), ("A" * 28, "28 characters"),
           ("AB\x00CD", r"'\\x00'"), ("AB\x1bCD", r"'\\x1b'"), ("AB CD", "' '"),
           ("ＡＢ", "'Ａ'"), ("监测点", "'监'"), ("a/b", "'/'")]  # fmt: skip


@pytest.mark.parametrize("mn", VALID)
def test_valid_mns(mn: str) -> None:
    assert validate_mn(mn) == mn


@pytest.mark.parametrize(("mn", "why"), INVALID)
def test_invalid_mns_name_the_field_and_the_reason(mn: str, why: str) -> None:
    with pytest.raises(ValueError, match=rf"^mn: .*{why}"):
        validate_mn(mn)


@given(st.text(max_size=40))
def test_an_mn_is_valid_exactly_when_a_packet_can_carry_it(mn: str) -> None:
    # Registering must be possible for every MN the server can receive, and for nothing else.
    try:
        validate_mn(mn)
        ok = True
    except ValueError:
        ok = False
    seg = f"QN=20260101120000123;ST=31;CN=9015;PW=123456;MN={mn};Flag=5;CP=&&&&"
    try:
        hj212.parse(hj212.codec.frame_segment(seg.encode()))
        parsed = True
    except hj212.ProtocolError:
        parsed = False
    assert ok == parsed


def test_policy_never_creates_or_registers_a_device(tmp_path: Path) -> None:
    con = connect(tmp_path / "d.duckdb")
    with pytest.raises(ValueError, match=r"^mn: no device 'NEVER0000000000000000000'"):
        set_policy(con, "NEVER0000000000000000000", "lenient")
    with pytest.raises(ValueError, match=r"^mn: 100000 characters"):
        set_policy(con, "x" * 100_000, "lenient")
    assert con.execute("SELECT count(*) FROM monitor_point").fetchone() == (0,)
    # a device seen before (unregistered row) gets the policy and stays unregistered
    con.execute("INSERT INTO monitor_point (mn, registered) VALUES ('SEEN01', FALSE)")
    set_policy(con, "SEEN01", "lenient")
    assert con.execute("SELECT policy, registered FROM monitor_point").fetchall() == [
        ("lenient", False)
    ]
    with pytest.raises(ValueError, match=r"^mn: character '\\x00'"):
        register_device(con, "AB\x00")
    con.close()


def test_policy_set_twice_while_a_reader_holds_the_row(tmp_path: Path) -> None:
    """The writer and the API read `monitor_point` all the time: a policy changed twice while
    another transaction still sees the first version is stored, not a write-write conflict."""
    con = connect(tmp_path / "d.duckdb")
    con.execute("INSERT INTO monitor_point (mn, registered) VALUES ('SEEN01', FALSE)")
    reader = con.cursor()
    reader.execute("BEGIN")
    assert reader.execute("SELECT policy FROM monitor_point").fetchall() == [("strict",)]
    set_policy(con, "SEEN01", "lenient")
    set_policy(con, "SEEN01", "strict")
    set_policy(con, "SEEN01", "lenient")
    reader.execute("COMMIT")
    assert con.execute("SELECT policy FROM monitor_point").fetchall() == [("lenient",)]


def test_policy_put_with_a_bad_mn_is_a_clear_error(tmp_path: Path) -> None:
    """An MN no packet could carry is a 422 naming `mn`; a valid but unknown MN is a 404 (as
    an out-of-scope one); neither creates a device."""
    from ecohub.access import apikeys, users
    from ecohub.settings import Settings

    con = connect(tmp_path / "d.duckdb")
    users.add_user(con, "root", "admin", None, [], "a long enough password")
    key = apikeys.create(con, "root")[0]
    app = create_app(con, settings=Settings(data_dir=tmp_path), data_dir=tmp_path, audit=False)
    client = TestClient(app, headers={"X-API-Key": key})
    resp = client.put(f"/api/v1/hj212/devices/{'A' * 10_000}/policy", json={"policy": "lenient"})
    assert resp.status_code == 422 and "mn" in resp.text
    resp = client.put("/api/v1/hj212/devices/UNKNOWN01/policy", json={"policy": "lenient"})
    assert resp.status_code == 404
    assert con.execute("SELECT count(*) FROM monitor_point").fetchone() == (0,)
    app.state.ctx.jobs.shutdown()
    con.close()
