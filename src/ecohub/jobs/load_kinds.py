"""File loads as jobs: observations, station lists, 12369 complaints, enforcement cases and EIA
approvals (``load-observations``, ``load-stations``, ``load-complaints``, ``load-cases``,
``load-eia``; registered in :data:`ecohub.jobs.kinds.KINDS`).

``path`` is the file to load and ``reject`` the reject file. On a server both are judged by
:mod:`ecohub.jobs.files` (an import folder in, the rejects folder out) when the job is submitted
and again when it starts; the job then reads the resolved path.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import duckdb
from pydantic import Field, field_validator

from ecohub.access.principal import Principal
from ecohub.jobs.files import FileParams
from ecohub.jobs.plain import jsonable

Progress = Callable[[int | None, int | None, str], None]

_TEXT = 200  # longest option value we accept (a source label, a sheet)


class _FileLoad(FileParams):
    mapping: dict[str, str] = Field(default_factory=dict, max_length=200)
    source: str | None = Field(None, max_length=_TEXT)
    sheet: str | None = Field(None, max_length=_TEXT)
    force: bool = False


#: Longest file label: a path as a user types it (Linux's PATH_MAX is 4096 bytes, but a label
#: is shown in the lineage; a longer one is no name anyone reads).
LABEL_MAX = 1024
_LABEL = (
    "how the lineage names the file: the user's own path of a file the CLI copied into the "
    "import folder. A label only: never opened; no control characters"
)


_CONTROL = ("Cc", "Cf", "Zl", "Zp")


def file_label(value: str | None) -> str | None:
    """``value`` unless it holds a control, format or line-separator character (a label is
    shown in listings and logs: a newline or a bidi override would forge what they show)."""
    if value is None:
        return None
    bad = next((c for c in value if unicodedata.category(c) in _CONTROL), None)
    if bad is not None:
        raise ValueError(f"must not hold control characters (U+{ord(bad):04X})")
    return value


def label_for(path: str) -> str:
    """A valid label for a user's ``path``: each character :func:`file_label` refuses written
    as its escape (``\\n``, ``\\u202e``), and cut to :data:`LABEL_MAX` characters (ending
    ``…``), so any file name a user can have makes a label, never a refused job."""
    text = "".join(
        c.encode("unicode_escape").decode("ascii") if unicodedata.category(c) in _CONTROL else c
        for c in path
    )
    return text if len(text) <= LABEL_MAX else text[: LABEL_MAX - 1] + "…"


class _Labelled(_FileLoad):
    """A file load whose lineage names the file: by ``label`` when the CLI sent a copy."""

    label: str | None = Field(None, min_length=1, max_length=LABEL_MAX, description=_LABEL)

    @field_validator("label")
    @classmethod
    def _label(cls, value: str | None) -> str | None:
        return file_label(value)


class LoadObservations(_Labelled):
    units: dict[str, str] = Field(default_factory=dict, max_length=200)
    period: str = Field("1h", max_length=20)


class LoadStations(_Labelled):
    network: str = Field("air", max_length=40)


class LoadComplaints(_FileLoad):
    crs: Literal["wgs84", "gcj02"] = "wgs84"


class LoadEnterprise(FileParams):
    """``load-cases`` / ``load-eia``: a file on the server (docs/enterprise.md)."""

    force: bool = False


def load_progress(progress: Progress) -> Callable[[str, int, int | None], None]:
    labels = {"read": "reading", "check": "checking", "store": "storing"}

    def update(phase: str, done: int, total: int | None) -> None:
        progress(done, total, labels.get(phase, phase))

    return update


def load_observations(
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
        progress=load_progress(progress),
        label=p.label,
    )
    return {"report": jsonable(report), "stored": report.stored}


def load_stations(
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
        label=p.label,
    )
    return {"report": jsonable(report), "stored": report.stored}


def load_complaints(
    cur: duckdb.DuckDBPyConnection, who: Principal, p: Any, progress: Progress
) -> Any:
    from ecohub.complaints.service import load

    progress(0, 1, "loading and analysing the complaints")
    return load(cur, p.path, mapping=p.mapping, crs=p.crs, reject_path=p.reject, sheet=p.sheet,
                force=p.force)  # fmt: skip


def load_enterprise(which: str) -> Callable[..., Any]:
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
