"""The identity every service call carries: a name, a role and a scope."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, get_args

if TYPE_CHECKING:
    from ecohub.access.region_scope import RegionScope

Role = Literal["admin", "analyst", "inspector", "enterprise", "public"]
#: Roles, most powerful first.
ROLES: tuple[Role, ...] = get_args(Role)


@dataclass(frozen=True)
class Grant:
    """A conditional-sharing grant in force for this request: rows of ``table`` whose GB/T 2260
    code starts with ``prefix`` (``ecohub.catalog.grants`` decides which grants are in force)."""

    id: str
    resource: str
    table: str
    prefix: str


@dataclass(frozen=True)
class Principal:
    """A caller as the services see it.

    ``region`` is a GB/T 2260 code or ``None`` for nationwide (only an admin may be nationwide),
    or ``key:<code>`` / ``user:<code>`` for a key region or a basin / custom region, resolved in
    ``area`` (:mod:`ecohub.access.region_scope`; without ``area`` such a scope sees nothing).
    ``sources`` are the source codes an ``enterprise`` user may see. ``via`` says how the caller
    proved who it is (``password``, ``token``, ``apikey``, ``local`` for the server's own CLI,
    ``system`` for in-process work, ``anonymous`` for open data).

    ``grants`` are the caller's grants in force that widen what the current route reads (the
    door puts them in for the route's tables); ``own_scope`` is ``False`` when the caller's role
    may not use the route and only its grants let it in (then its own region adds nothing).
    """

    name: str
    role: Role
    region: str | None = None
    sources: tuple[str, ...] = ()
    via: str = "token"
    grants: tuple[Grant, ...] = ()
    own_scope: bool = True
    area: RegionScope | None = None

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"role: must be one of {', '.join(ROLES)}, not {self.role!r}")

    @property
    def nationwide(self) -> bool:
        return self.region is None and self.role in ("admin", "analyst", "inspector")


#: The platform itself (start-up loads, the HJ 212 writer): every row, no audit subject.
SYSTEM = Principal("system", "admin", None, via="system")
#: A caller without credentials: open data only.
ANONYMOUS = Principal("anonymous", "public", None, via="anonymous")
