"""Registry jobs: loading one system's list and linking every loaded record.

The options are checked by :mod:`ecohub.registry.service` (its messages name the command-line
option, ``--system: must not be empty``). The parameter models call the same checks when the job
is submitted, so a bad option is a 422 naming ``params.<field>`` before any job exists (the
service checks again when the job runs: a file can go away in between).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import duckdb
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from ecohub.access.principal import Principal
from ecohub.jobs.files import job_input, job_output
from ecohub.jobs.plain import jsonable

_TEXT = 200


class RegistryLoad(BaseModel):
    model_config = ConfigDict(extra="forbid")
    system: str = Field(..., max_length=_TEXT, description="name of the contributing system")
    path: str = Field(
        ..., min_length=1, max_length=4096, description="absolute path in an import folder"
    )
    mapping: dict[str, str] = Field(default_factory=dict, max_length=200)
    crs: str = Field("wgs84", max_length=20, description="wgs84 | gcj02")
    rejects: str | None = Field(
        None, max_length=4096, description="reject file (absolute path in the rejects folder)"
    )
    full_list: bool = Field(False, description="the system's whole list: withdraw the missing")

    @field_validator("path")
    @classmethod
    def _file(cls, value: str, info: ValidationInfo) -> str:
        return job_input(value, info)

    @field_validator("rejects")
    @classmethod
    def _absolute(cls, value: str | None, info: ValidationInfo) -> str | None:
        target = job_output(value, info)  # first: nothing is tried on a path it refuses
        if target is None:
            return None
        from ecohub.registry.service import check_writable

        check_writable("--rejects", Path(target))
        return target

    @field_validator("system")
    @classmethod
    def _system(cls, value: str) -> str:
        from ecohub.registry.service import check_system

        check_system(value)
        return value

    @field_validator("crs")
    @classmethod
    def _crs(cls, value: str) -> str:
        from ecohub.registry.service import CRS

        if value not in CRS:
            raise ValueError(f"--crs: expected {' or '.join(CRS)}, got {value[:40]!r}")
        return value


class RegistryLink(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # The engine is the server's (ECOHUB_ENGINE); naming another one is refused, not ignored.
    engine: Literal["duckdb", "spark"] | None = Field(None, description="duckdb | spark")
    auto_accept: float = Field(0.9, description="link pairs at or above this probability")
    review_low: float = Field(0.5, description="lower edge of the review band")

    @field_validator("auto_accept", "review_low")
    @classmethod
    def _probability(cls, value: float, info: ValidationInfo) -> float:
        from ecohub.registry.linkage import LinkConfig
        from ecohub.registry.service import check_link_config

        # Each field on its own (the band check needs both: review_low comes second).
        band = {"auto_accept": value, "review_low": 0.0} if info.field_name == "auto_accept" else {
            "auto_accept": info.data.get("auto_accept", 1.0), "review_low": value
        }  # fmt: skip
        check_link_config(LinkConfig(**band))
        return value


def run_load(cur: duckdb.DuckDBPyConnection, who: Principal, p: Any, progress: Any) -> Any:
    from ecohub.registry.service import load_records

    progress(0, 1, f"loading {p.system}")
    result = load_records(
        cur,
        p.system,
        Path(p.path),
        column_map=p.mapping,
        crs=p.crs,
        reject_path=Path(p.rejects) if p.rejects else None,
        full_list=p.full_list,
        actor=who.name,
    )
    progress(1, 1, "loaded")
    return jsonable(result.as_dict())


def run_link(
    cur: duckdb.DuckDBPyConnection, who: Principal, p: Any, progress: Any, engine: Any
) -> Any:
    from ecohub.registry.errors import OptionError
    from ecohub.registry.linkage import LinkConfig
    from ecohub.registry.service import link

    if p.engine is not None and p.engine != engine.name:
        # Only a running `ecohub up` gets here (the CLI without a server opens the engine asked
        # for): say which server, and the two ways out.
        raise OptionError(
            f"--engine: the running server links on {engine.name} (ECOHUB_ENGINE when it "
            f"started), not {p.engine}: restart it with ECOHUB_ENGINE={p.engine}, or stop it and "
            f"run `ecohub registry link --engine {p.engine}` without a server"
        )
    progress(0, 1, "linking the registry records")
    config = LinkConfig(auto_accept=p.auto_accept, review_low=p.review_low)
    out = link(cur, engine=engine, actor=who.name, config=config)
    progress(1, 1, "linked")
    return jsonable(out)
