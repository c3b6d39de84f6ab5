"""`ecohub lake compact|status` through a temporary data folder (no server: in-process)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from typer.testing import Result

from ecohub.store.db import connect
from tests.cli._run import run_cli


def _invoke(data_dir: Path, *args: str) -> Result:
    return run_cli("lake", *args, data_dir=data_dir, ECOHUB_NODE_ID="cli")


def test_compact_then_status(tmp_path: Path) -> None:
    con = connect(tmp_path / "ecohub.duckdb")
    old = datetime.now(UTC) - timedelta(days=10)
    for m in range(3):  # three settled minutes, one value each, and one live row
        con.execute(
            "INSERT INTO emission (mn, cn, data_time, pollutant, received_at) "
            "VALUES ('MN000000000000000001', '2051', ?, 'a21026', ?)",
            [old + timedelta(minutes=m), old],
        )
    con.execute(
        "INSERT INTO emission (mn, cn, data_time, pollutant, received_at) "
        "VALUES ('MN000000000000000001', '2051', now(), 'a21026', now())"
    )
    con.close()
    out = _invoke(tmp_path, "compact")
    assert out.exit_code == 0, out.output
    assert "emission: 3 settled rows" in out.output and "3 moved" in out.output
    out = _invoke(tmp_path, "status")
    assert out.exit_code == 0, out.output
    assert f"lake: {tmp_path / 'lake'}" in out.output
    assert "emission: 1 files, 3 rows" in out.output
    again = _invoke(tmp_path, "compact")
    assert "emission: 0 settled rows" in again.output
    con = connect(tmp_path / "ecohub.duckdb")
    assert con.execute("SELECT count(*) FROM emission_all").fetchone() == (4,)
    assert con.execute("SELECT count(*) FROM emission").fetchone() == (1,)


def test_a_url_lake_is_refused_naming_the_setting(tmp_path: Path) -> None:
    connect(tmp_path / "ecohub.duckdb").close()  # a store here: the lake is what is refused
    out = run_cli("lake", "compact", data_dir=tmp_path, ECOHUB_LAKE="s3://bucket/lake")
    assert out.exit_code != 0
    assert "lake (s3://bucket/lake): compaction" in out.output
    assert "Traceback" not in out.output


def test_compact_moves_observations_rewrites_and_merges(tmp_path: Path) -> None:
    con = connect(tmp_path / "ecohub.duckdb")
    old = datetime.now(UTC) - timedelta(days=40)
    ins = (
        "INSERT INTO observation (station_id, parameter, period, time, value, unit, "
        "below_detection) VALUES ('S1', 'a34004', '1h', ?, ?, 'ug/m3', false) "
        "ON CONFLICT DO UPDATE SET value = EXCLUDED.value"
    )
    con.execute(ins, [old, 1.0])
    con.close()
    out = _invoke(tmp_path, "compact")
    assert out.exit_code == 0, out.output
    assert "observation: 1 settled rows" in out.output and "1 moved" in out.output
    con = connect(tmp_path / "ecohub.duckdb")
    con.execute(ins, [old, 2.0])  # a corrected reload of a settled value
    con.close()
    out = _invoke(tmp_path, "compact")
    text = " ".join(out.output.split())  # the console wraps long lines
    assert "1 partition(s) rewritten with reloaded values" in text, out.output
    con = connect(tmp_path / "ecohub.duckdb")
    assert con.execute("SELECT value FROM observation_all").fetchall() == [(2.0,)]
    con.close()
    out = _invoke(tmp_path, "status")
    assert "observation: 1 files, 1 rows" in out.output, out.output
