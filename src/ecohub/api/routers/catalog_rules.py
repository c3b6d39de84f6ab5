"""Access rules of the catalog routes (merged into :mod:`ecohub.api.rules`).

Kept beside the router, as data, so that ``rules.py`` only adds them; they cannot import
``rules.py`` (it imports this module), hence their own role sets.
"""

from __future__ import annotations

from ecohub.access.principal import ROLES, Role

_ALL: frozenset[Role] = frozenset(ROLES)
_READERS: frozenset[Role] = frozenset({"admin", "analyst", "inspector"})
_ADMIN: frozenset[Role] = frozenset({"admin"})
#: Users of other departments who apply for data, and the admin who files paper applications.
_APPLICANTS: frozenset[Role] = frozenset({"admin", "analyst", "inspector", "enterprise"})
_SIGNED_IN: frozenset[Role] = _ALL - {"public"}

CATALOG_OPEN: dict[tuple[str, str], str] = {
    ("GET", "/open/v1/catalog"): "open data: the published open resources",
}

CATALOG_ACCESS: dict[tuple[str, str], frozenset[Role]] = {
    # The catalogue is readable by every signed-in role; a public user sees the open part.
    ("GET", "/api/v1/catalog"): _ALL,
    ("GET", "/api/v1/catalog/dcat"): _ALL,
    ("GET", "/api/v1/catalog/{code}"): _ALL,
    # Rows: every role may ask; grants.allowed decides which rows (403 when none).
    ("GET", "/api/v1/catalog/{code}/data"): _ALL,
    ("GET", "/api/v1/catalog/{code}/lineage"): _READERS,
    ("GET", "/api/v1/catalog/applications"): _SIGNED_IN,
    ("POST", "/api/v1/catalog/{code}/applications"): _APPLICANTS,
    ("POST", "/api/v1/catalog/{code}/applications/{app_id}/decision"): _ADMIN,
    ("POST", "/api/v1/catalog/{code}/publish"): _ADMIN,
    ("POST", "/api/v1/catalog/{code}/withdraw"): _ADMIN,
    ("POST", "/api/v1/catalog/coverage/refresh"): _ADMIN,
}
