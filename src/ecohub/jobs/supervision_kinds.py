"""Supervision and review jobs: batch anomaly detection (``supervise-detect``), loading permit
limits (``load-permits``) and the data review (``review-run``); registered in
:data:`ecohub.jobs.kinds.KINDS`.

The period of a detection or review is checked when the job is submitted (each kind's
``check``, the service's own check): a day out of range, an impossible day or a reversed range
is a 422 naming the field before any job exists, not a job that fails later. The job checks
again when it runs (the same function).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
from pydantic import BaseModel, ConfigDict, Field

from ecohub.access.principal import Principal
from ecohub.jobs.files import FileParams
from ecohub.jobs.plain import jsonable
from ecohub.queries import QueryError


class SuperviseDetect(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    # ISO 8601 times (naive = CST); a bare day as ``to`` is the end of that day.
    start: str = Field(..., alias="from", min_length=10, max_length=40)
    end: str = Field(..., alias="to", min_length=10, max_length=40)
    rules: list[str] | None = Field(None, max_length=50)


class LoadPermits(FileParams):
    """``load-permits``: a permit-limit file on the server and its reject file."""


class ReviewRun(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    start: str | None = Field(None, alias="from", min_length=10, max_length=10)
    end: str | None = Field(None, alias="to", min_length=10, max_length=10)


def check_detect(p: Any) -> Any:
    """The detection period and rules (:class:`QueryError` naming ``from``, ``to``, ``rules``)."""
    from ecohub.supervision import detect_request

    return detect_request(p.start, p.end, p.rules)


def check_review(p: Any) -> Any:
    """The review window as ``[first, last instant]`` (:class:`QueryError` naming ``from`` or
    ``to``: not a day, outside the days a review can read, or after ``to``)."""
    from ecohub.supervision.review import ReviewError
    from ecohub.supervision.review.inputs import day_window

    try:
        return day_window(p.start, p.end)
    except ReviewError as exc:
        raise QueryError(exc.field or "from", str(exc)) from None


def run_detect(cur: duckdb.DuckDBPyConnection, who: Principal, p: Any, progress: Any) -> Any:
    from ecohub.supervision import detect as run

    cur.execute("SET TimeZone = 'Asia/Shanghai'")  # as the store connection the CLI used
    start, end, rules = check_detect(p)
    progress(0, 1, "running the anomaly rules")
    # Only the devices the caller may see are judged and written (a district inspector's run).
    return jsonable(run(cur, start, end, rules, principal=who))


def run_permits(cur: duckdb.DuckDBPyConnection, who: Principal, p: Any, progress: Any) -> Any:
    from ecohub.supervision import PermitLoadError, load_permits

    progress(0, 1, "loading the permit limits")
    try:
        out = load_permits(cur, Path(p.path), reject_path=Path(p.reject) if p.reject else None)
    except PermitLoadError as exc:  # the file as a whole is unreadable: name the parameter
        raise QueryError("path", str(exc)) from None
    out.pop("rejects")  # written to the reject file (reject_path); the count is in "rejected"
    return jsonable(out)


def run_review(cur: duckdb.DuckDBPyConnection, who: Principal, p: Any, progress: Any) -> Any:
    from ecohub.supervision.review import ReviewError, run

    cur.execute("SET TimeZone = 'Asia/Shanghai'")  # as the store connection the CLI used
    lo, hi = check_review(p)
    progress(0, 1, "reviewing the hourly values")
    try:
        return jsonable(run(cur, first_time=lo, last_time=hi))
    except ReviewError as exc:
        raise QueryError(exc.field or "params", str(exc)) from None
