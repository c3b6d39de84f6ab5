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
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ecohub.access.principal import Principal, Role
from ecohub.jobs import geo_kinds
from ecohub.jobs import load_kinds as lk
from ecohub.jobs import supervision_kinds as sk
from ecohub.jobs.files import JobFiles
from ecohub.jobs.plain import jsonable
from ecohub.jobs.registry_kinds import RegistryLink, RegistryLoad, run_link, run_load

Progress = Callable[[int | None, int | None, str], None]

_TEXT = 200  # longest option value we accept (a path, a source label)


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AirCompute(_Params):
    edition: Literal["auto", "2012", "2026"] = "auto"
    full: bool = False  # recompute everything, not only the stale station-days
    raw: bool = False  # store results of every value, not of the reviewed record


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


def _load_sample(cur: duckdb.DuckDBPyConnection, who: Principal, p: Any, progress: Progress) -> Any:
    from ecohub.sample import load_sample

    result = load_sample(cur, progress=lk.load_progress(progress))
    return jsonable(result)


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
    # The parameter naming the reject file the job writes (a file load), and the service's
    # default for it from the input file: on a server a job whose caller names none writes
    # that name into its own folder in the rejects folder (jobs/files.py), never beside the
    # input (an import folder is for files to load).
    rejects: str | None = None
    reject_name: Callable[[Path], Path] | None = None


def _beside(path: Path) -> Path:
    from ecohub.ingest.rejects import default_reject_path

    return default_reject_path(path)


def _registry_beside(path: Path) -> Path:
    from ecohub.registry.records import default_reject_path

    return default_reject_path(path)


def _load(params: type[BaseModel], run: Callable[..., Any], summary: str) -> Kind:
    """An admin's file load whose reject file is its parameter ``reject``."""
    return Kind(params, run, (), summary, rejects="reject", reject_name=_beside)


KINDS: dict[str, Kind] = {
    "air-compute": Kind(
        AirCompute, _air_compute, (), "recompute the stored air results", engine=True
    ),
    "load-observations": _load(
        lk.LoadObservations, lk.load_observations, "load an observation file"
    ),
    "load-stations": _load(lk.LoadStations, lk.load_stations, "load a station list"),
    "load-sample": Kind(LoadSample, _load_sample, (), "load the bundled Beijing sample"),
    "registry-link": Kind(RegistryLink, run_link, (), "link the registry records", engine=True),
    "registry-load": Kind(
        RegistryLoad,
        run_load,
        (),
        "load one system's source list",
        rejects="rejects",
        reject_name=_registry_beside,
    ),
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
    "load-permits": _load(sk.LoadPermits, sk.run_permits, "load permit emission limits"),
    "review-run": Kind(
        sk.ReviewRun,
        sk.run_review,
        ("inspector",),
        "review stored hourly values",
        check=sk.check_review,
    ),
    "load-complaints": _load(lk.LoadComplaints, lk.load_complaints, "load a 12369 complaint file"),
    "load-cases": _load(
        lk.LoadEnterprise, lk.load_enterprise("cases"), "load enforcement cases and link them"
    ),
    "load-eia": _load(lk.LoadEnterprise, lk.load_enterprise("eia"), "load EIA approvals, linked"),
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


def check_params(spec: Kind, params: dict[str, Any], files: JobFiles, prefix: str) -> Any:
    """``params`` checked by the kind's model (the files it names judged by ``files``) and by
    its ``check``; :class:`QueryError` naming ``prefix`` + the parameter."""
    from ecohub.queries import QueryError

    try:
        checked = spec.params.model_validate(params, context={"files": files})
        if spec.check is not None:
            spec.check(checked)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(x) for x in first["loc"])
        field = prefix + where if where else prefix.rstrip(".") or "body"
        raise QueryError(field, first["msg"]) from None
    except QueryError as exc:
        raise QueryError(prefix + exc.field, exc.reason) from None
    return checked
