"""Region jobs: loading a user region from a GeoJSON file on the server, (re)installing the
division boundaries and key regions, and storing the registry's sources in Hilbert order
(``ecohub geo load`` / ``install`` / ``reorder``; registered in :data:`ecohub.jobs.kinds.KINDS`).

A bad file fails the job with the reason naming the feature (``params.path``: ``feature 3
(id='x') ring 0: ring is not closed``); a bad name, kind or code names that parameter.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import duckdb
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from ecohub.access.principal import Principal
from ecohub.jobs.files import job_input
from ecohub.jobs.plain import jsonable

# Fields of load_region whose errors name themselves; any other (the file, a feature) is the
# file's fault.
_OWN_FIELDS = ("name", "kind", "code", "crs")


class GeoLoad(BaseModel):
    model_config = ConfigDict(extra="forbid")
    path: str = Field(..., min_length=1, max_length=4096, description="absolute path on the server")
    name: str = Field(..., min_length=1, max_length=200, description="the region's name")
    kind: Literal["basin", "key_region", "custom"]
    crs: Literal["wgs84", "gcj02"] = "wgs84"
    code: str | None = Field(None, max_length=64, description="default: from kind and name")

    @field_validator("path")
    @classmethod
    def _file(cls, value: str, info: ValidationInfo) -> str:
        return job_input(value, info)


class GeoInstall(BaseModel):
    model_config = ConfigDict(extra="forbid")


class GeoReorder(BaseModel):
    model_config = ConfigDict(extra="forbid")


def run_load(cur: duckdb.DuckDBPyConnection, who: Principal, p: Any, progress: Any) -> Any:
    from ecohub.geo import GeoError, ensure_regions, load_region
    from ecohub.queries import QueryError

    progress(0, 1, f"checking {Path(p.path).name}")
    ensure_regions(cur)
    try:
        out = load_region(cur, Path(p.path), name=p.name, kind=p.kind, crs=p.crs, code=p.code)
    except GeoError as exc:
        if exc.where in _OWN_FIELDS:
            raise QueryError(f"params.{exc.where}", exc.reason) from None
        reason = exc.reason if exc.where == "file" else str(exc)
        raise QueryError("params.path", reason) from None
    progress(1, 1, "stored")
    return jsonable(out)


def run_install(cur: duckdb.DuckDBPyConnection, who: Principal, p: Any, progress: Any) -> Any:
    from ecohub.geo import boundaries, keyregions

    progress(0, 2, "installing the division boundaries")
    out = boundaries.install(cur)
    progress(1, 2, "installing the key regions")
    out |= keyregions.install(cur)
    progress(2, 2, "installed")
    return jsonable(out)


def run_reorder(cur: duckdb.DuckDBPyConnection, who: Principal, p: Any, progress: Any) -> Any:
    from ecohub.geo.storage import reorder_sources

    progress(0, 1, "storing the sources in Hilbert order")
    return {"sources": reorder_sources(cur)}
