"""Folders the settings name as one-line errors (walk B findings 5, 6): a lake or Spark work
folder that is a file, lies under a file or cannot be made; a configured lake that does not
exist."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from ecohub.cli.main import main
from ecohub.settings import Settings, SettingsError, get_settings
from ecohub.store.db import StoreError
from ecohub.store.folders import check_lake, check_spark_work_dir


def ecohub(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str, **env: str
) -> tuple[object, str, str]:
    """``ecohub ARGS`` through its real entry point (which reports settings errors):
    (exit code, stdout, stderr)."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(sys, "argv", ["ecohub", *args])
    get_settings.cache_clear()
    try:
        with pytest.raises(SystemExit) as info:
            main()
    finally:
        get_settings.cache_clear()
    out = capsys.readouterr()
    return info.value.code, out.out, out.err


def one_line(err: str) -> str:
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


@pytest.fixture
def afile(tmp_path: Path) -> Path:
    path = tmp_path / "afile"
    path.write_text("x")
    return path


@pytest.mark.parametrize(
    ("lake", "reason"),
    [
        ("afile", "not a directory"),
        ("afile/lake", "afile is not a directory"),
        ("nolake", "no such directory"),
    ],
)
@pytest.mark.parametrize("command", ["status", "compact"])
def test_lake_that_cannot_be_used_is_one_line_exit_2(
    lake: str, reason: str, command: str, tmp_path: Path, afile: Path,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    path = tmp_path / lake
    env = {"ECOHUB_DATA_DIR": str(tmp_path / "data"), "ECOHUB_LAKE": str(path)}
    code, out, err = ecohub(monkeypatch, capsys, "lake", command, **env)
    assert code == 2
    line = one_line(err)
    assert line.startswith(f"error: settings: lake (ECOHUB_LAKE): {path}: ")
    assert reason in line and "0 rows" not in out
    assert not path.is_dir()  # a missing configured lake is not made


def test_lake_from_the_toml_file_is_named_by_its_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = tmp_path / "t.toml"
    cfg.write_text(f'lake = "{tmp_path}/nolake"\n')
    code, _, err = ecohub(monkeypatch, capsys, "lake", "status", ECOHUB_CONFIG=str(cfg),
                          ECOHUB_DATA_DIR=str(tmp_path / "data"))  # fmt: skip
    assert code == 2
    assert one_line(err).startswith(f"error: settings: lake (key lake in {cfg}): {tmp_path}/")


def test_status_of_a_default_lake_not_made_yet_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = ecohub(monkeypatch, capsys, "lake", "status", ECOHUB_DATA_DIR=str(tmp_path))
    assert code == 1 and "0 rows" not in out
    assert one_line(err) == f"error: lake {tmp_path / 'lake'}: no lake folder yet (made when " \
        "ecohub first opens the store)"  # fmt: skip


def test_up_refuses_a_configured_lake_that_is_not_there(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    for role in ("ingest", "all"):
        env = {"ECOHUB_DATA_DIR": str(data), "ECOHUB_LAKE": str(tmp_path / "mnt")}
        code, _, err = ecohub(monkeypatch, capsys, "up", "--role", role, "--no-sample",
                              "--hj212-port", "0", "--http-port", "0", **env)  # fmt: skip
        assert code == 2
        assert "lake (ECOHUB_LAKE): " in one_line(err) and "no such directory" in err
        assert not data.exists()  # refused before the store was opened


@pytest.mark.parametrize(("work", "reason"), [("afile/sw", "afile is not a directory"),
                                              ("afile", "not a directory")])  # fmt: skip
def test_spark_work_dir_that_cannot_be_made_is_one_line_exit_2(
    work: str, reason: str, tmp_path: Path, afile: Path,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    path = tmp_path / work
    code, _, err = ecohub(monkeypatch, capsys, "trend", "--parameter", "NO2",
                          ECOHUB_DATA_DIR=str(tmp_path / "data"), ECOHUB_ENGINE="spark",
                          ECOHUB_SPARK_WORK_DIR=str(path))  # fmt: skip
    assert code == 2
    line = one_line(err)
    assert line.startswith(f"error: settings: spark_work_dir (ECOHUB_SPARK_WORK_DIR): {path}: ")
    assert reason in line


def test_folders_that_cannot_be_made_name_the_reason(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=r"^lake \(ECOHUB_LAKE\): /proc/nolake: no such dir"):
        check_lake(Settings(data_dir=tmp_path, lake="/proc/nolake"))
    with pytest.raises(SettingsError, match=r"^spark_work_dir .*/proc/nosw: cannot create it"):
        check_spark_work_dir(Settings(data_dir=tmp_path, spark_work_dir=Path("/proc/nosw")))


def test_default_folders_are_fine_and_urls_are_not_checked(tmp_path: Path) -> None:
    check_lake(Settings(data_dir=tmp_path / "new"))  # the default lake is made at first open
    check_lake(Settings(data_dir=tmp_path, lake="s3://bucket/lake"))
    made = check_spark_work_dir(Settings(data_dir=tmp_path))
    assert made == tmp_path / "spark-work" and made.is_dir()
    (tmp_path / "lake").write_text("x")
    with pytest.raises(SettingsError, match=r"^lake \(ECOHUB_LAKE unset: .*not a directory$"):
        check_lake(Settings(data_dir=tmp_path))


def test_spark_run_names_a_work_dir_it_cannot_make(tmp_path: Path, afile: Path) -> None:
    # `--engine spark` on a DuckDB-configured process: the run itself says what is wrong.
    from ecohub.store.backend import SparkBackend

    backend = SparkBackend(work_dir=afile / "sw", session=object())
    run = backend.run(None)  # type: ignore[arg-type]
    with pytest.raises(StoreError, match=r"^spark_work_dir: .*afile/sw: cannot create it"):
        run.__enter__()
