"""`ecohub hj212 decode` / `encode` through Typer's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from ecohub.cli.main import app

GOOD = (
    "##0133QN=20260101120000123;ST=31;CN=2051;PW=123456;MN=EXAMPLE0000000001;Flag=5;"
    "CP=&&DataTime=20260101115000;a21026-Avg=12.5,a21026-Flag=N&&E101"
)
MODBUS = GOOD[:-4] + "DA7A"


def runner() -> CliRunner:
    try:
        return CliRunner(mix_stderr=False)  # type: ignore[call-arg]
    except TypeError:  # click >= 8.2 keeps stderr apart already
        return CliRunner()


def test_decode_good_and_bad_lines(tmp_path) -> None:  # type: ignore[no-untyped-def]
    source = tmp_path / "in.txt"
    source.write_text(GOOD + "\r\n" + "junk\n" + MODBUS + "\n", encoding="utf-8")
    result = runner().invoke(app, ["hj212", "decode", str(source)])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert len(lines) == 1
    assert json.loads(lines[0]) == {
        "qn": "20260101120000123",
        "st": "31",
        "cn": "2051",
        "pw": "123456",
        "mn": "EXAMPLE0000000001",
        "flag": 5,
        "pnum": None,
        "pno": None,
        "crc_ok": True,
        "edition": "2017",
        "cp": {"DataTime": "20260101115000", "a21026": {"Avg": "12.5", "Flag": "N"}},
    }
    errors = [json.loads(line) for line in result.stderr.splitlines()]
    assert errors[0]["line"] == 2 and errors[0]["error"] == "BadHeader"
    assert errors[1]["line"] == 3 and errors[1]["error"] == "CrcMismatch"


def test_decode_lenient_from_stdin() -> None:
    result = runner().invoke(app, ["hj212", "decode", "--lenient", "-"], input=MODBUS + "\n")
    assert result.exit_code == 0
    record = json.loads(result.stdout)
    assert record["deviation"] == "crc_modbus" and record["crc_ok"] is False


def test_encode_reverses_decode() -> None:
    decoded = runner().invoke(app, ["hj212", "decode", "-"], input=GOOD + "\n").stdout
    encoded = runner().invoke(app, ["hj212", "encode", "-"], input=decoded)
    assert encoded.exit_code == 0
    assert encoded.stdout_bytes == (GOOD + "\r\n").encode()


def test_encode_unicode_and_bad_line() -> None:
    obj = {
        "st": "31",
        "cn": "2051",
        "pw": "1",
        "mn": "M",
        "qn": "20260101120000123",
        "flag": 4,
        "cp": {"i11001-Info": "//设备正常//"},
    }
    bad = {"st": "3", "cn": "2051", "pw": "1", "mn": "M", "cp": {}}
    text = json.dumps(obj, ensure_ascii=False) + "\n" + json.dumps(bad) + "\n"
    result = runner().invoke(app, ["hj212", "encode", "-"], input=text)
    assert result.exit_code == 1
    assert "设备正常" in result.stdout
    assert json.loads(result.stderr)["error"] == "MalformedField"


def test_decode_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    result = runner().invoke(app, ["hj212", "decode", str(tmp_path / "nope.txt")])
    assert result.exit_code == 1
    assert "FILE: cannot read" in result.stderr
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)
