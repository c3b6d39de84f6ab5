"""What each column of a staged file is: header and options (--map, --unit, --period) to a plan.

A column is read as a role (station, time, value, ...), as a parameter (a wide value column) or
is ignored. ``--map`` decides first, then the role aliases, then the parameter aliases; the
vocabularies are the CSV tables of :mod:`ecohub.ingest.params`. No SQL runs here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ecohub.ingest.params import (
    ParamMatch,
    VocabularyError,
    canonical_unit,
    norm,
    normalise_period,
    parameters,
    resolve_parameter,
    role_aliases,
    spelled_aliases,
    unit_factor,
)
from ecohub.ingest.readers import Staged
from ecohub.ingest.report import LoadError, shorten

__all__ = [
    "IGNORE_TARGETS",
    "OBSERVATION_ROLES",
    "STATION_ROLES",
    "Plan",
    "period_option",
    "plan_columns",
    "shown_aliases",
    "unit_overrides",
    "where",
]

OBSERVATION_ROLES = (
    "station",
    "time",
    "date",
    "hour",
    "year",
    "month",
    "day",
    "parameter",
    "value",
    "unit",
    "period",
    "flag",
)
STATION_ROLES = (
    "station",
    "name",
    "name_en",
    "network",
    "region_code",
    "basin",
    "waterbody",
    "lon",
    "lat",
)
IGNORE_TARGETS = ("-", "ignore", "skip")


@dataclass
class Plan:
    roles: dict[str, str] = field(default_factory=dict)  # role -> staged column
    params: list[tuple[str, ParamMatch]] = field(default_factory=list)  # wide value columns
    ignored: list[str] = field(default_factory=list)  # staged columns not loaded
    dropped: list[str] = field(default_factory=list)  # ... of those, ignored by --map COL=-

    @property
    def is_long(self) -> bool:
        return "parameter" in self.roles and "value" in self.roles

    def described(self, staged: Staged) -> dict[str, str]:
        out = {staged.headers[c]: role for role, c in self.roles.items()}
        for c, m in self.params:
            p = parameters()[m.code]
            out[staged.headers[c]] = f"{m.code} {p.name_en}" + (
                f" ({m.period})" if m.period else ""
            )
        return out

    def ignored_headers(self, staged: Staged) -> list[str]:
        return [staged.headers[c] for c in self.ignored]


def plan_columns(
    staged: Staged,
    mapping: Mapping[str, str],
    roles: tuple[str, ...],
    *,
    with_params: bool,
    kind: str = "observations",
) -> Plan:
    """Decide what each column is: --map first, then the role aliases of files of ``kind``
    (``observations`` or ``stations``: :data:`ecohub.ingest.params.FILE_KINDS`), then
    parameter aliases."""
    plan = Plan()
    by_header = {h: c for c, h in staged.headers.items()}
    taken: set[str] = set()
    for header, target in mapping.items():
        col = by_header.get(header)
        if col is None:
            shown = ", ".join(shorten(h) for h in staged.headers.values())
            raise LoadError(
                f"--map {shorten(header)}={shorten(target)}: the file has no column "
                f"{shorten(header)!r} (columns: {shown})"
            )
        taken.add(col)
        key = target.strip()
        if key.lower() in IGNORE_TARGETS:
            plan.ignored.append(col)
            plan.dropped.append(col)
        elif key.lower() in roles:
            plan.roles[key.lower()] = col
        elif with_params and (match := resolve_parameter(key)) is not None:
            plan.params.append((col, match))
        else:
            allowed = ", ".join(roles) + (
                ", or a parameter (PM2.5, a34004, ...)" if with_params else ""
            )
            raise LoadError(
                f"--map {shorten(header)}={shorten(target)}: {shorten(target)!r} "
                f"is not one of {allowed}"
            )
    normalised = {c: norm(h) for c, h in staged.headers.items()}
    for role in roles:
        if role in plan.roles:
            continue
        for alias in role_aliases(role, kind):
            col = next((c for c, n in normalised.items() if n == alias and c not in taken), None)
            if col is not None:
                plan.roles[role] = col
                taken.add(col)
                break
    for col, header in staged.headers.items():
        if col in taken:
            continue
        match = resolve_parameter(header) if with_params and header else None
        if match is not None and not plan.is_long:
            plan.params.append((col, match))
        else:
            plan.ignored.append(col)
    if "station" not in plan.roles:
        raise LoadError(
            f"{where(staged)}: no station column found (looked for "
            f"{', '.join(shown_aliases('station', kind))}); name it with --map COLUMN=station"
        )
    return plan


def shown_aliases(role: str, kind: str = "observations") -> list[str]:
    """The first aliases of ``role`` as the table spells them, for a message: a station
    list's own ``id`` is among them (it comes right after the code-like names)."""
    spelled = spelled_aliases(role, kind)
    shown = spelled[:8]
    if kind == "stations" and "id" in spelled and "id" not in shown:
        shown.append("id")
    return shown


def where(staged: Staged) -> str:
    """How a message names the file: its name (a path would show a server's import copy)."""
    return staged.name or f"{staged.format} file"


def unit_overrides(units: Mapping[str, str], staged: Staged) -> dict[str, str]:
    """--unit keys (a parameter alias, or a header) to parameter code -> canonical unit."""
    out: dict[str, str] = {}
    headers = set(staged.headers.values())
    for key, unit_text in units.items():
        match = resolve_parameter(key)
        if match is None and key in headers:
            match = resolve_parameter(key.split("(")[0])
        if match is None:
            raise LoadError(f"--unit {key}={unit_text}: {key!r} is not a known parameter")
        unit = canonical_unit(unit_text)
        if unit is None:
            raise LoadError(f"--unit {key}={unit_text}: unknown unit {unit_text!r}")
        try:
            unit_factor(unit, match.code)
        except VocabularyError as exc:
            raise LoadError(f"--unit {key}={unit_text}: {exc}") from exc
        out[match.code] = unit
    return out


def period_option(period: str) -> str:
    try:
        return normalise_period(period)
    except VocabularyError as exc:
        raise LoadError(f"--period: {exc}") from exc
