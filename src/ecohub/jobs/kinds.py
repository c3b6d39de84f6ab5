"""What each kind of job accepts (a pydantic model, fields capped) and runs.

A job function gets its own DuckDB cursor, the principal that asked, the checked parameters and
a ``progress(done, total, message)`` callback; it returns plain data. An analytic kind
(``Kind.engine``) also gets ``engine``: the analytics backend the server opened
(store/backend.py), so it runs on DuckDB or Spark as ``ECOHUB_ENGINE`` says.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import duckdb
from pydantic import BaseModel, ConfigDict, Field, field_validator

from ecohub.access.principal import Principal, Role
from ecohub.jobs import geo_kinds
from ecohub.jobs import supervision_kinds as sk
from ecohub.jobs.plain import jsonable
from ecohub.jobs.registry_kinds import RegistryLink, RegistryLoad, run_link, run_load
from ecohub.jobs.server_paths import server_file, server_path

Progress = Callable[[int | None, int | None, str], None]

_TEXT = 200  # longest option value we accept (a path, a source label)


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AirCompute(_Params):
    edition: Literal["auto", "2012", "2026"] = "auto"
    full: bool = False  # recompute everything, not only the stale station-days
    raw: bool = False  # store results of every value, not of the reviewed record


class _FileLoad(_Params):
    path: str = Field(min_length=1, max_length=4096, description="absolute path on the server")
    mapping: dict[str, str] = Field(default_factory=dict, max_length=200)
    source: str | None = Field(None, max_length=_TEXT)
    sheet: str | None = Field(None, max_length=_TEXT)
    reject: str | None = Field(None, max_length=4096, description="reject file (absolute path)")
    force: bool = False

    @field_validator("reject")
    @classmethod
    def _absolute(cls, value: str | None) -> str | None:
        return None if value is None else server_path(value)

    @field_validator("path")
    @classmethod
    def _file(cls, value: str) -> str:
        return server_file(value)


class LoadObservations(_FileLoad):
    units: dict[str, str] = Field(default_factory=dict, max_length=200)
    period: str = Field("1h", max_length=20)


class LoadStations(_FileLoad):
    network: str = Field("air", max_length=40)


class LoadSample(_Params):
    pass


class WaterAssess(_Params):
    year: int | None = Field(None, ge=1900, le=2200)
    month: str | None = Field(None, pattern=r"^\d{4}-\d{2}$")
    region: str | None = Field(None, pattern=r"^\d{6}$")
    basin: str | None = Field(None, max_length=100)
    method: str = Field("2011", max_length=10)
    by: str = Field("basin", max_length=20)
    store: bool = True


class Trend(_Params):
    stations: list[str] | None = Field(None, max_length=1000)
    parameters: list[str] | None = Field(None, max_length=50)
    year_from: int | None = Field(None, ge=1900, le=2200)
    year_to: int | None = Field(None, ge=1900, le=2200)
    seasonal: bool = True
    alpha: float = Field(0.05, gt=0, lt=1)
    raw: bool = False
    store: bool = True


def _check_water(p: Any) -> None:
    from ecohub.analytics.water_assess import parse_period
    from ecohub.queries import QueryError

    try:
        parse_period(p.year, p.month)
    except ValueError as exc:  # "month: <reason>"
        raise QueryError("month", str(exc).removeprefix("month: ")) from None


def _check_trend(p: Any) -> None:
    from ecohub.queries import QueryError
    from ecohub.queries.analysis import trend_request

    names = {"to": "year_to", "station": "stations", "parameter": "parameters"}
    try:
        trend_request(p.stations, p.parameters, p.year_from, p.year_to, p.alpha)
    except QueryError as exc:  # the service names the GET /trend parameters
        raise QueryError(names.get(exc.field, exc.field), exc.reason) from None


def _water_assess(
    cur: duckdb.DuckDBPyConnection, who: Principal, p: Any, progress: Progress, engine: Any
) -> Any:
    from ecohub.queries.analysis import water_assessment

    progress(0, 1, "assessing the sections")
    return water_assessment(cur, who, **p.model_dump(), engine=engine)


def _trend(
    cur: duckdb.DuckDBPyConnection, who: Principal, p: Any, progress: Progress, engine: Any
) -> Any:
    from ecohub.queries.analysis import trend

    progress(0, 1, "testing the series")
    return {"rows": trend(cur, who, **p.model_dump(), engine=engine)}


def _air_compute(
    cur: duckdb.DuckDBPyConnection, who: Principal, p: Any, progress: Progress, engine: Any
) -> Any:
    from ecohub.analytics.air_service import compute

    progress(0, 1, f"computing the air_* tables from the observations ({engine.name})")
    out = compute(
        cur, edition=p.edition, full=p.full, principal=who, reviewed=not p.raw, engine=engine
    )
    progress(1, 1, "stored")
    return jsonable(out)


def _load_progress(progress: Progress) -> Callable[[str, int, int | None], None]:
    labels = {"read": "reading", "check": "checking", "store": "storing"}

    def update(phase: str, done: int, total: int | None) -> None:
        progress(done, total, labels.get(phase, phase))

    return update


def _load_observations(
    cur: duckdb.DuckDBPyConnection, who: Principal, p: Any, progress: Progress
) -> Any:
    from ecohub.ingest.files import load_observations

    report = load_observations(
        cur,
        p.path,
        mapping=p.mapping,
        units=p.units,
        period=p.period,
        source=p.source,
        reject_path=p.reject,
        sheet=p.sheet,
        force=p.force,
        progress=_load_progress(progress),
    )
    return {"report": jsonable(report), "stored": report.stored}


def _load_stations(
    cur: duckdb.DuckDBPyConnection, who: Principal, p: Any, progress: Progress
) -> Any:
    from ecohub.ingest.files import load_stations

    report = load_stations(
        cur,
        p.path,
        mapping=p.mapping,
        network=p.network,
        source=p.source,
        sheet=p.sheet,
        reject_path=p.reject,
        force=p.force,
    )
    return {"report": jsonable(report), "stored": report.stored}


def _load_sample(cur: duckdb.DuckDBPyConnection, who: Principal, p: Any, progress: Progress) -> Any:
    from ecohub.sample import load_sample

    result = load_sample(cur, progress=_load_progress(progress))
    return jsonable(result)


class LoadComplaints(_FileLoad):
    crs: Literal["wgs84", "gcj02"] = "wgs84"


def _load_complaints(
    cur: duckdb.DuckDBPyConnection, who: Principal, p: Any, progress: Progress
) -> Any:
    from ecohub.complaints.service import load

    progress(0, 1, "loading and analysing the complaints")
    return load(cur, p.path, mapping=p.mapping, crs=p.crs, reject_path=p.reject, sheet=p.sheet,
                force=p.force)  # fmt: skip


class LoadEnterprise(_Params):
    """``load-cases`` / ``load-eia``: a file on the server (docs/enterprise.md)."""

    path: str = Field(min_length=1, max_length=4096, description="absolute path on the server")
    reject: str | None = Field(None, max_length=4096, description="reject file (absolute path)")
    force: bool = False

    @field_validator("path")
    @classmethod
    def _file(cls, value: str) -> str:
        return _FileLoad._file(value)

    @field_validator("reject")
    @classmethod
    def _absolute(cls, value: str | None) -> str | None:
        return _FileLoad._absolute(value)


def _load_enterprise(which: str) -> Callable[..., Any]:
    def run(cur: duckdb.DuckDBPyConnection, who: Principal, p: Any, progress: Progress) -> Any:
        from ecohub.enterprise import LoadError, load_cases, load_eia
        from ecohub.queries import QueryError

        load = load_cases if which == "cases" else load_eia
        progress(0, 1, f"loading {which} and linking them to the registry")
        try:
            out = load(cur, Path(p.path), reject_path=Path(p.reject) if p.reject else None,
                       force=p.force, actor=who.name)  # fmt: skip
        except LoadError as exc:  # the file as a whole cannot be loaded: name the parameter
            raise QueryError("path", str(exc)) from None
        progress(1, 1, "loaded")
        return jsonable(out)

    return run


class LakeCompact(_Params):
    pass


def _lake_compact(
    cur: duckdb.DuckDBPyConnection, who: Principal, p: Any, progress: Progress
) -> Any:
    from ecohub.queries import QueryError
    from ecohub.settings import get_settings
    from ecohub.store.lake import LakeError
    from ecohub.store.lake_compact import compact

    try:
        return jsonable(compact(cur, get_settings(), progress=progress))
    except LakeError as exc:
        raise QueryError("lake", str(exc)) from None


@dataclass(frozen=True)
class Kind:
    params: type[BaseModel]
    run: Callable[..., Any]  # (cursor, principal, params, progress[, engine=])
    roles: tuple[Role, ...]  # besides admin
    summary: str
    engine: bool = False  # an analytic: ``run`` takes the analytics backend as ``engine``
    # The service's checks of the checked parameters that need more than one field or the
    # service's rules (a period): run when the job is submitted, so a request it refuses is a
    # 422 before any job exists; raises QueryError naming the parameter.
    check: Callable[[Any], Any] | None = None


KINDS: dict[str, Kind] = {
    "air-compute": Kind(
        AirCompute, _air_compute, (), "recompute the stored air results", engine=True
    ),
    "load-observations": Kind(LoadObservations, _load_observations, (), "load an observation file"),
    "load-stations": Kind(LoadStations, _load_stations, (), "load a station list"),
    "load-sample": Kind(LoadSample, _load_sample, (), "load the bundled Beijing sample"),
    "registry-link": Kind(RegistryLink, run_link, (), "link the registry records", engine=True),
    "registry-load": Kind(RegistryLoad, run_load, (), "load one system's source list"),
    "water-assess": Kind(
        WaterAssess,
        _water_assess,
        (),
        "assess surface water and store it",
        engine=True,
        check=_check_water,
    ),
    "trend": Kind(Trend, _trend, (), "trend tests, stored", engine=True, check=_check_trend),
    "supervise-detect": Kind(
        sk.SuperviseDetect,
        sk.run_detect,
        ("inspector",),
        "run the HJ 212 anomaly rules",
        check=sk.check_detect,
    ),
    "load-permits": Kind(sk.LoadPermits, sk.run_permits, (), "load permit emission limits"),
    "review-run": Kind(
        sk.ReviewRun,
        sk.run_review,
        ("inspector",),
        "review stored hourly values",
        check=sk.check_review,
    ),
    "load-complaints": Kind(LoadComplaints, _load_complaints, (), "load a 12369 complaint file"),
    "load-cases": Kind(
        LoadEnterprise, _load_enterprise("cases"), (), "load enforcement cases and link them"
    ),
    "load-eia": Kind(LoadEnterprise, _load_enterprise("eia"), (), "load EIA approvals, linked"),
    "lake-compact": Kind(
        LakeCompact, _lake_compact, (), "move settled emissions and observations to the lake"
    ),
    "geo-load": Kind(geo_kinds.GeoLoad, geo_kinds.run_load, (), "load a region from GeoJSON"),
    "geo-install": Kind(
        geo_kinds.GeoInstall, geo_kinds.run_install, (), "install boundaries and key regions"
    ),
    "geo-reorder": Kind(
        geo_kinds.GeoReorder, geo_kinds.run_reorder, (), "store sources in Hilbert order"
    ),
}
