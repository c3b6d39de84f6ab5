"""``ecohub catalog``: the same answers as the API, through the in-process door."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from rdflib import Graph
from rdflib.namespace import DCAT, RDF
from typer.testing import CliRunner

from ecohub.access import users
from ecohub.catalog.produce import DEVICE_UPSERT, device_rows, note
from ecohub.cli.main import app
from ecohub.cst import CST
from ecohub.store.db import connect

runner = CliRunner()
OBS = "30100101-00002"
SOON = datetime.now(CST).date() + timedelta(days=30)  # grants run on the China calendar
EARLIER = SOON - timedelta(days=10)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    from argon2 import PasswordHasher

    users.HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    con = connect(tmp_path / "ecohub.duckdb")
    con.execute(
        "INSERT INTO station (station_id, region_code, lon, lat) VALUES "
        "('Wanliu', '110108', 116.29, 39.99)"
    )
    con.execute(
        "INSERT INTO observation (station_id, parameter, period, time, value, unit) "
        "VALUES ('Wanliu', 'a34004', '1h', TIMESTAMPTZ '2024-01-01 00:00:00+08', 9, 'µg/m³')"
    )
    # What the observation loader registers with its rows (ecohub.catalog.produce).
    file = ("file", "ab" + "0" * 62, {"path": "/data/obs.csv"})
    note(con, "observation", "load", [file], {"load_kind": "observations"})
    users.add_user(con, "chaoyang", "analyst", "110105", [], "correct horse battery")
    con.close()
    return tmp_path


def _run(data_dir: Path, *args: str) -> str:
    from ecohub.settings import get_settings

    get_settings.cache_clear()
    result = runner.invoke(app, ["catalog", *args], env={"ECOHUB_DATA_DIR": str(data_dir)})
    assert result.exit_code == 0, result.output
    return result.stdout


def test_list_search_show_lineage(data_dir: Path) -> None:
    listed = json.loads(_run(data_dir, "list", "--json"))
    obs = next(i for i in listed["items"] if i["code"] == OBS)
    assert (obs["rows"], obs["time_from"]) == (1, "2024-01-01T00:00:00+08:00")
    found = json.loads(_run(data_dir, "search", "细颗粒物", "--json"))
    assert found["items"][0]["code"] == "30100101-00003"
    shown = json.loads(_run(data_dir, "show", OBS, "--json"))
    assert shown["coverage"]["regions"] == ["110108"]
    tree = json.loads(_run(data_dir, "lineage", "observation", "--json"))
    assert tree["files"] == [{"sha256": "ab" + "0" * 62, "path": "/data/obs.csv"}]
    # PM2.5 in the observations, its hourly product, the hourly and daily AQI, the statistics
    # and the review flags (whose rule sets PM2.5 above PM10 aside).
    assert "6 resources for 'PM2.5'" in _run(data_dir, "search", "PM2.5")


def test_apply_grant_grants_publish_dcat(data_dir: Path) -> None:
    out = json.loads(
        _run(
            data_dir,
            "apply",
            OBS,
            "--purpose",
            "溯源",
            "--region",
            "110108",
            "--to",
            SOON.isoformat(),
            "--for",
            "chaoyang",
        )
    )
    assert out["state"] == "pending" and out["applicant"] == "chaoyang"
    # A grant before the applied period is refused naming --from; a later first day is kept.
    r = runner.invoke(app, ["catalog", "grant", out["id"], "--from", "2020-01-01"],
                      env={"ECOHUB_DATA_DIR": str(data_dir)})  # fmt: skip
    assert r.exit_code == 1 and "--from: a grant may shorten the period" in r.output, r.output
    later = (datetime.now(CST).date() + timedelta(days=1)).isoformat()
    granted = json.loads(
        _run(data_dir, "grant", out["id"], "--from", later, "--to", EARLIER.isoformat())
    )
    assert granted["grant"]["valid_to"] == EARLIER.isoformat()
    assert granted["grant"]["valid_from"] == later
    listed = json.loads(_run(data_dir, "grants", "--json"))
    assert [a["state"] for a in listed["items"]] == ["granted"]
    second = json.loads(
        _run(
            data_dir,
            "apply",
            OBS,
            "--purpose",
            "x",
            "--region",
            "110108",
            "--to",
            SOON.isoformat(),
            "--for",
            "chaoyang",
        )
    )
    assert (
        json.loads(_run(data_dir, "refuse", second["id"], "--reason", "重复申请"))["state"]
        == "refused"
    )
    assert json.loads(_run(data_dir, "withdraw", "30100101-00005"))["published"] is False
    assert json.loads(_run(data_dir, "publish", "30100101-00005"))["changed"] is True
    g = Graph().parse(data=_run(data_dir, "dcat", "--format", "ttl"), format="turtle")
    assert len(set(g.subjects(RDF.type, DCAT.Dataset))) >= 42


def test_refused_requests_end_with_the_reason(data_dir: Path) -> None:
    from ecohub.settings import get_settings

    get_settings.cache_clear()
    r = runner.invoke(
        app,
        [
            "catalog",
            "apply",
            "30100602-00006",
            "--purpose",
            "x",
            "--region",
            "110105",
            "--to",
            SOON.isoformat(),
            "--for",
            "chaoyang",
        ],
        env={"ECOHUB_DATA_DIR": str(data_dir)},
    )
    assert r.exit_code == 1 and "不予共享" in r.output
    r = runner.invoke(
        app, ["catalog", "lineage", "no_such_table"], env={"ECOHUB_DATA_DIR": str(data_dir)}
    )
    assert r.exit_code == 1 and "RESOURCE" in r.output


def _fail(data_dir: Path, *args: str) -> tuple[int, str]:
    """Exit code and stderr of a command that must be refused (no traceback)."""
    from ecohub.settings import get_settings

    get_settings.cache_clear()
    r = runner.invoke(app, ["catalog", *args], env={"ECOHUB_DATA_DIR": str(data_dir)})
    assert r.exception is None or isinstance(r.exception, SystemExit), r.exception
    assert "Traceback" not in r.output
    return r.exit_code, r.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("show", ""),
        ("show", "dcat"),
        ("show", "applications"),
        ("show", "30100101-0002"),
        ("show", "../30100101-00002"),
        ("publish", "dcat"),
        ("withdraw", "applications"),
        ("apply", "coverage", "--purpose", "x", "--region", "110108", "--to", "2099-01-01",
         "--for", "chaoyang"),
        ("grants", "--resource", "dcat"),
    ],
)  # fmt: skip
def test_a_malformed_code_is_refused_naming_it(data_dir: Path, args: tuple[str, ...]) -> None:
    code, err = _fail(data_dir, *args)
    assert code == 1
    assert ("--resource" if args[0] == "grants" else "CODE") in err
    assert "30100101-00002" in err  # the example of a code


def test_refusals_name_the_command_line_options(data_dir: Path) -> None:
    base = ("apply", OBS, "--purpose", "x", "--region", "110108", "--for", "chaoyang")
    code, err = _fail(data_dir, *base, "--from", "2099-01-10", "--to", "2099-01-01")
    assert code == 1 and "--to" in err and "valid_to" not in err
    code, err = _fail(data_dir, *base[:-1], "nobody", "--to", "2099-01-01")
    assert code == 1 and "--for" in err and "applicant" not in err
    code, err = _fail(data_dir, *base, "--to", "2099-13-01")
    assert code == 1 and "--to" in err and "valid_to" not in err


def test_lineage_shows_the_packets_of_each_device(data_dir: Path) -> None:
    con = connect(data_dir / "ecohub.duckdb")
    counts = {("emission", "SIM000000000000000000000"): [
        datetime(2024, 1, 1, tzinfo=CST), datetime(2024, 1, 2, tzinfo=CST), 1112]}  # fmt: skip
    con.register("_devices", device_rows(counts))
    con.execute(DEVICE_UPSERT.format(src="_devices"))
    con.close()
    tree = json.loads(_run(data_dir, "lineage", "emission", "--json"))
    (run,) = tree["runs"]
    assert run["inputs"][0]["packets"] == 1112
    out = _run(data_dir, "lineage", "emission")
    assert "device SIM000000000000000000000" in out and "1,112 packets" in out
    assert "0 rows" not in out


@pytest.mark.parametrize(
    ("option", "value"),
    [("--sharing", "bogus"), ("--open", "开放"), ("--cycle", "weekly"), ("--theme", "空气"),
     ("--provider", "D99")],
)  # fmt: skip
def test_an_unknown_facet_value_is_refused(data_dir: Path, option: str, value: str) -> None:
    code, err = _fail(data_dir, "list", option, value)
    assert code == 1 and err.startswith(f"error: {option}:") and repr(value) in err
