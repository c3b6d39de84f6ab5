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
    ("GET", "/open/v1/catalog/dcat"): "open data: the published open resources as DCAT-AP 3",
    ("GET", "/open/v1/catalog/{code}/data"): "open data: pages of a published 无条件开放 resource",
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
    # One application: its applicant, its filer, an admin (a public user has none to read).
    ("GET", "/api/v1/catalog/applications/{app_id}"): _APPLICANTS,
    ("POST", "/api/v1/catalog/{code}/applications"): _APPLICANTS,
    ("POST", "/api/v1/catalog/{code}/applications/{app_id}/decision"): _ADMIN,
    ("POST", "/api/v1/catalog/{code}/applications/{app_id}/revocation"): _ADMIN,
    ("POST", "/api/v1/catalog/{code}/publish"): _ADMIN,
    ("POST", "/api/v1/catalog/{code}/withdraw"): _ADMIN,
    ("POST", "/api/v1/catalog/coverage/refresh"): _ADMIN,
}

#: Ordinary data routes and the store tables they read. A grant in force on the resource of one
#: of these tables widens the caller's region scope on the route (``ecohub.api.rules.guard``
#: puts it on the principal; ``region_sql`` adds it to the query); a role the route does not
#: list gets in with such a grant, scoped to the granted regions only.
GRANT_READS: dict[tuple[str, str], tuple[str, ...]] = {
    ("GET", "/api/v1/stations"): ("station",),
    ("GET", "/api/v1/stations/{station_id}"): ("station",),
    ("GET", "/api/v1/observations"): ("observation",),
    ("GET", "/api/v1/air/aqi/hourly"): ("air_hourly_aqi",),
    ("GET", "/api/v1/air/aqi/daily"): ("air_daily",),
    ("GET", "/api/v1/air/assessments"): ("air_period_stat", "air_category_days"),
    ("GET", "/api/v1/water/classes"): ("water_class_monthly", "water_class_annual"),
    ("GET", "/api/v1/trend"): ("trend_result",),
    ("GET", "/api/v1/hj212/devices/{mn}"): ("monitor_point",),
    ("GET", "/api/v1/hj212/emissions"): ("emission",),
    ("GET", "/api/v1/registry/sources"): ("source",),
    # The source row by a grant on `source`; each other part of the detail only by its own
    # resource's grant (``registry.search.source_detail``); records (不予共享) never by one.
    ("GET", "/api/v1/registry/sources/{code}"): (
        "source",
        "outlet",
        "permit",
        "monitor_point",
        "emission",
        "source_event",
    ),
    ("GET", "/ogc/collections/sources/items"): ("source",),
    ("GET", "/ogc/collections/sources/items/{feature_id}"): ("source",),
    ("GET", "/ogc/collections/outlets/items"): ("outlet",),
    ("GET", "/ogc/collections/outlets/items/{feature_id}"): ("outlet",),
}
