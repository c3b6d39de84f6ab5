"""``ecohub user`` / ``apikey`` / ``audit`` through Typer's CliRunner on a store in tmp_path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ecohub.access.errors import AuthFailed
from ecohub.cli.main import app
from ecohub.store.db import connect
from tests.access.conftest import PASSWORD

runner = CliRunner()


def _run(data: Path, *args: str, stdin: str | None = None) -> tuple[int, str, str]:
    from ecohub.settings import get_settings

    get_settings.cache_clear()
    result = runner.invoke(app, list(args), input=stdin, env={"ECOHUB_DATA_DIR": str(data)})
    get_settings.cache_clear()
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def data(tmp_path: Path) -> Path:
    # A store to work on: with none and no server, a command other than a load is refused
    # (tests/cli/test_no_platform.py).
    connect(tmp_path / "data" / "ecohub.duckdb").close()
    return tmp_path / "data"


def test_user_add_list_disable(data: Path) -> None:
    code, out, _ = _run(
        data, "user", "add", "ana", "--role", "analyst", "--region", "110105",
        "--password-stdin", stdin=PASSWORD + "\n",
    )  # fmt: skip
    assert code == 0 and "added ana (analyst, 110105)" in out
    code, out, _ = _run(data, "user", "list", "--json")
    (row,) = [json.loads(line) for line in out.splitlines()]
    assert (row["name"], row["region"], row["enabled"]) == ("ana", "110105", True)
    assert row["department"] is None
    assert _run(data, "user", "disable", "ana")[0] == 0
    assert json.loads(_run(data, "user", "list", "--json")[1])["enabled"] is False
    # Enabled again, with a new password set by the administrator.
    assert _run(data, "user", "enable", "ana")[0] == 0
    assert json.loads(_run(data, "user", "list", "--json")[1])["enabled"] is True
    code, out, _ = _run(data, "user", "passwd", "ana", "--password-stdin",
                        stdin="a brand new pass phrase\n")  # fmt: skip
    assert code == 0 and "password of ana set" in out
    code, _, err = _run(data, "user", "passwd", "ana", "--password-stdin", stdin="short\n")
    assert code != 0 and "password: must have at least 12" in err
    from ecohub.access import login

    con = connect(data / "ecohub.duckdb")
    try:
        assert login.authenticate(con, "ana", "a brand new pass phrase").name == "ana"
    finally:
        con.close()


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["--role", "analyst", "--region", "110105"], "short\n", "password: must have at least 12"),
        (["--role", "analyst"], PASSWORD + "\n", "region: a analyst user needs a region"),
        (["--role", "chief", "--region", "110105"], PASSWORD + "\n", "role: must be one of"),
        (["--role", "enterprise", "--source", "X1"], PASSWORD + "\n", "source:"),
        (
            ["--role", "analyst", "--region", "110105", "--department-code", "D1"],
            PASSWORD + "\n",
            "department: a department code needs",
        ),
        (
            [
                "--role",
                "analyst",
                "--region",
                "110105",
                "--department",
                "局",
                "--department-code",
                "D 1",
            ],
            PASSWORD + "\n",
            "department_code:",
        ),
        (
            ["--role", "analyst", "--region", "110105", "--department", "局\x07"],
            PASSWORD + "\n",
            "department: at most 64 characters, no control",
        ),
    ],
)
def test_user_add_errors_go_to_stderr(
    data: Path, args: list[str], stdin: str, message: str
) -> None:
    code, out, err = _run(data, "user", "add", "bob", *args, "--password-stdin", stdin=stdin)
    assert code == 1 and out == ""
    assert message in " ".join(err.split()) and "Traceback" not in err


def test_apikey_create_list_revoke(data: Path) -> None:
    _run(data, "user", "add", "ana", "--role", "admin", "--password-stdin", stdin=PASSWORD + "\n")
    code, out, err = _run(data, "apikey", "create", "--user", "ana", "--expires", "7")
    assert code == 0 and out.startswith("ehk_") and "cannot be shown again" in err
    key = out.strip()
    key_id = key.split("_")[1]
    listed = json.loads(_run(data, "apikey", "list", "--json")[1])
    assert listed["id"] == key_id and listed["revoked_at"] is None
    assert key not in _run(data, "apikey", "list", "--json")[1]
    assert _run(data, "apikey", "revoke", key_id)[0] == 0
    assert json.loads(_run(data, "apikey", "list", "--json")[1])["revoked_at"] is not None
    code, _, err = _run(data, "apikey", "revoke", "nope")
    assert code == 1 and "id: no API key 'nope'" in err
    code, _, err = _run(data, "apikey", "create", "--user", "ghost")
    assert code == 1 and "user: no user 'ghost'" in err


@pytest.mark.parametrize("days", ["nan", "inf", "0.5", "five"])
def test_apikey_expiry_that_is_no_whole_number_is_a_clean_error(data: Path, days: str) -> None:
    # `--expires nan` printed a traceback (the float NaN could not be sent as JSON).
    _run(data, "user", "add", "ana", "--role", "admin", "--password-stdin", stdin=PASSWORD + "\n")
    code, out, err = _run(data, "apikey", "create", "--user", "ana", "--expires", days)
    assert code != 0 and out == ""
    assert "--expires" in err and "Traceback" not in err + out


@pytest.mark.parametrize("days", ["0", "3651"])
def test_apikey_expiry_out_of_range_names_the_option(data: Path, days: str) -> None:
    _run(data, "user", "add", "ana", "--role", "admin", "--password-stdin", stdin=PASSWORD + "\n")
    code, out, err = _run(data, "apikey", "create", "--user", "ana", "--expires", days)
    assert code == 1 and out == "" and "Traceback" not in err
    assert err.startswith("error: --expires: ") or "--expires: " in err, err


def test_audit_show_and_verify_catches_an_altered_entry(data: Path) -> None:
    _run(data, "user", "add", "ana", "--role", "admin", "--password-stdin", stdin=PASSWORD + "\n")
    _run(data, "apikey", "create", "--user", "ana")
    _run(data, "user", "disable", "ana")
    code, out, _ = _run(data, "audit", "verify")
    assert code == 0 and "3 entries" in out
    code, out, _ = _run(data, "audit", "show", "--json", "--from", "2020-01-01")
    entries = [json.loads(line) for line in out.splitlines()]
    # The commands go through the API: its middleware records each request by route template
    # (the verify above included), as the local credential's user; no password in any entry.
    assert [(e["route"], e["result"]) for e in entries] == [
        ("/api/v1/users", "201"),
        ("/api/v1/apikeys", "201"),
        ("/api/v1/users/{name}/disable", "200"),
        ("/api/v1/audit/verify", "200"),
    ]
    assert all(e["user"] == "local" for e in entries)
    assert PASSWORD not in out
    assert _run(data, "audit", "show", "--json", "--to", "2020-01-01")[1] == ""
    code, _, err = _run(data, "audit", "show", "--from", "yesterday")
    assert code == 1 and "from:" in err

    con = connect(data / "ecohub.duckdb")
    con.execute("UPDATE audit_log SET result = 'ok, nothing to see' WHERE seq = 2")
    con.close()
    code, out, err = _run(data, "audit", "verify")
    assert code == 1 and "audit entry 2:" in err and "altered" in err


def test_user_department_is_set_and_listed(data: Path) -> None:
    code, _, err = _run(
        data, "user", "add", "hd", "--role", "analyst", "--region", "110108",
        "--department", "海淀区生态环境局", "--department-code", "D110108",
        "--password-stdin", stdin=PASSWORD + "\n",
    )  # fmt: skip
    assert code == 0, err
    (row,) = [json.loads(line) for line in _run(data, "user", "list", "--json")[1].splitlines()]
    assert row["department"] == {"code": "D110108", "name": "海淀区生态环境局"}
    assert _run(data, "user", "list")[0] == 0  # the table has a department column


@pytest.mark.parametrize("weak", ["aaaaaaaaaaaa", "password1234", "weak3weak3weak3"])
def test_user_add_refuses_a_weak_password_saying_why(data: Path, weak: str) -> None:
    code, out, err = _run(
        data, "user", "add", "weak3", "--role", "analyst", "--region", "110105",
        "--password-stdin", stdin=weak + "\n",
    )  # fmt: skip
    assert code == 1 and out == "" and "Traceback" not in err
    assert "password: too easy to guess (strength" in " ".join(err.split())
    assert weak not in err
    assert _run(data, "user", "list", "--json")[1] == ""


def test_user_list_shows_a_lock_at_one_address_and_enable_lifts_it(data: Path) -> None:
    from ecohub.access import login

    _run(data, "user", "add", "ana", "--role", "admin", "--password-stdin", stdin=PASSWORD + "\n")
    con = connect(data / "ecohub.duckdb")
    try:
        for _ in range(5):
            with pytest.raises(AuthFailed):
                login.authenticate(con, "ana", "not the password", client="198.51.100.7")
    finally:
        con.close()
    code, out, _ = _run(data, "user", "list")
    assert code == 0
    # The table's "locked at addresses" column (folded to the terminal's width), cell by cell.
    cells = "".join(line.split("│")[8].strip() for line in out.splitlines() if "│" in line)
    assert cells.startswith("198.51.100.7until20")
    (row,) = [json.loads(line) for line in _run(data, "user", "list", "--json")[1].splitlines()]
    assert row["locked_until"] is None
    assert [lock["client"] for lock in row["locked_addresses"]] == ["198.51.100.7"]
    assert _run(data, "user", "enable", "ana")[0] == 0
    (row,) = [json.loads(line) for line in _run(data, "user", "list", "--json")[1].splitlines()]
    assert row["locked_addresses"] == []
