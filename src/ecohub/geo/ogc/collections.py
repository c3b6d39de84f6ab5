"""The four feature collections as data: where their rows come from, which properties they
publish (the queryables whitelist), how their geometry is made and how a caller's scope applies.

Only the names in :attr:`Collection.props` ever reach SQL as identifiers (from this module, never
from the request); a filter on any other name is refused (400).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import duckdb

from ecohub.queries import NotFound

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
PropType = Literal["string", "number", "integer", "boolean", "timestamp"]


@dataclass(frozen=True)
class Prop:
    """A published property: its name, JSON type, title, and its column in the collection's FROM."""

    name: str
    type: PropType
    title: str
    column: str = ""

    @property
    def sql(self) -> str:
        return self.column or self.name


@dataclass(frozen=True)
class Collection:
    """One feature collection. ``geometry`` is ``point`` (from ``lon``/``lat``) or ``wkb`` (the
    region table's ``geom_wkb`` with its ``xmin..ymax`` box); ``key`` columns make the item id
    (joined by ``.``); ``temporal`` names the (start, end) columns ``datetime`` is tested on."""

    id: str
    title: str
    description: str
    source: str
    key: tuple[str, ...]
    props: tuple[Prop, ...]
    geometry: Literal["point", "wkb"]
    geometry_type: str
    region_col: str | None
    source_col: str | None = None
    open: bool = False
    temporal: tuple[str, str] | None = None
    #: A table of millions of rows (the registry): a page without a narrowing filter reads its
    #: keys first and its rows after (``pages.PageQuery.fetch``; needs ``order``); not worth it
    #: on small tables.
    large: bool = False
    #: The column the pages are ordered by when it is not the item id: a unique, non-null UBIGINT
    #: column of ``source`` (``after`` then names an item, whose place is looked up in the
    #: caller's scope). ``sources``: ``hkey``, their place along the storage order's Hilbert
    #: curve (:mod:`ecohub.geo.storage`).
    order: str | None = None

    @property
    def id_sql(self) -> str:
        """The item id as SQL (the key column itself for a one-column key, so its index
        serves)."""
        return " || '.' || ".join(self.key) if len(self.key) > 1 else self.key[0]

    def prop(self, name: str) -> Prop | None:
        for p in self.props:
            if p.name == name:
                return p
        return None


_S, _N = "string", "number"

COLLECTIONS: dict[str, Collection] = {
    c.id: c
    for c in (
        Collection(
            id="stations",
            title="Monitoring stations",
            description="Air and surface-water monitoring stations (open data).",
            source="station",
            key=("station_id",),
            props=(
                Prop("station_id", "string", "station id"),
                Prop("name", "string", "name"),
                Prop("name_en", "string", "name (English)"),
                Prop("network", "string", "network (air | water)"),
                Prop("region_code", "string", "GB/T 2260 division code"),
                Prop("basin", "string", "river basin"),
                Prop("waterbody", "string", "river | lake"),
            ),
            geometry="point",
            geometry_type="Point",
            region_col="region_code",
            open=True,
        ),
        Collection(
            id="sources",
            title="Pollution sources",
            description="Registry sources (one code per enterprise site), within your scope.",
            source="source",
            key=("source_code",),
            props=(
                Prop("source_code", "string", "source code"),
                Prop("uscc", "string", "unified social credit code"),
                Prop("name", "string", "name"),
                Prop("address", "string", "address"),
                Prop("region_code", "string", "GB/T 2260 division code"),
                Prop("industry", "string", "industry (GB/T 4754)"),
                Prop("status", "string", "status"),
                Prop("valid_from", "timestamp", "valid from"),
                Prop("valid_to", "timestamp", "valid to"),
            ),
            geometry="point",
            geometry_type="Point",
            region_col="region_code",
            source_col="source_code",
            temporal=("valid_from", "valid_to"),
            large=True,
            order="hkey",
        ),
        Collection(
            id="outlets",
            title="Outlets",
            description="Air and water outlets of the registry sources, within your scope; "
            "an outlet without its own point stands at its source's. "
            "Item id: source_code.outlet_code.",
            # An outlet's region is its source's.
            source="(SELECT o.source_code, o.outlet_code, o.medium, o.name, s.region_code, "
            "coalesce(o.lon, s.lon) AS lon, coalesce(o.lat, s.lat) AS lat "
            "FROM outlet o LEFT JOIN source s USING (source_code))",
            key=("source_code", "outlet_code"),
            props=(
                Prop("source_code", "string", "source code"),
                Prop("outlet_code", "string", "outlet code within the source"),
                Prop("medium", "string", "gas | water"),
                Prop("name", "string", "name"),
                Prop("region_code", "string", "GB/T 2260 division code (the source's)"),
            ),
            geometry="point",
            geometry_type="Point",
            region_col="region_code",
            source_col="source_code",
        ),
        Collection(
            id="regions",
            title="Regions",
            description="Province, prefecture and county boundaries (GB/T 2260 codes), key "
            "regions and loaded regions, within your scope. Item id: the region code.",
            source="region",
            key=("code",),
            props=(
                Prop("code", "string", "region code"),
                Prop("name", "string", "name"),
                Prop("name_en", "string", "name (English)"),
                Prop("level", "string", "province | prefecture | county | key_region | ..."),
                Prop("parent_code", "string", "parent division code"),
                Prop("kind", "string", "division | key_region | basin | custom"),
            ),
            geometry="wkb",
            geometry_type="MultiPolygon",
            region_col="code",
        ),
    )
}


def get(collection_id: str) -> Collection:
    """The collection, or :class:`NotFound` (404)."""
    c = COLLECTIONS.get(collection_id)
    if c is None:
        raise NotFound("collection", collection_id)
    return c


def _links(base: str, c: Collection) -> list[dict[str, str]]:
    url = f"{base}/collections/{c.id}"
    return [
        {"href": url, "rel": "self", "type": "application/json", "title": c.title},
        {"href": f"{url}/items", "rel": "items", "type": "application/geo+json", "title": "items"},
        {
            "href": f"{url}/queryables",
            "rel": "http://www.opengis.net/def/rel/ogc/1.0/queryables",
            "type": "application/schema+json",
            "title": "queryables",
        },
    ]


def china_extent(con: duckdb.DuckDBPyConnection) -> list[float] | None:
    """The box of every stored division boundary (cheap: one row per region), or None."""
    row = con.execute(
        "SELECT min(xmin), min(ymin), max(xmax), max(ymax) FROM region WHERE kind = 'division'"
    ).fetchone()
    if row is None or row[0] is None:
        return None
    return [round(float(v), 6) for v in row]


def describe(base: str, c: Collection, extent: list[float] | None) -> dict[str, Any]:
    """The collection document (OGC API - Features Part 1, 7.14)."""
    out: dict[str, Any] = {
        "id": c.id,
        "title": c.title,
        "description": c.description,
        "itemType": "feature",
        "crs": [CRS84],
        "links": _links(base, c),
    }
    if extent is not None:
        # The box the service covers (China's divisions), not a per-caller scan of the rows.
        out["extent"] = {"spatial": {"bbox": [extent], "crs": CRS84}}
    return out


def collections(con: duckdb.DuckDBPyConnection, base: str) -> dict[str, Any]:
    """``/collections``: every collection with its links."""
    extent = china_extent(con)
    return {
        "links": [
            {"href": f"{base}/collections", "rel": "self", "type": "application/json"},
        ],
        "collections": [describe(base, c, extent) for c in COLLECTIONS.values()],
    }


def collection(con: duckdb.DuckDBPyConnection, base: str, collection_id: str) -> dict[str, Any]:
    """``/collections/{collectionId}`` (404 when unknown)."""
    return describe(base, get(collection_id), china_extent(con))


_JSON_TYPES = {"timestamp": {"type": "string", "format": "date-time"}}


def queryables(base: str, collection_id: str) -> dict[str, Any]:
    """``/collections/{collectionId}/queryables``: the filterable properties as JSON Schema
    (OGC API - Features Part 3, 6.2); ``geometry`` is the feature geometry for S_INTERSECTS."""
    c = get(collection_id)
    props: dict[str, Any] = {
        p.name: {"title": p.title, **_JSON_TYPES.get(p.type, {"type": p.type})} for p in c.props
    }
    props["geometry"] = {
        "title": "geometry",
        "format": "geometry-point" if c.geometry == "point" else "geometry-multipolygon",
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{base}/collections/{c.id}/queryables",
        "type": "object",
        "title": c.title,
        "properties": props,
        "additionalProperties": False,
    }
