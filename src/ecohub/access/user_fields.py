"""What a user's fields may hold: its name, its role and scope (region, sources), its
department. Each check returns the clean value or raises :class:`InvalidInput` naming the field."""

from __future__ import annotations

import re
import unicodedata
from typing import cast

import duckdb

from ecohub.access import region_scope
from ecohub.access.errors import InvalidInput
from ecohub.access.principal import ROLES, Role
from ecohub.access.region_scope import region_prefix
from ecohub.standards import divisions
from ecohub.standards.errors import InvalidCode
from ecohub.standards.source_codes import validate_source_code

NAME_PATTERN = re.compile(r"[a-z][a-z0-9._-]{1,31}")
#: Names the platform uses for its own principals (ecohub.access.principal, local.py).
RESERVED_NAMES = frozenset({"system", "anonymous", "local"})
DEPARTMENT_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")
MAX_DEPARTMENT_CHARS = 64


def check_scope(
    role: str,
    region: str | None,
    sources: list[str] | tuple[str, ...],
    con: duckdb.DuckDBPyConnection | None = None,
) -> tuple[Role, str | None, tuple[str, ...]]:
    """(role, region, sources) of a user, clean; a key-region or custom region (``key:``,
    ``user:``) is checked through ``con``, and so are the places of registered sources."""
    if role not in ROLES:
        raise InvalidInput("role", f"must be one of {', '.join(ROLES)}, not {role!r}")
    if region is not None and ":" in region and con is not None:
        region = region_scope.check_ref(con, region)  # key:<code> | user:<code>
    elif region is not None:
        try:
            region = divisions.validate(region)
        except InvalidCode as exc:
            raise InvalidInput("region", exc.message) from exc
    clean: list[str] = []
    for code in sources:
        try:
            value = validate_source_code(code)
        except InvalidCode as exc:
            raise InvalidInput("source", f"{code!r}: {exc}") from exc
        if value not in clean:
            clean.append(value)
    if role == "enterprise":
        if not clean:
            raise InvalidInput("source", "an enterprise user needs at least one source code")
        if region is None:
            # Scope is the sources AND a region: with none, the user would see nothing at all.
            raise InvalidInput(
                "region", "an enterprise user needs the region of its sources (e.g. 110105)"
            )
        _sources_inside(con, region, clean)
    elif clean:
        raise InvalidInput("source", f"only enterprise users are bound to sources, not {role}")
    elif role != "admin" and region is None:
        raise InvalidInput(
            "region", f"a {role} user needs a region (only an admin may be nationwide)"
        )
    return cast(Role, role), region, tuple(clean)


def _sources_inside(con: duckdb.DuckDBPyConnection | None, region: str, sources: list[str]) -> None:
    """Each registered source of an enterprise user lies in its division region (a source
    outside would be invisible to it); sources not registered yet are taken on trust."""
    if con is None or ":" in region:
        return
    marks = ", ".join("?" for _ in sources)
    rows = con.execute(
        f"SELECT source_code, region_code FROM source WHERE source_code IN ({marks}) "
        "AND region_code IS NOT NULL AND NOT starts_with(region_code, ?) ORDER BY 1",
        [*sources, region_prefix(region)],
    ).fetchall()
    if rows:
        code, where = rows[0]
        raise InvalidInput("source", f"{code} lies in {where}, outside region {region}")


def check_name(name: str) -> str:
    """``name`` if it can be a log-in name (not one of the platform's own)."""
    if not NAME_PATTERN.fullmatch(name):
        raise InvalidInput(
            "name",
            f"{name!r} must be 2-32 characters: a lower-case letter, then letters, digits, . _ -",
        )
    if name in RESERVED_NAMES:
        raise InvalidInput("name", f"{name!r} is reserved for the platform")
    return name


def check_department(name: str | None, code: str | None) -> tuple[str | None, str | None]:
    """A department's (name, code), stripped; :class:`InvalidInput` naming the bad field."""
    name = (name or "").strip() or None
    code = (code or "").strip() or None
    if name is not None and (
        len(name) > MAX_DEPARTMENT_CHARS or any(unicodedata.category(c)[0] == "C" for c in name)
    ):
        raise InvalidInput(
            "department", f"at most {MAX_DEPARTMENT_CHARS} characters, no control characters"
        )
    if code is not None and not DEPARTMENT_CODE.fullmatch(code):
        raise InvalidInput(
            "department_code",
            f"{code!r} must be 1-32 letters, digits, . _ - (a letter or digit first)",
        )
    if code is not None and name is None:
        raise InvalidInput("department", "a department code needs the department's name")
    return name, code
