"""Job requests with days or periods are checked before a job exists (walk C, finding 3).

``POST /review/run`` took 0001-01-01, 9999-12-30/31, 2016-02-30 and a reversed range with a
202; the job then failed (a 500 for the far days: ``OverflowError`` widening the window by the
rules' margin). The same gap was in ``POST /jobs`` for ``review-run``, ``supervise-detect``,
``water-assess`` (month) and ``trend`` (years): each is now a 422 naming the field, and no job.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.api import door_data as d
from tests.api.door_data import Door
from tests.cli._run import run_cli


@pytest.fixture(scope="module")
def door(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Door]:
    yield from d.serve(Path(tmp_path_factory.mktemp("review-run-checks")))


def _jobs(door: Door) -> Any:
    return door.con.execute("SELECT count(*) FROM job").fetchone()


def _refused(door: Door, r: Any, field: str) -> str:
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["errors"][0]["field"] == field, body
    return str(body["detail"])


@pytest.mark.parametrize(
    ("body", "field", "text"),
    [
        ({"from": "0001-01-01", "to": "0001-01-02"}, "from", "outside the days a review can read"),
        ({"from": "9999-12-30", "to": "9999-12-31"}, "from", "0001-01-03 to 9999-12-29"),
        ({"from": "2016-01-01", "to": "9999-12-31"}, "to", "outside the days"),
        ({"from": "2016-01-01", "to": "2015-01-01"}, "from", "is after to"),
        ({"from": "2016-02-30"}, "from", "expected a day"),
        ({"to": "2016-02-30"}, "to", "expected a day"),
    ],
)
def test_review_run_checks_before_queuing(door: Door, body: dict, field: str, text: str) -> None:
    c = d.client(door, "admin")
    before = _jobs(door)
    assert text in _refused(door, c.post("/api/v1/review/run", json=body), field)
    assert _jobs(door) == before


@pytest.mark.parametrize("day", ["0001-01-03", "9999-12-29"])
def test_the_first_and_last_day_a_review_reads_run(door: Door, day: str) -> None:
    c = d.client(door, "admin")
    job = d.follow(c, c.post("/api/v1/review/run", json={"from": day, "to": day}))
    assert job["state"] == "done", job


@pytest.mark.parametrize(
    ("kind", "params", "field"),
    [
        ("review-run", {"from": "0001-01-01"}, "params.from"),
        ("review-run", {"from": "2016-01-01", "to": "2015-12-31"}, "params.from"),
        ("review-run", {"from": "2016-W01-1"}, "params.from"),
        ("supervise-detect", {"from": "2026-03-02", "to": "2026-03-01"}, "params.from"),
        ("supervise-detect", {"from": "2026-03-01", "to": "9999-12-31"}, "params.to"),
        ("supervise-detect", {"from": "2026-03-01", "to": "2026-03-02", "rules": ["x"]},
         "params.rules"),
        ("water-assess", {"month": "2016-13"}, "params.month"),
        ("water-assess", {"month": "0000-01"}, "params.month"),
        ("water-assess", {"year": 2016, "month": "2017-01"}, "params.month"),
        ("trend", {"year_from": 2017, "year_to": 2015}, "params.year_to"),
        ("trend", {"parameters": ["no such thing"]}, "params.parameters"),
    ],
)  # fmt: skip
def test_job_periods_are_checked_when_submitted(
    door: Door, kind: str, params: dict, field: str
) -> None:
    c = d.client(door, "admin")
    before = _jobs(door)
    _refused(door, c.post("/api/v1/jobs", json={"kind": kind, "params": params}), field)
    assert _jobs(door) == before


def test_cli_review_run_far_day_is_a_clean_error(tmp_path: Path) -> None:
    out = run_cli("review", "run", "--from", "0001-01-01", "--to", "0001-01-02",
                  db=tmp_path / "ecohub.duckdb")  # fmt: skip
    assert out.exit_code == 2, out.output
    assert "--from: 0001-01-01 is outside the days a review can read" in out.output
    assert "Traceback" not in out.output
