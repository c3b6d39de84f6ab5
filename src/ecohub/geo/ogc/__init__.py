"""OGC API - Features over the store: Part 1 Core + GeoJSON, Part 3 CQL2 filters.

Plain-data service functions, one module per part of the standard: :mod:`.landing` (landing
page, conformance), :mod:`.collections` (collections, queryables), :mod:`.features` (items),
:mod:`.cql2` (filters to SQL). The router in :mod:`ecohub.api.routers.ogc` only translates.
"""

from ecohub.geo.ogc.collections import COLLECTIONS, collection, collections, queryables
from ecohub.geo.ogc.errors import OgcBadRequest
from ecohub.geo.ogc.features import item, items
from ecohub.geo.ogc.landing import CONFORMANCE, conformance, landing

__all__ = [
    "COLLECTIONS",
    "CONFORMANCE",
    "OgcBadRequest",
    "collection",
    "collections",
    "conformance",
    "item",
    "items",
    "landing",
    "queryables",
]
