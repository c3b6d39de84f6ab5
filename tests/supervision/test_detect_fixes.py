"""Batch detection defects found by the walk-through (hand-built minute rows, real DuckDB):

- 2: the current, unfinished hour was judged (false ``missing_minutes``);
- 4: a district inspector's run judged and wrote every device nationwide;
- 5, 6: far-future days, unreadable days, from > to and unknown rules (a 500, a traceback, or a
  202 whose job failed later);
- 7: findings the settled data no longer support were never withdrawn by a batch re-run.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from ecohub.access import Principal
from ecohub.cst import CST
from ecohub.supervision import detect
from ecohub.supervision.alerts.raising import raise_alerts
from ecohub.supervision.rules import rule
from ecohub.supervision.service import judged_until
from tests.api import door_data as d
from tests.api.door_data import Door
from tests.supervision.series import MN, T0, clean, findings, load, store, table

H = timedelta(hours=1)
MN2 = "88888880000002"  # source S2, region 110105 (series.store)
MISSING = [rule("missing_minutes")]


# -- 2: only complete hours ----------------------------------------------------------------------


def test_batch_detect_does_not_judge_the_current_hour() -> None:
    con = store()
    hour = judged_until()
    now = datetime.now(CST).replace(second=0, microsecond=0)
    # Every minute from three hours before the current hour up to now (at least the current
    # hour's first minute, at most its first 10): a healthy device, its current hour unfinished.
    last = max(hour, min(now, hour + timedelta(minutes=10)))
    minutes = int((last - (hour - 3 * H)) / timedelta(minutes=1)) + 1
    load(con, table(clean(minutes), start=hour - 3 * H))
    today = hour.date()
    out = detect(con, hour - 3 * H, datetime.combine(today, datetime.min.time(), CST)
                 + timedelta(days=1), rules=MISSING)  # fmt: skip
    assert findings(con, "missing_minutes") == []
    assert out["judged_until"] == hour.isoformat()
    assert con.execute("SELECT count(*) FROM alert").fetchone() == (0,)


def test_a_period_wholly_in_the_current_hour_judges_nothing() -> None:
    con = store()
    hour = judged_until()
    out = detect(con, hour, hour + H, rules=MISSING)
    assert out["values_judged"] == 0 and out["findings"] == {}


# -- 4: a scoped run stays in its region -------------------------------------------------------


def _two_short_hours() -> tuple:
    """Both devices send 30 minutes of the hour 2026-03-02 00:00: missing minutes on each."""
    con = store()
    keep = np.arange(60) < 30
    load(con, table(clean(60), mn=MN, keep=keep))
    load(con, table(clean(60), mn=MN2, keep=keep))
    return con


def test_a_district_inspectors_run_judges_only_its_devices() -> None:
    con = _two_short_hours()
    inspector = Principal("insp", "inspector", "110105", via="password")
    out = detect(con, T0, T0 + H, rules=MISSING, principal=inspector)
    assert [(m, r) for m, _, r, _, _ in findings(con)] == [(MN2, "missing_minutes")]
    assert out["values_judged"] == 30 * 5  # MN2's rows only (5 parameters)
    assert con.execute("SELECT mn FROM alert").fetchall() == [(MN2,)]
    assert con.execute("SELECT DISTINCT mn FROM anomaly_hour").fetchall() == [(MN2,)]
    # The nationwide run judges both.
    detect(con, T0, T0 + H, rules=MISSING)
    assert sorted(m for m, *_ in findings(con)) == [MN, MN2]


def test_an_enterprise_sees_nothing_of_other_sources() -> None:
    con = _two_short_hours()
    ent = Principal("e", "enterprise", "130203", sources=("S1",), via="password")
    detect(con, T0, T0 + H, rules=MISSING, principal=ent)
    assert [m for m, *_ in findings(con)] == [MN]


# -- 7: a batch re-run gives the settled answer ---------------------------------------------


def test_late_data_withdraws_the_finding_and_closes_its_alert() -> None:
    con = store()
    keep = np.arange(120) < 90  # hour 01:00 had only 30 minutes when first judged
    v = clean(120)
    load(con, table(v, keep=keep))
    detect(con, T0, T0 + 2 * H, rules=MISSING)
    assert [(r, s) for _, _, r, s, _ in findings(con)] == [("missing_minutes", T0 + H)]
    (alert_id,) = con.execute("SELECT id FROM alert WHERE state = 'open'").fetchone()
    # 补发: the logger resends the 30 missing minutes.
    load(con, table(v, keep=~keep))
    out = detect(con, T0, T0 + 2 * H, rules=MISSING)
    assert findings(con) == []
    assert out["withdrawn"] == 1 and out["alerts_closed"] == 1
    state, by, comment = con.execute(
        "SELECT state, closed_by, close_comment FROM alert WHERE id = ?", [alert_id]
    ).fetchone()
    assert (state, by) == ("closed", "ecohub")
    assert comment.startswith("withdrawn: batch detect over")
    assert con.execute("SELECT count(*) FROM alert_source").fetchone() == (0,)


def test_a_decided_finding_and_others_outside_the_run_are_kept() -> None:
    con = store()
    keep = np.arange(120) < 90
    v = clean(120)
    load(con, table(v, keep=keep))
    detect(con, T0, T0 + 2 * H, rules=MISSING)
    # The inspector acknowledged it: a decision, never withdrawn by the detector.
    con.execute("UPDATE anomaly SET status = 'acknowledged'")
    con.execute("UPDATE alert SET state = 'acknowledged', acked_by = 'insp'")
    load(con, table(v, keep=~keep))
    assert detect(con, T0, T0 + 2 * H, rules=MISSING)["withdrawn"] == 0
    assert len(findings(con)) == 1
    # A run of other rules, or over a period not covering the finding, withdraws nothing.
    con.execute("UPDATE anomaly SET status = 'new'")
    assert detect(con, T0, T0 + 2 * H, rules=[rule("constant")])["withdrawn"] == 0
    assert detect(con, T0, T0 + H + timedelta(minutes=30), rules=MISSING)["withdrawn"] == 0
    assert len(findings(con)) == 1


def test_a_finding_still_supported_is_kept() -> None:
    con = store()
    keep = np.arange(120) < 90
    load(con, table(clean(120), keep=keep))
    detect(con, T0, T0 + 2 * H, rules=MISSING)
    raise_alerts(con, [])
    out = detect(con, T0, T0 + 2 * H, rules=MISSING)
    assert out["withdrawn"] == 0 and len(findings(con)) == 1
    assert con.execute("SELECT state FROM alert").fetchall() == [("open",)]


# -- 4, 5, 6 through the API, 5 through the CLI -----------------------------------------------


@pytest.fixture(scope="module")
def door(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Door]:
    built = next(d.serve(Path(tmp_path_factory.mktemp("detect-fixes"))))
    # 30 minutes of the hour 2024-02-01 00:00 from both districts' devices.
    start = datetime(2024, 2, 1, tzinfo=CST)
    for mn in (d.MN_IN, d.MN_OUT):
        load(built.con, table(clean(60), mn=mn, start=start, keep=np.arange(60) < 30))
    yield built
    built.app.state.ctx.jobs.shutdown()
    built.con.close()


def _problem(r, field: str) -> str:
    assert r.status_code == 422, r.text
    body = r.json()
    assert r.headers["content-type"].startswith("application/problem+json")
    assert body["errors"][0]["field"] == field, body
    return str(body["detail"])


def test_detect_route_runs_in_the_inspectors_district(door: Door) -> None:
    c = d.client(door, "inspector")
    body = {"from": "2024-02-01", "to": "2024-02-01", "rules": ["missing_minutes"]}
    r = c.post("/api/v1/supervision/detect", json=body)
    job = d.follow(c, r)
    assert job["state"] == "done", job
    got = door.con.execute(
        "SELECT mn FROM anomaly WHERE rule = 'missing_minutes' ORDER BY mn"
    ).fetchall()
    assert got == [(d.MN_IN,)]


@pytest.mark.parametrize(
    ("body", "field", "text"),
    [
        ({"from": "2026-13-01", "to": "2026-12-01"}, "from", "expected a day"),
        ({"from": "2026-03-02", "to": "2026-03-01"}, "from", "is not before"),
        ({"from": "2026-03-01", "to": "2026-03-02", "rules": ["bogus"]}, "rules", "bogus"),
        ({"from": "2026-03-01", "to": "9999-12-31"}, "to", "9999-12-30"),
    ],
)
def test_detect_route_checks_before_queuing(door: Door, body: dict, field: str, text: str) -> None:
    c = d.client(door, "admin")
    before = door.con.execute("SELECT count(*) FROM job").fetchone()
    detail = _problem(c.post("/api/v1/supervision/detect", json=body), field)
    assert text in detail
    assert door.con.execute("SELECT count(*) FROM job").fetchone() == before


@pytest.mark.parametrize(
    "path", ["/api/v1/supervision/anomalies", "/api/v1/supervision/exceedances", "/api/v1/alerts"]
)
def test_far_future_end_is_a_422(door: Door, path: str) -> None:
    c = d.client(door, "admin")
    assert "9999-12-30" in _problem(c.get(path, params={"to": "9999-12-31"}), "to")
    assert c.get(path, params={"to": "9999-12-30"}).status_code == 200
    _problem(c.get(path, params={"from": "9999-12-31T23:00-08:00"}), "from")


def test_emissions_from_after_to_is_a_422(door: Door) -> None:
    c = d.client(door, "admin")
    r = c.get("/api/v1/hj212/emissions", params={"from": "2026-11-30", "to": "2026-11-01"})
    assert "after to" in _problem(r, "from")


def test_cli_far_future_end(tmp_path: Path) -> None:
    from ecohub.cli.main import app
    from ecohub.settings import get_settings
    from ecohub.store.db import connect

    db = tmp_path / "ecohub.duckdb"
    connect(db).close()
    get_settings.cache_clear()
    for cmd in ("anomalies", "exceedances"):
        out = CliRunner().invoke(app, ["supervise", cmd, "--to", "9999-12-31"],
                                 env={"ECOHUB_DB_PATH": str(db)})  # fmt: skip
        assert out.exit_code != 0
        assert "--to: 9999-12-31 is past the last day accepted" in out.output
        assert "Traceback" not in out.output
    out = CliRunner().invoke(app, ["supervise", "anomalies", "--to", "9999-12-30", "--format",
                                   "json"], env={"ECOHUB_DB_PATH": str(db)})  # fmt: skip
    assert out.exit_code == 0 and json.loads(out.output) == []


# -- 8: a pollutant by name, or a 422 naming it ---------------------------------------------


@pytest.mark.parametrize("name", ["a21026", "二氧化硫", "SO2", "so2", "sulphur dioxide"])
def test_exceedances_by_pollutant_name(door: Door, name: str) -> None:
    c = d.client(door, "admin")
    r = c.get("/api/v1/supervision/exceedances", params={"pollutant": name})
    assert r.status_code == 200, r.text
    assert sorted(x["mn"] for x in r.json()["items"]) == [d.MN_IN, d.MN_OUT]


@pytest.mark.parametrize("path", ["/api/v1/supervision/exceedances",
                                  "/api/v1/supervision/anomalies"])  # fmt: skip
def test_unknown_pollutant_is_a_422(door: Door, path: str) -> None:
    c = d.client(door, "admin")
    assert "zzz" in _problem(c.get(path, params={"pollutant": "zzz"}), "pollutant")


def test_anomalies_of_device_wide_rules_by_star(door: Door) -> None:
    c = d.client(door, "admin")
    assert c.get("/api/v1/supervision/anomalies", params={"pollutant": "*"}).status_code == 200


def test_cli_unknown_pollutant(tmp_path: Path) -> None:
    from ecohub.cli.main import app
    from ecohub.settings import get_settings
    from ecohub.store.db import connect

    db = tmp_path / "ecohub.duckdb"
    connect(db).close()
    get_settings.cache_clear()
    out = CliRunner().invoke(app, ["supervise", "exceedances", "--pollutant", "zzz"],
                             env={"ECOHUB_DB_PATH": str(db)})  # fmt: skip
    assert out.exit_code != 0 and "pollutant" in out.output and "zzz" in out.output
    assert "Traceback" not in out.output
