from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from ecohub.cli.main import main
from ecohub.settings import Settings, SettingsError, get_settings, load_settings

DOCS = Path(__file__).resolve().parent.parent / "docs" / "operations.md"


def test_defaults() -> None:
    s = Settings()
    assert s.hj212_port == 9212 and s.engine == "duckdb"
    assert s.database == Path("ecohub-data") / "ecohub.duckdb"


def test_toml_then_env_then_overrides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "ecohub.toml"
    cfg.write_text('[ecohub]\nhj212_port = 9300\nhttp_port = 8300\nengine = "spark"\n')
    monkeypatch.setenv("ECOHUB_CONFIG", str(cfg))
    monkeypatch.setenv("ECOHUB_HTTP_PORT", "8400")
    s = load_settings(engine="duckdb")
    assert (s.hj212_port, s.http_port, s.engine) == (9300, 8400, "duckdb")


def test_missing_config_file_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECOHUB_CONFIG", str(tmp_path / "nope.toml"))
    with pytest.raises(SettingsError, match=r"ECOHUB_CONFIG .*: no such file"):
        load_settings()


def test_bad_value_names_the_field(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECOHUB_HJ212_PORT", "ninety")
    with pytest.raises(ValueError, match="hj212_port"):
        load_settings()


def test_every_setting_is_documented() -> None:
    documented = set(re.findall(r"`(ECOHUB_[A-Z0-9_]+)`", DOCS.read_text(encoding="utf-8")))
    expected = {f"ECOHUB_{name.upper()}" for name in Settings.model_fields}
    assert expected - documented == set()


# -- issue 9: every bad setting is one clear line, naming it, and no traceback --------------

BAD_SETTINGS = [
    ("ECOHUB_HJ212_PORT", "abc", "hj212_port (ECOHUB_HJ212_PORT): Input should be a valid integer"),
    ("ECOHUB_HJ212_PORT", "99999", "hj212_port (ECOHUB_HJ212_PORT): Input should be less than"),
    ("ECOHUB_HTTP_PORT", "-1", "http_port (ECOHUB_HTTP_PORT): Input should be greater than"),
    ("ECOHUB_ENGINE", "oracle", "engine (ECOHUB_ENGINE): Input should be 'duckdb' or 'spark'"),
    *(
        ("ECOHUB_DB_MEMORY_LIMIT", bad, "db_memory_limit (ECOHUB_DB_MEMORY_LIMIT): Value error")
        for bad in ("lots", "6", "50%", "6 GBs")
    ),
]


@pytest.mark.parametrize(("var", "value", "words"), BAD_SETTINGS)
def test_bad_value_is_a_settings_error(
    var: str, value: str, words: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(var, value)
    with pytest.raises(SettingsError) as info:
        load_settings()
    assert str(info.value).startswith(words)
    assert "\n" not in str(info.value) and repr(value) in str(info.value)


def test_malformed_toml_names_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "ecohub.toml"
    cfg.write_text("[ecohub\nhj212_port = 1\n")
    monkeypatch.setenv("ECOHUB_CONFIG", str(cfg))
    with pytest.raises(SettingsError, match=r"ECOHUB_CONFIG \(.*ecohub.toml\): malformed TOML"):
        load_settings()


def test_config_that_is_a_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECOHUB_CONFIG", str(tmp_path))
    with pytest.raises(SettingsError, match=r"ECOHUB_CONFIG .*: is not a file"):
        load_settings()


def test_data_dir_that_is_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    afile = tmp_path / "afile"
    afile.write_text("x")
    monkeypatch.setenv("ECOHUB_DATA_DIR", str(afile))
    with pytest.raises(SettingsError, match=r"data_dir \(ECOHUB_DATA_DIR\): .*not a directory"):
        load_settings()


def test_port_option_out_of_range_names_the_setting() -> None:
    with pytest.raises(SettingsError, match="hj212_port"):
        load_settings(hj212_port=99999)


def run_cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
            *args: str) -> tuple[object, str]:  # fmt: skip
    """``ecohub ARGS`` through its real entry point; (exit code, stderr)."""
    get_settings.cache_clear()
    monkeypatch.setattr(sys, "argv", ["ecohub", *args])
    try:
        with pytest.raises(SystemExit) as info:
            main()
    finally:
        get_settings.cache_clear()
    return info.value.code, capsys.readouterr().err


def one_line_error(code: object, err: str) -> str:
    assert code not in (0, None)
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    return lines[0]


@pytest.mark.parametrize(("var", "value", "words"), BAD_SETTINGS)
def test_cli_bad_setting_is_one_line(
    var: str, value: str, words: str, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    monkeypatch.setenv("ECOHUB_DATA_DIR", str(tmp_path))
    monkeypatch.setenv(var, value)
    line = one_line_error(*run_cli(monkeypatch, capsys, "hj212", "devices"))
    assert line.startswith(f"error: settings: {words}")


@pytest.mark.parametrize(
    ("setup", "words"),
    [
        ("missing_config", "ECOHUB_CONFIG"),
        ("malformed_toml", "malformed TOML"),
        ("data_dir_is_a_file", "data_dir (ECOHUB_DATA_DIR)"),
        ("store_not_duckdb", "is not a DuckDB database file"),
        ("store_is_a_directory", "is a directory"),
    ],
)
def test_cli_bad_config_or_store_is_one_line(
    setup: str, words: str, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    monkeypatch.setenv("ECOHUB_DATA_DIR", str(tmp_path / "data"))
    if setup == "missing_config":
        monkeypatch.setenv("ECOHUB_CONFIG", str(tmp_path / "nope.toml"))
    elif setup == "malformed_toml":
        (tmp_path / "bad.toml").write_text("hj212_port = [\n")
        monkeypatch.setenv("ECOHUB_CONFIG", str(tmp_path / "bad.toml"))
    elif setup == "data_dir_is_a_file":
        (tmp_path / "afile").write_text("x")
        monkeypatch.setenv("ECOHUB_DATA_DIR", str(tmp_path / "afile"))
    elif setup == "store_not_duckdb":
        (tmp_path / "store.duckdb").write_text("not a database\n")
        monkeypatch.setenv("ECOHUB_DB_PATH", str(tmp_path / "store.duckdb"))
    else:
        (tmp_path / "store.duckdb").mkdir()
        monkeypatch.setenv("ECOHUB_DB_PATH", str(tmp_path / "store.duckdb"))
    for args in (["hj212", "devices"], ["hj212", "register", "MN1"]):
        line = one_line_error(*run_cli(monkeypatch, capsys, *args))
        assert words in line
        assert "in use" not in line  # the old message blamed another process


@pytest.mark.parametrize("option", ["--hj212-port", "--http-port"])
@pytest.mark.parametrize("value", ["99999", "-1", "65536"])
def test_up_port_option_out_of_range_is_one_line(
    option: str, value: str, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    monkeypatch.setenv("ECOHUB_DATA_DIR", str(tmp_path))
    line = one_line_error(*run_cli(monkeypatch, capsys, "up", "--no-sample", option, value))
    assert line.startswith(f"error: {option}: {value} is not a TCP port")
    assert not (tmp_path / "ecohub.duckdb").exists()  # refused before anything opened


# -- walk B findings 3, 4, 8: JSON that is not JSON, tiny memory, the TOML file's keys ------


@pytest.mark.parametrize(
    ("var", "shape"),
    [("ECOHUB_SPARK_CONF", "an object"), ("ECOHUB_HJ212_LENIENT_MNS", "a list"),
     ("ECOHUB_ALERT_CHANNELS", "a list")],
)  # fmt: skip
def test_cli_setting_that_is_not_json_is_one_line_without_the_value(
    var: str, shape: str, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    monkeypatch.setenv("ECOHUB_DATA_DIR", str(tmp_path))
    monkeypatch.setenv(var, 'notjson {"password": "hunter2"')
    code, err = run_cli(monkeypatch, capsys, "lake", "status")
    line = one_line_error(code, err)
    assert code == 2
    name = var.removeprefix("ECOHUB_").lower()
    assert line.startswith(f"error: settings: {name} ({var}): not valid JSON")
    assert f"expected {shape}" in line
    assert "hunter2" not in err and "notjson" not in err


@pytest.mark.parametrize("value", ["0GB", "1KB", "127MB", "0.1GB", "100MiB"])
def test_memory_limit_below_128mb_is_refused(value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECOHUB_DB_MEMORY_LIMIT", value)
    with pytest.raises(SettingsError, match=r"db_memory_limit .*at least 128MB"):
        load_settings()


@pytest.mark.parametrize("value", ["128MB", "512MiB", "6GB", " 1.5 TiB "])
def test_memory_limit_of_128mb_or_more_is_kept(value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECOHUB_DB_MEMORY_LIMIT", value)
    assert load_settings().db_memory_limit == value.strip()


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('[ecohub]\nlake_path = "/x"\n', "unknown setting 'lake_path' (did you mean lake?)"),
        ('[ecohub]\nnode = "a"\n', "unknown setting 'node' (did you mean node_id?)"),
        ("httpport = 5\n", "unknown setting 'httpport' (did you mean http_port?)"),
        ("[ecohub]\nzzz = 5\n", "unknown setting 'zzz'"),
    ],
)
def test_unknown_key_in_the_toml_file_is_refused(
    text: str, words: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = tmp_path / "t.toml"
    cfg.write_text(text)
    monkeypatch.setenv("ECOHUB_CONFIG", str(cfg))
    with pytest.raises(SettingsError) as info:
        load_settings()
    assert str(info.value) == f"ECOHUB_CONFIG ({cfg}): {words}"


def test_bad_value_from_the_toml_file_names_the_file_and_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = tmp_path / "t.toml"
    cfg.write_text('[ecohub]\nhttp_port = "abc"\nlake = 5\n')
    monkeypatch.setenv("ECOHUB_CONFIG", str(cfg))
    with pytest.raises(SettingsError) as info:
        load_settings()
    message = str(info.value)
    assert message.startswith(f"http_port (key http_port in {cfg}): Input should be a valid int")
    assert f"lake (key lake in {cfg}): " in message and "ECOHUB_" not in message
    monkeypatch.setenv("ECOHUB_HTTP_PORT", "8300")  # the variable wins; the file's lake is bad
    with pytest.raises(SettingsError, match=rf"^lake \(key lake in {re.escape(str(cfg))}\)"):
        load_settings()
    monkeypatch.setenv("ECOHUB_HTTP_PORT", "x")  # a bad variable is named as the variable
    with pytest.raises(SettingsError, match=r"^http_port \(ECOHUB_HTTP_PORT\)"):
        load_settings()


def test_origin_names_the_variable_or_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = tmp_path / "t.toml"
    cfg.write_text(f'[ecohub]\nlake = "{tmp_path}/lake"\nnode_id = "a"\n')
    monkeypatch.setenv("ECOHUB_CONFIG", str(cfg))
    monkeypatch.setenv("ECOHUB_NODE_ID", "b")
    s = load_settings()
    assert s.origin("lake") == f"key lake in {cfg}"
    assert s.origin("node_id") == "ECOHUB_NODE_ID" and s.node == "b"


def test_unknown_variables_name_the_setting_meant() -> None:
    from ecohub.settings_sources import unknown_variables

    env = {
        "ECOHUB_HTTP_PROT": "8300",  # a typo: http_port keeps its default
        "ECOHUB_LAKE_PATH": "/data/lake",  # the setting is `lake`
        "ECOHUB_HTTP_PORT": "8300",
        "ECOHUB_CONFIG": "ecohub.toml",  # read on purpose, not a setting
        "ECOHUB_WEB_VENDOR": "/opt/vendor",
        "ECOHUB_ZZZZ": "1",
        "PATH": "/usr/bin",
    }
    assert unknown_variables(Settings.model_fields, env) == [
        "ECOHUB_HTTP_PROT is not a setting and is ignored (did you mean ECOHUB_HTTP_PORT?)",
        "ECOHUB_LAKE_PATH is not a setting and is ignored (did you mean ECOHUB_LAKE?)",
        "ECOHUB_ZZZZ is not a setting and is ignored",
    ]


def test_up_warns_of_an_unknown_variable_before_it_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # The store is not a DuckDB file, so `up` stops right after reading its settings.
    (tmp_path / "store.duckdb").write_text("not a database\n")
    monkeypatch.setenv("ECOHUB_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("ECOHUB_DB_PATH", str(tmp_path / "store.duckdb"))
    monkeypatch.setenv("ECOHUB_HJ212_PROT", "9300")
    code, err = run_cli(monkeypatch, capsys, "up", "--no-sample")
    lines = err.strip().splitlines()
    assert code == 1 and "Traceback" not in err
    assert lines[0] == (
        "warning: ECOHUB_HJ212_PROT is not a setting and is ignored "
        "(did you mean ECOHUB_HJ212_PORT?)"
    )
    assert lines[-1].startswith("error: ") and "not a DuckDB database file" in lines[-1]
