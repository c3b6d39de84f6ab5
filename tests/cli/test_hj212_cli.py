"""`ecohub hj212 decode` / `encode` through Typer's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
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


# -- issue 9: hostile input to encode, simulate and policy ---------------------------------

ENCODE_HEAD = '{"st":"31","cn":"2051","pw":"1","mn":"M","qn":"20260101120000123","flag":4,'


@pytest.mark.parametrize(
    ("line", "error", "words"),
    [
        (ENCODE_HEAD + '"cp":{"a":Infinity}}', "ValueError", "Infinity"),
        (ENCODE_HEAD + '"cp":{"a":-Infinity}}', "ValueError", "Infinity"),
        (ENCODE_HEAD + '"cp":{"a":NaN}}', "ValueError", "NaN"),
        (ENCODE_HEAD + '"cp":{"a":1e400}}', "MalformedNumber", "cp.a: too large"),
        (ENCODE_HEAD + '"cp":{"a":1e-400}}', "MalformedNumber", "cp.a: too small"),
        (ENCODE_HEAD + '"cp":{"a":{"Avg":12345678901234567890}}}', "MalformedNumber", "cp.a.Avg"),
        (ENCODE_HEAD + '"cp":[1,2]}', "ValueError", "cp: must be a JSON object"),
        (ENCODE_HEAD + '"cp":{"a":[1]}}', "ValueError", "cp.a: must be text or a number"),
        (ENCODE_HEAD + '"cp":{"a":true}}', "ValueError", "cp.a: must be text or a number"),
        (ENCODE_HEAD + '"cp":{"a":null}}', "ValueError", "cp.a: must be text or a number"),
        ("[" * 100_000 + "]" * 100_000, "ValueError", "nested too deeply"),
        ('{"st":"31"}', "KeyError", "missing field 'cn'"),
    ],
    ids=lambda v: v[:30] if isinstance(v, str) else "",
)
def test_encode_hostile_line_is_a_clear_error(line: str, error: str, words: str) -> None:
    result = runner().invoke(app, ["hj212", "encode", "-"], input=line + "\n")
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    record = json.loads(result.stderr)
    assert record["line"] == 1 and record["error"] == error
    assert words in record["detail"]


def test_encode_numbers_keep_their_digits_and_never_use_exponents() -> None:
    line = ENCODE_HEAD + '"cp":{"a":{"Avg":12.50,"Min":-3,"Max":1e-7}}}'
    result = runner().invoke(app, ["hj212", "encode", "-"], input=line + "\n")
    assert result.exit_code == 0, result.stderr
    assert b"a-Avg=12.50,a-Min=-3,a-Max=0.0000001" in result.stdout_bytes


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["--rate", "inf"], "--rate"),
        (["--rate", "nan"], "--rate"),
        (["--rate", "-1"], "--rate"),
        (["--duration", "inf"], "--duration"),
        (["--duration", "nan"], "--duration"),
        (["--duration", "0"], "--duration"),
        (["--port", "99999"], "--port"),
        (["--port", "-1"], "--port"),
    ],
)
def test_simulate_bad_numbers_are_one_line_errors(args: list[str], option: str) -> None:
    result = runner().invoke(app, ["hj212", "simulate", "--devices", "1", *args])
    assert result.exit_code == 2
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith(f"error: {option}: ")


def test_simulate_rate_zero_means_unpaced_not_a_crash() -> None:
    # Nothing listens on port 1: the run ends with a clear "could not connect", no traceback.
    result = runner().invoke(
        app, ["hj212", "simulate", "--devices", "1", "--rate", "0", "--duration", "0.2",
              "--port", "1"],
    )  # fmt: skip
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "no unit could connect" in result.stderr


@pytest.mark.parametrize("mn", ["A B", "设备001", "a/b", "", "x" * 28, "[red]x"])
def test_policy_and_register_reject_an_mn_the_codec_cannot_read(
    mn: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ecohub.settings import get_settings

    monkeypatch.setenv("ECOHUB_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        for args in (["hj212", "policy", mn, "lenient"], ["hj212", "register", mn]):
            result = runner().invoke(app, args)
            assert result.exit_code == 1
            assert result.exception is None or isinstance(result.exception, SystemExit)
            assert result.stderr.startswith("error: MN: ")
            assert mn[:20] in result.stderr  # quoted as given, not read as markup
    finally:
        get_settings.cache_clear()


@pytest.mark.e2e
def test_policy_reaches_a_running_server_with_any_valid_mn(tmp_path: Path) -> None:
    """`ecohub up` holds the store; `policy` goes over HTTP with the MN as one path segment."""
    import os
    import signal
    import subprocess
    import sys
    import time

    env = {**os.environ, "ECOHUB_DATA_DIR": str(tmp_path), "ECOHUB_HJ212_HOST": "127.0.0.1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "ecohub.cli.main", "up", "--no-sample", "--hj212-port", "0",
         "--http-port", "0"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "ecohub.cli.main", *args],
            env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip

    try:
        deadline = time.monotonic() + 240
        while not (tmp_path / "server.json").exists():
            assert proc.poll() is None, proc.stderr.read()  # type: ignore[union-attr]
            assert time.monotonic() < deadline, "ecohub up did not come up"
            time.sleep(0.2)
        unknown = cli("hj212", "policy", "MN.01_a-b", "lenient")
        assert unknown.returncode == 1, "a policy must not create a device (issue 9)"
        assert "Traceback" not in unknown.stderr
        for mn in ("..", "MN.01_a-b"):
            registered = cli("hj212", "register", mn)
            assert registered.returncode == 0, registered.stderr
            done = cli("hj212", "policy", mn, "lenient")
            assert done.returncode == 0, done.stderr
            assert "Traceback" not in done.stderr
        bad = cli("hj212", "policy", "A B/设备", "lenient")
        assert bad.returncode == 1 and bad.stderr.startswith("error: MN: ")
        assert "Traceback" not in bad.stderr
        listed = cli("hj212", "devices", "--json")
        assert listed.returncode == 0, listed.stderr
        policies = {json.loads(line)["mn"]: json.loads(line)["policy"]
                    for line in listed.stdout.splitlines()}  # fmt: skip
        assert policies == {"..": "lenient", "MN.01_a-b": "lenient"}
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=60)
