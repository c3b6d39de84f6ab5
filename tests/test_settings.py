from __future__ import annotations

import re
from pathlib import Path

import pytest

from ecohub.settings import Settings, load_settings

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
    with pytest.raises(FileNotFoundError, match="ECOHUB_CONFIG"):
        load_settings()


def test_bad_value_names_the_field(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECOHUB_HJ212_PORT", "ninety")
    with pytest.raises(ValueError, match="hj212_port"):
        load_settings()


def test_every_setting_is_documented() -> None:
    documented = set(re.findall(r"`(ECOHUB_[A-Z0-9_]+)`", DOCS.read_text(encoding="utf-8")))
    expected = {f"ECOHUB_{name.upper()}" for name in Settings.model_fields}
    assert expected - documented == set()
