"""The landing page and the conformance declaration (OGC API - Features Part 1, 7.2 and 7.4).

Conformance lists only what the service does: Part 1 Core and GeoJSON (no HTML, no OpenAPI 3.0
class: the API description is OpenAPI 3.1), Part 3 filtering with queryables, and the CQL2
classes the translator in :mod:`ecohub.geo.ogc.cql2` implements.
"""

from __future__ import annotations

from typing import Any

F1 = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf"
F3 = "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf"
CQL2 = "http://www.opengis.net/spec/cql2/1.0/conf"

CONFORMANCE: tuple[str, ...] = (
    f"{F1}/core",
    f"{F1}/geojson",
    f"{F3}/filter",
    f"{F3}/features-filter",
    f"{F3}/queryables",
    f"{CQL2}/cql2-text",
    f"{CQL2}/cql2-json",
    f"{CQL2}/basic-cql2",
    f"{CQL2}/advanced-comparison-operators",
    f"{CQL2}/basic-spatial-functions",
    f"{CQL2}/basic-spatial-functions-plus",
)


def landing(base: str, api_root: str) -> dict[str, Any]:
    """``/ogc``: title and the links to the API description, conformance and collections."""
    return {
        "title": "ecohub OGC API - Features",
        "description": "Stations (open data), registry sources, outlets and regions as "
        "GeoJSON features in CRS84, with CQL2 filters.",
        "links": [
            {"href": base, "rel": "self", "type": "application/json", "title": "this document"},
            {
                "href": f"{api_root}/api/v1/openapi.json",
                "rel": "service-desc",
                "type": "application/vnd.oai.openapi+json;version=3.1",
                "title": "the API definition",
            },
            {
                "href": f"{api_root}/api/v1/docs",
                "rel": "service-doc",
                "type": "text/html",
                "title": "the API documentation",
            },
            {
                "href": f"{base}/conformance",
                "rel": "conformance",
                "type": "application/json",
                "title": "conformance classes",
            },
            {
                "href": f"{base}/collections",
                "rel": "data",
                "type": "application/json",
                "title": "collections",
            },
        ],
    }


def conformance() -> dict[str, Any]:
    """``/conformance``: the conformance classes implemented."""
    return {"conformsTo": list(CONFORMANCE)}
