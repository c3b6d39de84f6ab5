"""`ecohub registry …` end to end on a small generated set, through a temporary store."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from ecohub.cli.main import app
from ecohub.registry import generator

runner = CliRunner()


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("reg")
    bench = generator.generate(120, seed=5, bad_rows=True)
    files = root / "files"
    files.mkdir()
    for system, df in bench.systems.items():
        ext = {"permit": "csv", "eia": "xlsx", "online": "parquet", "tax": "csv"}[system]
        path = files / f"{system}.{ext}"
        if ext == "csv":
            df.to_csv(path, index=False)
        elif ext == "xlsx":
            df.to_excel(path, index=False)
        else:
            df.to_parquet(path)
    return root / "ecohub.duckdb", files


def _run(db: Path, *args: str) -> str:
    from ecohub.settings import get_settings

    get_settings.cache_clear()
    result = runner.invoke(app, ["registry", *args], env={"ECOHUB_DB_PATH": str(db)})
    assert result.exit_code == 0, result.output
    return result.stdout  # the first load's note of a new store goes to stderr


def test_load_link_export_show_report_review(store: tuple[Path, Path], tmp_path: Path) -> None:
    db, files = store
    out = json.loads(_run(db, "load", "--system", "permit", str(files / "permit.csv"), "--json"))
    assert out["rows_rejected"] == 3 and out["rows_flagged"] >= 2
    assert Path(out["reject_path"]).exists()
    again = json.loads(_run(db, "load", "--system", "permit", str(files / "permit.csv"), "--json"))
    assert again["skipped"]
    _run(db, "load", "--system", "eia", str(files / "eia.xlsx"))
    _run(db, "load", "--system", "online", "--crs", "gcj02", str(files / "online.parquet"))
    _run(
        db,
        "load",
        "--system",
        "tax",
        str(files / "tax.csv"),
        "--map",
        "name=纳税人名称,uscc=纳税人识别号",
    )
    linked = json.loads(_run(db, "link", "--json"))
    assert linked["clusters"] > 100

    for fmt in ("csv", "parquet", "xlsx"):
        target = tmp_path / f"codes.{fmt}"
        _run(db, "export", "--format", fmt, "--out", str(target))
        df = {"csv": pd.read_csv, "parquet": pd.read_parquet, "xlsx": pd.read_excel}[fmt](target)
        assert list(df.columns) == ["system", "record_id", "source_code"]
        assert df.source_code.notna().all() and len(df) == linked["records"]

    code = pd.read_csv(tmp_path / "codes.csv").source_code.iloc[0]
    shown = json.loads(_run(db, "show", code, "--json"))
    assert shown["source"]["source_code"] == code and shown["records"]
    assert "records" in _run(db, "show", code)
    outlet = _run(db, "outlet", code, "--medium", "air").strip()
    assert outlet == "DA001"

    rep = json.loads(_run(db, "report", "--json"))
    assert {r["system"] for r in rep["systems"]} == {"permit", "eia", "online", "tax"}
    assert all(0 <= r["match_rate"] <= 1 for r in rep["systems"])
    _run(db, "review")
    recs = pd.read_csv(tmp_path / "codes.csv")
    a, b = (f"{r.system}:{r.record_id}" for r in recs.iloc[:2].itertuples())
    decided = json.loads(_run(db, "review", "--a", a, "--b", b, "--decision", "nonmatch", "--json"))
    assert decided["decision"] == "nonmatch"


def test_unknown_source_fails_cleanly(store: tuple[Path, Path]) -> None:
    from ecohub.settings import get_settings

    get_settings.cache_clear()
    result = runner.invoke(app, ["registry", "show", "NOPE"], env={"ECOHUB_DB_PATH": str(store[0])})
    assert result.exit_code == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["link", "--auto-accept", "2", "--review-low", "-1"], "--auto-accept: must be"),
        (["link", "--auto-accept", "nan"], "--auto-accept: must be a probability"),
        (["link", "--auto-accept", "0.5", "--review-low", "0.8"], "--review-low 0.8 is above"),
        (["review", "--limit", "-1"], "--limit: must be a whole number of at least 1"),
        (["review", "--a", "p:1", "--b", "p:1", "--decision", "match"], "--a and --b name"),
        (["export", "--out", "/", "--format", "csv"], "--out /: is a directory"),
    ],
)
def test_bad_options_fail_cleanly(store: tuple[Path, Path], args: list[str], message: str) -> None:
    from ecohub.settings import get_settings

    get_settings.cache_clear()
    result = runner.invoke(app, ["registry", *args], env={"ECOHUB_DB_PATH": str(store[0])})
    assert result.exit_code == 1, result.output
    assert message in result.output and "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_bad_files_fail_cleanly(store: tuple[Path, Path], tmp_path: Path) -> None:
    from ecohub.settings import get_settings

    header_only = tmp_path / "h.csv"
    header_only.write_text("record_id,name\n", encoding="utf-8")
    damaged = tmp_path / "d.xlsx"
    damaged.write_bytes(b"PK\x03\x04 not really a workbook")
    cases = [
        (["load", "--system", "x", str(header_only)], "h.csv: no data rows"),
        (["load", "--system", "", str(header_only)], "--system: must not be empty"),
        (["load", "--system", "x", str(damaged)], "d.xlsx: not a readable XLSX file"),
        (
            ["load", "--system", "x", str(header_only), "--rejects", str(tmp_path)],
            "--rejects",
        ),
    ]
    for args, message in cases:
        get_settings.cache_clear()
        result = runner.invoke(app, ["registry", *args], env={"ECOHUB_DB_PATH": str(store[0])})
        assert result.exit_code == 1, result.output
        assert message in result.output and "Traceback" not in result.output


@pytest.mark.e2e
def test_registry_commands_go_through_a_running_server(
    store: tuple[Path, Path], tmp_path: Path
) -> None:
    """While `ecohub up` owns the store, every registry command works through it, and prints
    what the same command prints once the server is gone (the CLI then opens the store)."""
    import os
    import subprocess
    import sys

    from tests.platform_up import ecohub_up

    files = store[1]
    data = tmp_path / "data"
    env = {**os.environ, "ECOHUB_DATA_DIR": str(data), "ECOHUB_HJ212_HOST": "127.0.0.1"}
    env.pop("ECOHUB_DB_PATH", None)

    def cli(*args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "ecohub.cli.main", "registry", *args],
                              env=env, capture_output=True, text=True, timeout=300)  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert "Traceback" not in done.stderr
        return done.stdout

    with ecohub_up(data, "--no-sample", env=env):
        loaded = json.loads(cli("load", "--system", "permit", str(files / "permit.csv"), "--json"))
        assert loaded["rows_loaded"] > 0 and loaded["rows_rejected"] == 3
        cli("load", "--system", "eia", str(files / "eia.xlsx"))
        linked = json.loads(cli("link", "--json"))
        assert linked["records"] > loaded["rows_loaded"] and linked["clusters"] > 0
        served = {
            "report": cli("report", "--json"),
            "review": cli("review", "--limit", "5"),
        }
        cli("export", "--out", str(tmp_path / "served.csv"))
        codes = pd.read_csv(tmp_path / "served.csv").source_code.drop_duplicates().tolist()
        # Outlet registration writes the store: through the server too (it once opened the
        # store itself and failed while the server held it).
        served["outlet"] = cli("outlet", codes[0], "--medium", "water", "--name", "总排口")
        # The audit log saw the export and the outlet while the server ran.
        audit = subprocess.run([sys.executable, "-m", "ecohub.cli.main", "audit", "show", "--json"],
                               env=env, capture_output=True, text=True, timeout=120)  # fmt: skip
        routes = [json.loads(line) for line in audit.stdout.splitlines()]
        assert any(e["route"] == "/api/v1/registry/codes" and e["action"] == "export"
                   for e in routes), audit.stdout[-2000:]  # fmt: skip
        outlet_entries = [e for e in routes if e["route"] == "/api/v1/registry/outlets"]
        assert [(e["action"], e["result"], e["rows"]) for e in outlet_entries] == [
            ("write", "201", 1)
        ], outlet_entries
    # No server now: the same commands open the store in-process and answer the same.
    assert cli("report", "--json") == served["report"]
    assert cli("review", "--limit", "5") == served["review"]
    # Another source's first water outlet: the same answer as the server gave for the first.
    assert served["outlet"] == "DW001\n"
    assert cli("outlet", codes[1], "--medium", "water", "--name", "总排口") == served["outlet"]
    cli("export", "--out", str(tmp_path / "local.csv"))
    assert (tmp_path / "served.csv").read_bytes() == (tmp_path / "local.csv").read_bytes()


def _fails(db: Path, *args: str) -> str:
    from ecohub.settings import get_settings

    get_settings.cache_clear()
    result = runner.invoke(app, ["registry", *args], env={"ECOHUB_DB_PATH": str(db)})
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result.output


def test_review_json_show_any_case_close_and_reopen(store: tuple[Path, Path]) -> None:
    db, files = store
    _run(db, "load", "--system", "permit", str(files / "permit.csv"))
    _run(db, "link")
    band = json.loads(_run(db, "review", "--limit", "3", "--json"))
    assert isinstance(band, list) and len(band) <= 3
    assert all({"a", "b", "p", "note"} <= set(row) for row in band)

    code = json.loads(_run(db, "report", "--json"))["suspicious"][0]["source_code"]
    shown = json.loads(_run(db, "show", code.lower(), "--json"))
    assert shown["source"]["source_code"] == code and shown["asked_for"] == code
    closed = json.loads(
        _run(db, "close", code.lower(), "--reason", "拆除", "--status", "closed", "--json")
    )
    assert (closed["source_code"], closed["status"]) == (code, "closed")
    assert "(closed since " in _run(db, "show", code)
    assert json.loads(_run(db, "reopen", code, "--reason", "复产", "--json"))["before"] == "closed"
    assert "--reason: must be" in _fails(db, "close", code, "--reason", " ")
    assert "no source NOPE" in _fails(db, "close", "NOPE", "--reason", "x")


def test_a_list_the_loader_cannot_take_says_why(store: tuple[Path, Path], tmp_path: Path) -> None:
    db, _ = store
    path = tmp_path / "wrong.csv"
    path.write_text("编号,公司\nX1,北京某厂\n", encoding="utf-8")
    out = _fails(db, "load", "--system", "t", str(path))
    assert "no name column: the file has none of the headers" in out
    assert "--map: unknown field 'nam'" in _fails(
        db, "load", "--system", "t", str(path), "--map", "nam=公司"
    )


@pytest.mark.spark
def test_link_engine_spark_works_without_a_server(store: tuple[Path, Path], tmp_path: Path) -> None:
    """No server runs: the CLI runs the app itself, on the engine asked for (it was refused
    with "this server runs duckdb" unless ECOHUB_ENGINE=spark was set too)."""
    import pyspark  # noqa: F401  (part of the test install: a missing engine fails)

    db = tmp_path / "own.duckdb"
    _run(db, "load", "--system", "permit", str(store[1] / "permit.csv"))
    from ecohub.settings import get_settings

    get_settings.cache_clear()
    env = {"ECOHUB_DB_PATH": str(db), "ECOHUB_ENGINE": "duckdb"}
    result = runner.invoke(app, ["registry", "link", "--engine", "spark", "--json"], env=env)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["engine"] == "spark"


def test_show_prints_a_dash_for_a_missing_field(tmp_path: Path) -> None:
    # The demo source of `ecohub up --simulate`: a code, a name and a region, nothing else.
    from ecohub.store.db import connect

    db = tmp_path / "ecohub.duckdb"
    con = connect(db)
    con.execute("INSERT INTO source (source_code, name, region_code) "
                "VALUES ('H9110105000000099w001P', '示例企业 [sim]', '110105')")  # fmt: skip
    con.close()
    from ecohub.settings import get_settings

    get_settings.cache_clear()
    result = runner.invoke(app, ["registry", "show", "H9110105000000099w001P"],
                           env={"ECOHUB_DATA_DIR": str(tmp_path), "COLUMNS": "200"})  # fmt: skip
    get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "H9110105000000099w001P 示例企业 [sim] (active)  USCC -"
    assert lines[1] == "-  region 110105  industry -"
    assert "None" not in result.stdout
