"""`ecohub alerts list|show|ack|close|channels` through the door (in-process here) on a store
whose alert was raised by `ecohub supervise detect`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import Result

from ecohub.store.db import connect
from tests.cli._run import run_cli
from tests.supervision.series import MN, clean, load, table


def _invoke(db: Path, *args: str) -> Result:
    return run_cli(*args, db=db, columns=200)


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("alerts") / "ecohub.duckdb"
    con = connect(path)
    con.execute("INSERT INTO source (source_code, region_code) VALUES ('S1', '130203')")
    con.execute(
        f"INSERT INTO monitor_point (mn, source_code, outlet_code) VALUES ('{MN}', 'S1', 'DA001')"
    )
    v = clean(600)
    v["a21026"][100:400] = 42.0  # 300 equal values: constant for 5 h
    load(con, table(v))
    con.close()
    out = _invoke(path, "supervise", "detect", "--from", "2026-03-02", "--to", "2026-03-02")
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["alerts"] == {"opened": 1, "updated": 0, "queued": 0}
    return path


def test_list_show_ack_close(db: Path) -> None:
    out = _invoke(db, "alerts", "list", "--format", "json", "--state", "open")
    assert out.exit_code == 0, out.output
    (a,) = json.loads(out.output)
    assert (a["id"], a["kind"], a["mn"], a["rule"], a["state"]) == (
        1,
        "finding",
        MN,
        "constant",
        "open",
    )
    table_out = _invoke(db, "alerts", "list")
    assert "1 row(s)" in table_out.output and "constant" in table_out.output
    shown = json.loads(_invoke(db, "alerts", "show", "1").output)
    assert shown["detail"]["min"] == 42.0 and shown["deliveries"] == []
    out = _invoke(db, "alerts", "ack", "1", "--comment", "phoned the plant")
    assert out.exit_code == 0 and out.output.startswith("alert 1: acknowledged by local at ")
    again = _invoke(db, "alerts", "ack", "1")
    assert again.exit_code == 1
    assert "state: alert 1 is already acknowledged (by local); ack needs open" in again.output
    assert "Traceback" not in again.output
    no_comment = _invoke(db, "alerts", "close", "1")
    assert no_comment.exit_code == 2 and "--comment" in no_comment.output
    out = _invoke(db, "alerts", "close", "1", "--comment", "analyser replaced")
    assert out.exit_code == 0 and "closed by local" in out.output
    closed = json.loads(_invoke(db, "alerts", "list", "--format", "json", "--state", "closed")
                        .output)  # fmt: skip
    assert [(c["id"], c["close_comment"]) for c in closed] == [(1, "analyser replaced")]
    con = connect(db)
    try:
        actions = con.execute(
            "SELECT user_name, action FROM audit_log WHERE action LIKE 'alert.%' ORDER BY seq"
        ).fetchall()
    finally:
        con.close()
    assert actions == [("local", "alert.ack"), ("local", "alert.close")]


def test_bad_input_is_a_clear_message(db: Path) -> None:
    out = _invoke(db, "alerts", "show", "99")
    assert out.exit_code == 1 and "alert '99' not found" in out.output
    out = _invoke(db, "alerts", "list", "--severity", "urgent")
    assert out.exit_code == 1 and out.output.startswith("error: --severity: ")
    out = _invoke(db, "alerts", "list", "--format", "xml")
    assert out.exit_code == 1 and "--format" in out.output
    out = _invoke(db, "alerts", "channels")
    assert out.exit_code == 0 and json.loads(out.output) == []
