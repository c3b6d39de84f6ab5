"""`ecohub hj212 emissions` / `rejected` through the door (in-process here): the stored rows
as a table, CSV and JSON, paging, and bad options named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import Result

from ecohub.store.db import connect
from tests.cli._run import csv_rows, run_cli

MN = "88888880000001"
CRC_BAD = (
    "##0101QN=20260302000000000;ST=31;CN=2011;PW=123456;MN=88888880000001;Flag=4;CP=&&&&ABCD\r\n"
)


def _invoke(db: Path, *args: str) -> Result:
    return run_cli(*args, db=db, columns=220)


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("hj212data") / "ecohub.duckdb"
    con = connect(path)
    con.execute("INSERT INTO source (source_code, region_code) VALUES ('S1', '130203')")
    con.execute(
        f"INSERT INTO monitor_point (mn, source_code, outlet_code) VALUES ('{MN}', 'S1', 'DA001')"
    )
    # Three minutes of SO2: 30.0, 31.5, 33.0 mg/m3 from 2026-03-02 00:00 CST.
    con.execute(
        "INSERT INTO emission (mn, cn, data_time, pollutant, avg, min, max, flag, received_at) "
        f"SELECT '{MN}', '2051', TIMESTAMPTZ '2026-03-02 00:00:00+08' + to_minutes(i), "
        "'a21026', v, v - 1, v + 1, 'N', now() "
        "FROM (VALUES (0, 30.0), (1, 31.5), (2, 33.0)) AS t(i, v)"
    )
    con.execute(
        "INSERT INTO packet_log (received_at, peer, mn, raw, status, error, reason) VALUES "
        f"(TIMESTAMPTZ '2026-03-02 08:00:00+08', '127.0.0.1:5000', '{MN}', ?, 'rejected', "
        "'CrcError', 'crc ABCD does not match'), "
        f"(TIMESTAMPTZ '2026-03-02 08:01:00+08', '127.0.0.1:5000', '{MN}', ?, 'rejected', "
        "'FrameError', 'not a frame')",
        [CRC_BAD.encode(), b"\xff\xfe\x00junk"],
    )
    con.close()
    return path


def test_emissions_as_json_csv_and_table(db: Path) -> None:
    out = _invoke(db, "hj212", "emissions", "--mn", MN, "--pollutant", "a21026", "--format", "json")
    assert out.exit_code == 0, out.output
    rows = json.loads(out.stdout)
    assert [(r["mn"], r["pollutant"], r["avg"]) for r in rows] == [
        (MN, "a21026", 30.0),
        (MN, "a21026", 31.5),
        (MN, "a21026", 33.0),
    ]
    # Answered in China Standard Time whatever the host's zone (the test host runs in UTC).
    assert rows[1]["data_time"] == "2026-03-02T00:01:00+08:00"
    text = _invoke(db, "hj212", "emissions", "--mn", MN, "--pollutant", "a21026", "--format", "csv")
    assert text.exit_code == 0, text.output
    got = csv_rows(text.stdout)
    assert [g["avg"] for g in got] == ["30.0", "31.5", "33.0"] and "received_at" in got[0]
    shown = _invoke(db, "hj212", "emissions", "--mn", MN, "--pollutant", "a21026")
    assert shown.exit_code == 0, shown.output
    # The table shows China Standard Time.
    assert "3 row(s)" in shown.stdout and "2026-03-02 00:01:00" in shown.stdout


def test_emissions_limit_says_more_and_all_fetches_every_row(db: Path) -> None:
    first = _invoke(db, "hj212", "emissions", "--mn", MN, "--pollutant", "a21026",
                    "--limit", "2", "--format", "json")  # fmt: skip
    assert first.exit_code == 0, first.output
    assert [r["avg"] for r in json.loads(first.stdout)] == [30.0, 31.5]
    assert "more rows than the 2 shown" in first.stderr
    every = _invoke(db, "hj212", "emissions", "--all", "--format", "json", "--from", "2026-03-02")
    assert every.exit_code == 0, every.output
    assert len(json.loads(every.stdout)) == 3 and "more rows" not in every.stderr
    window = _invoke(db, "hj212", "emissions", "--mn", MN, "--from", "2026-03-02T00:01",
                     "--to", "2026-03-02T00:02", "--format", "json")  # fmt: skip
    assert [r["avg"] for r in json.loads(window.stdout)] == [31.5]


def test_rejected_packets(db: Path) -> None:
    out = _invoke(db, "hj212", "rejected", "--format", "json")
    assert out.exit_code == 0, out.output
    rows = json.loads(out.stdout)
    assert [r["error"] for r in rows] == ["FrameError", "CrcError"]  # newest first
    # The device password never leaves the store (PW=123456 -> PW=***); bytes as upper-case hex.
    masked = CRC_BAD.replace("PW=123456", "PW=***").encode().hex().upper()
    assert rows[1]["raw_hex"] == masked and rows[1]["is_text"] is True
    # Bytes that are not UTF-8 are listed (not a 500), as hex.
    assert rows[0]["raw_hex"] == "FFFE006A756E6B" and rows[0]["is_text"] is False
    shown = _invoke(db, "hj212", "rejected", "--mn", MN)
    assert shown.exit_code == 0, shown.output
    # Text packets as text (cut), others as hex; the end of line escaped.
    assert "##0101QN=20260302000000000" in shown.stdout and "123456" not in shown.stdout
    assert "FFFE006A756E6B" in shown.stdout
    assert "2026-03-02 08:01:00" in shown.stdout
    one = _invoke(db, "hj212", "rejected", "--limit", "1", "--format", "csv")
    assert one.exit_code == 0 and len(csv_rows(one.stdout)) == 1
    assert "more rows than the 1 shown" in one.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["emissions", "--from", "yesterday"], "--from: expected YYYY-MM-DD"),
        (["emissions", "--from", "2026-03-03", "--to", "2026-03-02"], "--from:"),
        (["emissions", "--mn", "no spaces allowed"], "--mn:"),
        (["emissions", "--limit", "0"], "--limit:"),
        (["emissions", "--format", "xml"], "--format: expected one of table, csv, json"),
        (["emissions", "--all", "--limit", "5"], "--limit: not with --all"),
        (["rejected", "--limit", "20000"], "--limit:"),
        (["rejected", "--format", "yaml"], "--format:"),
    ],
)
def test_bad_options_are_named(db: Path, args: list[str], message: str) -> None:
    out = _invoke(db, "hj212", *args)
    assert out.exit_code != 0
    assert message in out.stderr, out.output
    assert "Traceback" not in out.output
