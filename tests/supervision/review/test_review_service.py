"""Operators' decisions (audited, role-checked), the reviewed vs raw assessment on a
hand-worked day, the review after a file load, and the CLI's errors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from ecohub.access import AccessDenied, Principal
from ecohub.analytics.air_service import aqi
from ecohub.cli.main import app
from ecohub.ingest.files import load_observations
from ecohub.settings import get_settings
from ecohub.store.db import connect
from ecohub.supervision.review import ReviewError, decide, flags, run, summary

from .conftest import at, flagged, put

INSPECTOR = Principal("insp", "inspector", "110000", via="password")


def _negative_at_2(con: duckdb.DuckDBPyConnection) -> None:
    put(con, [("s1", "a34004", h, v) for h, v in enumerate([10, 12, -1, 0, 11])])
    run(con)


def test_confirm_and_overrule_are_audited(store: duckdb.DuckDBPyConnection) -> None:
    _negative_at_2(store)
    n = decide(store, INSPECTOR, station_id="s1", parameter="PM2.5", time=at(2),
               status="overruled")  # fmt: skip
    assert n == 1
    row = store.execute("SELECT status, decided_by FROM review_flag").fetchone()
    assert row == ("overruled", "insp")
    audit = store.execute(
        "SELECT count(*) FROM audit_log WHERE action = 'review.decide'"
    ).fetchone()
    assert audit == (1,)
    # A re-run keeps the decision.
    run(store)
    assert store.execute("SELECT status FROM review_flag").fetchone() == ("overruled",)
    decide(store, INSPECTOR, station_id="s1", parameter="a34004", time=at(2),
           status="confirmed", rule="negative")  # fmt: skip
    s = summary(store)
    neg = s[s.rule == "negative"].iloc[0]
    assert (neg.confirmed, neg.overruled, neg.set_aside) == (1, 0, 1)


def test_decide_refuses_bad_requests(store: duckdb.DuckDBPyConnection) -> None:
    _negative_at_2(store)
    analyst = Principal("a", "analyst", None, via="password")
    with pytest.raises(AccessDenied):
        decide(store, analyst, station_id="s1", parameter="PM2.5", time=at(2), status="confirmed")
    with pytest.raises(ReviewError) as e:
        decide(store, INSPECTOR, station_id="s1", parameter="PM2.5", time=at(3),
               status="confirmed")  # fmt: skip
    assert e.value.field == "time"
    with pytest.raises(ReviewError) as e:
        decide(store, INSPECTOR, station_id="s1", parameter="PM2.5", time=at(2), status="ok")
    assert e.value.field == "status"
    other = Principal("tj", "inspector", "120000", via="password")
    with pytest.raises(ReviewError) as e:  # outside the inspector's region: unknown to them
        decide(store, other, station_id="s1", parameter="PM2.5", time=at(2), status="confirmed")
    assert e.value.field == "station"


def test_flags_filters(store: duckdb.DuckDBPyConnection) -> None:
    _negative_at_2(store)
    df = flags(store, parameter="PM2.5", rule="negative")
    assert list(df.columns) == [
        "station_id", "parameter", "period", "time", "value", "rule", "reason", "status",
    ]  # fmt: skip
    assert len(df) == 1 and df.value.iloc[0] == -1
    assert flags(store, station="s2").empty
    with pytest.raises(ReviewError) as e:
        flags(store, rule="nope")
    assert e.value.field == "rule"
    with pytest.raises(ReviewError) as e:
        flags(store, parameter="benzene")
    assert e.value.field == "parameter"


def test_reviewed_and_raw_daily_aqi(store: duckdb.DuckDBPyConnection) -> None:
    # One day of PM2.5 at s1: 28 and 32 µg/m³ in turn (no constant run), and 1030 at hour 12
    # (above the 1000 µg/m³ range, and a spike). Raw 24-h mean: (11 x 28 + 12 x 32 + 1030)
    # / 24 = 1722 / 24 = 71.75; reviewed: 1030 is set aside, 23 hours (>= 20, HJ 663) give
    # 692 / 23 = 30.09.
    put(store, [("s1", "a34004", h, 1030 if h == 12 else (28 if h % 2 == 0 else 32))
                for h in range(24)])  # fmt: skip
    run(store)
    assert flagged(store, "range") == [12] and flagged(store, "spike") == [12]
    assert flagged(store, "constant") == []
    reviewed = aqi(store, kind="daily", stations=["s1"])
    raw = aqi(store, kind="daily", stations=["s1"], reviewed=False)
    r, w = reviewed.iloc[0], raw.iloc[0]
    assert str(r.date)[:10] == str(w.date)[:10] == "2024-05-01"
    assert (r.n_pm25, w.n_pm25) == (23, 24)
    assert r.pm25_24h == pytest.approx(692 / 23)
    assert w.pm25_24h == pytest.approx(71.75)
    # HJ 633 IAQI of PM2.5 (24 h), rounded up: 30.09 in 0-35 -> 50 x 30.09 / 35 = 42.98 -> 43;
    # 71.75 in 35-75 -> 50 + 50 x (71.75 - 35) / 40 = 95.94 -> 96.
    assert (r.iaqi_pm25, w.iaqi_pm25) == (43, 96)
    # Overruling both flags of the value brings it back into the (stored) reviewed record.
    n = decide(store, INSPECTOR, station_id="s1", parameter="a34004", time=at(12),
               status="overruled")  # fmt: skip
    assert n == 2
    again = aqi(store, kind="daily", stations=["s1"]).iloc[0]
    assert again.pm25_24h == pytest.approx(71.75)


def test_load_runs_review(tmp_path: Path, store: duckdb.DuckDBPyConnection) -> None:
    f = tmp_path / "obs.csv"
    f.write_text(
        "station,time,PM2.5\n"
        + "".join(f"s1,2024-05-01 {h:02d}:00,{1200 if h == 3 else 20}\n" for h in range(6))
    )
    load_observations(store, f, write_rejects=False)
    # The value is stored as it came, and flagged by the review the load ran.
    assert store.execute("SELECT count(*) FROM observation").fetchone() == (6,)
    assert flagged(store, "range") == [3]


runner = CliRunner()


@pytest.fixture
def cli_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    db = tmp_path / "s.duckdb"
    monkeypatch.setenv("ECOHUB_DB_PATH", str(db))
    get_settings.cache_clear()
    con = connect(db)
    con.execute(
        "INSERT INTO station (station_id, network, region_code) VALUES ('s1', 'air', '110105')"
    )
    put(con, [("s1", "a34004", h, v) for h, v in enumerate([10, 12, -1, 0, 11])])
    con.close()
    yield db
    get_settings.cache_clear()


def test_cli_run_flags_decide(cli_store: Path) -> None:
    r = runner.invoke(app, ["review", "run"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["review", "flags", "--station", "s1", "--format", "csv"])
    assert r.exit_code == 0, r.output
    lines = r.output.strip().splitlines()
    # The platform's CSV: one UTF-8 byte-order mark, then the header.
    assert lines[0] == "\ufeffstation_id,parameter,period,time,value,rule,reason,status"
    assert len(lines) == 2 and ",negative," in lines[1]
    r = runner.invoke(app, ["review", "decide", "--station", "s1", "--parameter", "PM2.5",
                            "--time", "2024-05-01T02:00", "--status", "overruled"])  # fmt: skip
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["review", "summary", "--format", "json"])
    assert r.exit_code == 0 and '"overruled": 1' in r.output


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["review", "flags", "--format", "xml"], "--format"),
        (["review", "flags", "--from", "2024-13-01"], "--from"),
        (["review", "flags", "--from", "2024-05-02", "--to", "2024-05-01"], "--from"),
        (["review", "flags", "--rule", "nope"], "--rule"),
        (["review", "flags", "--parameter", "benzene"], "--parameter"),
        (
            [
                "review",
                "decide",
                "--station",
                "s1",
                "--parameter",
                "PM2.5",
                "--time",
                "x",
                "--status",
                "confirmed",
            ],
            "--time",
        ),
        (
            [
                "review",
                "decide",
                "--station",
                "s1",
                "--parameter",
                "PM2.5",
                "--time",
                "2024-05-01T05:00",
                "--status",
                "confirmed",
            ],
            "--time",
        ),
    ],
)
def test_cli_bad_options(cli_store: Path, args: list[str], needle: str) -> None:
    r = runner.invoke(app, args)
    assert r.exit_code != 0
    assert needle in r.output and "Traceback" not in r.output


def test_cli_air_raw_differs(cli_store: Path) -> None:
    # s1 PM2.5 on 2024-05-01: 10, 12, -1, 0, 11 (hours 0-4). Raw or reviewed, -1 is not a
    # concentration the air analytics use; both runs must succeed and print s1's hours.
    assert runner.invoke(app, ["review", "run"]).exit_code == 0
    for extra in ([], ["--raw"]):
        r = runner.invoke(app, ["air", "aqi", "--kind", "hourly", *extra])
        assert r.exit_code == 0, r.output
        assert "s1" in r.output and "hourly AQI" in r.output


def test_reviewed_and_raw_assessment_and_stored_results(store: duckdb.DuckDBPyConnection) -> None:
    from ecohub.analytics.air_service import assess, compute

    # The day of test_reviewed_and_raw_daily_aqi: daily means 692 / 23 = 30.09 (reviewed) and
    # 71.75 (raw); the annual PM2.5 mean of that one day, reported as a whole µg/m³: 30 and 72.
    put(store, [("s1", "a34004", h, 1030 if h == 12 else (28 if h % 2 == 0 else 32))
                for h in range(24)])  # fmt: skip
    run(store)

    def pm25_mean(res: dict) -> float:
        s = res["stats"]
        row = s[(s.scope == "station") & (s.pollutant == "PM2.5") & (s.statistic == "mean")]
        return float(row.value.iloc[0])

    assert pm25_mean(assess(store, 2024)) == 30
    assert pm25_mean(assess(store, 2024, reviewed=False)) == 72
    # Stored raw results answer raw reads; the default read computes the reviewed record.
    compute(store, reviewed=False)
    state = dict(store.execute("SELECT name, value FROM air_state").fetchall())
    assert state["reviewed"] == "false"
    assert aqi(store, kind="daily", stations=["s1"]).pm25_24h.iloc[0] == pytest.approx(692 / 23)
    compute(store)
    state = dict(store.execute("SELECT name, value FROM air_state").fetchall())
    assert state["reviewed"] == "true"


def test_summary_counts_are_whole_numbers_in_the_api_and_the_cli(cli_store: Path) -> None:
    # Hours 0..4 hold 10, 12, -1, 0, 11: the review flags the one negative value (hour 2),
    # so rule `negative` has 1 flagged, 0 confirmed, 0 overruled, 1 set aside, and `(any)`
    # sets 1 value aside (it has no per-status counts).
    from ecohub.cli.client import Door

    assert runner.invoke(app, ["review", "run"]).exit_code == 0
    d = Door()
    try:
        items = d.get("/api/v1/review/summary")["items"]
    finally:
        d.close()
    counts = [(r["rule"], r["flagged"], r["confirmed"], r["overruled"], r["set_aside"])
              for r in items]  # fmt: skip
    assert counts == [("negative", 1, 0, 0, 1), ("(any)", None, None, None, 1)]
    assert all(type(r["set_aside"]) is int for r in items)
    assert type(items[0]["flagged"]) is int
    r = runner.invoke(app, ["review", "summary", "--format", "csv"])
    assert r.exit_code == 0, r.output
    assert r.stdout.splitlines()[1:] == ["s1,a34004,negative,1,0,0,1", "s1,a34004,(any),,,,1"]
    r = runner.invoke(app, ["review", "summary", "--format", "json"])
    rows = json.loads(r.stdout)
    assert [(x["flagged"], x["set_aside"]) for x in rows] == [(1, 1), (None, 1)]
    assert '"flagged": 1,' in r.stdout and "1.0" not in r.stdout
    r = runner.invoke(app, ["review", "summary"], env={"COLUMNS": "200"})
    assert r.exit_code == 0 and ".0" not in r.stdout, r.stdout
