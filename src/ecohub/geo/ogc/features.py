"""Features of a collection as GeoJSON (OGC API - Features Part 1, 7.15-7.16).

A page's SQL is :mod:`ecohub.geo.ogc.pages`'s; here its rows become a FeatureCollection with
its links.

``numberMatched`` is given only when it costs nothing: on a page that reaches the end of the
result (then it is ``offset + numberReturned``); otherwise it is omitted rather than counted over
a collection that may hold millions of rows.

Next links are keyset links: ``after=<id of the page's last item>`` (the rows after it in the
page order: a larger id, or for ``sources`` a larger ``hkey``, which the link carries beside the
id: :func:`keyset.token`), so page 50 costs what page 1 costs; a deep ``offset`` has to read
and drop every earlier id. Beside ``after`` the link keeps ``offset`` as the position of the
page's first item: it then skips nothing and only numbers the page (for ``numberMatched`` on the
last page and the ``prev`` link, which is an offset link). A client may still ask any
``offset`` without ``after``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import duckdb
import orjson

from ecohub.access import Principal
from ecohub.geo.ogc import keyset
from ecohub.geo.ogc.collections import Collection, get
from ecohub.geo.ogc.marks import PageMarks
from ecohub.geo.ogc.pages import page_query, select_sql
from ecohub.geo.ogc.params import ITEM_PARAMS, check_params
from ecohub.geo.ogc.scope import scope_sql
from ecohub.geo.spatial import load_spatial
from ecohub.queries import NotFound


def _features(c: Collection, rows: list[tuple[Any, ...]], base: str) -> list[dict[str, Any]]:
    """GeoJSON Features of a page's rows (id, the properties in ``c.props`` order, then
    ``lon, lat`` or the GeoJSON text). What is the same for every row is worked out once: a
    page is 100 rows and this ran per row (211 -> 170 us a page, in process)."""
    n = len(c.props)
    names = [p.name for p in c.props]
    # Timestamps as RFC 3339 text; only the timestamp properties are looked at.
    times = [i for i, p in enumerate(c.props) if p.type == "timestamp"]
    point = c.geometry == "point"
    own = f"{base}/collections/{c.id}/items/"
    parent = f"{base}/collections/{c.id}"
    out = []
    for row in rows:
        props = dict(zip(names, row[1 : 1 + n], strict=True))
        for i in times:
            v = row[1 + i]
            if isinstance(v, datetime):
                props[names[i]] = v.isoformat()
        geometry: Any
        if point:
            lon, lat = row[1 + n], row[2 + n]
            geometry = (
                None if lon is None or lat is None else {"type": "Point", "coordinates": [lon, lat]}
            )
        else:
            raw = row[1 + n]
            # DuckDB's GeoJSON text goes into the answer as it is (not parsed and written again).
            geometry = None if raw is None else orjson.Fragment(raw)
        fid = str(row[0])
        out.append({
            "type": "Feature",
            "id": fid,
            "geometry": geometry,
            "properties": props,
            "links": [
                {"href": own + fid, "rel": "self", "type": "application/geo+json"},
                {"href": parent, "rel": "collection", "type": "application/json"},
            ],
        })  # fmt: skip
    return out


def items(
    con: duckdb.DuckDBPyConnection,
    p: Principal | None,
    base: str,
    collection_id: str,
    params: Mapping[str, str],
    *,
    spatial_ready: bool = False,
    marks: PageMarks | None = None,
) -> dict[str, Any]:
    """``/collections/{collectionId}/items``: one page as a GeoJSON FeatureCollection.

    ``p`` is the caller (ignored for an open collection); ``params`` are the raw query
    parameters (see :func:`page_query`); ``spatial_ready``: DuckDB spatial is loaded in
    ``con``'s database already; ``marks``: the server's rank marks of that database
    (:mod:`ecohub.geo.ogc.marks`), kept across requests. A region's geometry is an
    :class:`orjson.Fragment` (DuckDB's GeoJSON text, written as it is by :func:`orjson.dumps`).
    """
    q = page_query(p, collection_id, params)
    c, limit, offset = q.collection, q.limit, q.offset
    rows = q.fetch(con, spatial_ready=spatial_ready, marks=marks)
    more = len(rows) > limit
    feats = _features(c, rows[:limit], base)
    url = f"{base}/collections/{c.id}/items"
    keep = {k: v for k, v in params.items() if k not in ("limit", "offset", "after")}

    def link(rel: str, off: int, after: str | None = None) -> dict[str, str]:
        extra = {"after": after} if after is not None else {}
        q = urlencode({**keep, "limit": limit, "offset": off, **extra})
        return {"href": f"{url}?{q}", "rel": rel, "type": "application/geo+json"}

    links = [link("self", offset, params.get("after"))]
    if more:
        links.append(
            link("next", offset + limit, keyset.token(c, feats[-1]["id"], rows[limit - 1][-1]))
        )
    if offset > 0:
        links.append(link("prev", max(0, offset - limit)))
    links.append(
        {"href": f"{base}/collections/{c.id}", "rel": "collection", "type": "application/json"}
    )
    out: dict[str, Any] = {
        "type": "FeatureCollection",
        "timeStamp": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "numberReturned": len(feats),
    }
    # The last page numbers every match when its position is known: an `after` without
    # `offset` (a client's own) says where the page starts, not how many items precede it.
    placed = "after" not in params or "offset" in params
    if not more and placed and (feats or offset == 0):
        out["numberMatched"] = offset + len(feats)
    out["features"] = feats
    out["links"] = links
    return out


def item(
    con: duckdb.DuckDBPyConnection,
    p: Principal | None,
    base: str,
    collection_id: str,
    feature_id: str,
    params: Mapping[str, str],
    *,
    spatial_ready: bool = False,
) -> dict[str, Any]:
    """``/collections/{collectionId}/items/{featureId}``: one Feature; 404 when unknown or
    outside ``p``'s scope (the same answer). ``spatial_ready`` as for :func:`items`."""
    c = get(collection_id)
    check_params(params, ITEM_PARAMS)
    parts = feature_id.split(".") if len(c.key) > 1 else [feature_id]
    if len(parts) != len(c.key) or len(feature_id) > 200:
        raise NotFound(c.id, feature_id[:200])
    scope, args = scope_sql(c, p)
    if c.geometry == "wkb" and not spatial_ready:
        load_spatial(con)
    keys = " AND ".join(f"{k} = ?" for k in c.key)
    row = con.execute(f"{select_sql(c)} WHERE {keys} AND ({scope})", [*parts, *args]).fetchone()
    if row is None:
        raise NotFound(c.id, feature_id)
    return _features(c, [row], base)[0]
