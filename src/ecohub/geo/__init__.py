"""Regions: division boundaries, key regions, user regions, and query by any region.

Service functions take a DuckDB connection (and, for data, a :class:`ecohub.access.Principal`
whose scope applies inside any region asked for) and return plain data.
"""

from ecohub.geo.aggregate import (
    air_summary,
    emission_totals,
    observation_means,
    source_counts,
    water_classes,
)
from ecohub.geo.assign import CountyIndex, assign_counties
from ecohub.geo.errors import GeoError, UnknownRegion
from ecohub.geo.query import outlets_in, region_feature, sources_in, stations_in
from ecohub.geo.resolve import Area, ensure_regions, resolve
from ecohub.geo.service import NoCounty, county_at, inside, regions, summary
from ecohub.geo.userregions import list_regions, load_region

__all__ = [
    "Area",
    "CountyIndex",
    "GeoError",
    "NoCounty",
    "UnknownRegion",
    "air_summary",
    "assign_counties",
    "county_at",
    "emission_totals",
    "ensure_regions",
    "inside",
    "list_regions",
    "load_region",
    "observation_means",
    "outlets_in",
    "region_feature",
    "regions",
    "resolve",
    "source_counts",
    "sources_in",
    "stations_in",
    "summary",
    "water_classes",
]
