"""OGC API - Features Part 1 Core + GeoJSON: landing page, conformance, collections, items,
paging links, bbox, datetime and single items. Expected values come from the sample's station
file (read with csv) and the hand-placed rows in conftest, never from the service."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.ogc.conftest import (
    CY1,
    CY2,
    HD1,
    INSIDE,
    NOPT,
    OUTLETS,
    SOURCES,
    Ogc,
    ids,
    sample_stations,
)

F1 = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf"


def _rel(links: list[dict[str, str]], rel: str) -> dict[str, str]:
    found = [link for link in links if link["rel"] == rel]
    assert len(found) == 1, (rel, links)
    return found[0]


def test_landing_page_links_to_definition_conformance_and_data(ogc: Ogc) -> None:
    for path in ("/ogc", "/ogc/"):
        r = ogc.client().get(path)
        assert r.status_code == 200 and r.headers["content-type"] == "application/json"
        links = r.json()["links"]
        assert urlsplit(_rel(links, "conformance")["href"]).path == "/ogc/conformance"
        assert urlsplit(_rel(links, "data")["href"]).path == "/ogc/collections"
        assert urlsplit(_rel(links, "service-desc")["href"]).path == "/api/v1/openapi.json"
        assert _rel(links, "self")["type"] == "application/json"


def test_conformance_declares_core_geojson_and_filter_but_not_html(ogc: Ogc) -> None:
    body = ogc.client().get("/ogc/conformance").json()
    classes = set(body["conformsTo"])
    assert {f"{F1}/core", f"{F1}/geojson"} <= classes
    assert "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter" in classes
    assert "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text" in classes
    assert f"{F1}/html" not in classes and f"{F1}/oas30" not in classes


def test_collections_list_the_four_with_items_links(ogc: Ogc) -> None:
    body = ogc.client().get("/ogc/collections").json()
    assert [c["id"] for c in body["collections"]] == ["stations", "sources", "outlets", "regions"]
    for c in body["collections"]:
        assert c["itemType"] == "feature"
        items = _rel(c["links"], "items")
        assert items["type"] == "application/geo+json"
        assert urlsplit(items["href"]).path == f"/ogc/collections/{c['id']}/items"
        x0, y0, x1, y1 = c["extent"]["spatial"]["bbox"][0]
        # China's divisions reach from the Pamirs (~73.5 E) to the Wusuli (~135 E).
        assert 73 < x0 < 74 and 134 < x1 < 136 and 3 < y0 < 19 and 53 < y1 < 54
    one = ogc.client().get("/ogc/collections/regions")
    assert one.status_code == 200 and one.json()["id"] == "regions"
    assert ogc.client().get("/ogc/collections/nope").status_code == 404


def test_station_items_are_open_geojson_points_at_the_files_coordinates(ogc: Ogc) -> None:
    r = ogc.client().get("/ogc/collections/stations/items", params={"limit": 100})
    assert r.status_code == 200 and r.headers["content-type"] == "application/geo+json"
    body = r.json()
    assert body["type"] == "FeatureCollection"
    rows = {s["station"]: s for s in sample_stations()}
    assert ids(body) == sorted(rows) and body["numberReturned"] == 12
    assert body["numberMatched"] == 12  # the whole result fits: the count is free
    for f in body["features"]:
        want = rows[f["id"]]
        assert f["geometry"] == {
            "type": "Point",
            "coordinates": [float(want["lon"]), float(want["lat"])],
        }
        assert f["properties"]["region_code"] == want["district_code"]
        assert f["properties"]["name"] == want["name_zh"]


def test_next_links_walk_every_station_once_and_count_only_at_the_end(ogc: Ogc) -> None:
    c = ogc.client()
    url: str | None = "/ogc/collections/stations/items?limit=5"
    seen: list[str] = []
    pages = []
    while url:
        body = c.get(url).json()
        seen += ids(body)
        pages.append(body)
        nxt = [link for link in body["links"] if link["rel"] == "next"]
        assert all(link["type"] == "application/geo+json" for link in nxt)
        url = nxt[0]["href"] if nxt else None
    assert seen == sorted(s["station"] for s in sample_stations())
    assert [p["numberReturned"] for p in pages] == [5, 5, 2]
    assert ["numberMatched" in p for p in pages] == [False, False, True]
    assert pages[-1]["numberMatched"] == 12
    assert any(link["rel"] == "prev" for link in pages[1]["links"])


def test_limit_above_the_maximum_is_served_as_the_maximum(ogc: Ogc) -> None:
    for limit in (10**9, 10**12, 10**40):  # any size (13 digits and more were refused)
        r = ogc.client().get("/ogc/collections/stations/items", params={"limit": limit})
        assert r.status_code == 200 and r.json()["numberReturned"] == 12
        assert "limit=10000" in _rel(r.json()["links"], "self")["href"]


def test_bbox_selects_the_stations_inside_the_box(ogc: Ogc) -> None:
    box = (116.30, 39.90, 116.45, 40.00)
    want = sorted(
        s["station"]
        for s in sample_stations()
        if box[0] <= float(s["lon"]) <= box[2] and box[1] <= float(s["lat"]) <= box[3]
    )
    assert want  # the box is chosen to hold some stations, not all
    r = ogc.client().get(
        "/ogc/collections/stations/items", params={"bbox": ",".join(map(str, box))}
    )
    assert r.status_code == 200 and ids(r.json()) == want and len(want) < 12


def test_single_items_and_unknown_ones(ogc: Ogc) -> None:
    c = ogc.client()
    r = c.get("/ogc/collections/stations/items/Aotizhongxin")
    assert r.status_code == 200 and r.headers["content-type"] == "application/geo+json"
    f = r.json()
    assert f["type"] == "Feature" and f["id"] == "Aotizhongxin"
    assert f["geometry"]["coordinates"] == [116.397, 39.982]  # stations.csv
    assert urlsplit(_rel(f["links"], "collection")["href"]).path == "/ogc/collections/stations"
    missing = c.get("/ogc/collections/stations/items/NoSuch")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert c.get("/ogc/collections/nope/items").status_code == 404
    assert c.get("/ogc/collections/nope/items/x").status_code == 404


def test_region_item_is_the_county_boundary(ogc: Ogc) -> None:
    r = ogc.client("admin").get(f"/ogc/collections/regions/items/{INSIDE}")
    assert r.status_code == 200
    f = r.json()
    assert f["id"] == INSIDE and f["properties"]["name"] == "朝阳区"
    assert f["geometry"]["type"] in ("Polygon", "MultiPolygon")
    # Chaoyang lies east of the Forbidden City (116.397 E, 39.916 N), within ~116.3-116.7 E.
    import shapely
    from shapely.geometry import shape

    g = shape(f["geometry"])
    x0, y0, x1, y1 = g.bounds
    assert 116.3 < x0 < x1 < 116.7 and 39.8 < y0 < y1 < 40.2
    assert g.intersects(shapely.Point(116.397, 39.982))  # Aotizhongxin station, in Chaoyang


def test_datetime_on_sources_intersects_the_validity(ogc: Ogc) -> None:
    c = ogc.client("admin")
    # 2018: CY2 (2015-2019) and the two without a start (open) are valid; CY1 starts 2020.
    # (Which sources; their order is the page order's, tested in test_wide_pages.)
    r = c.get("/ogc/collections/sources/items", params={"datetime": "2018-06-01T00:00:00Z"})
    assert r.status_code == 200 and sorted(ids(r.json())) == sorted([CY2, NOPT, HD1])
    # RFC 3339 5.6 NOTE: 't' and 'z' in lower case are the same instant; forms outside RFC 3339
    # (a space for T, the basic format) are not.
    r = c.get("/ogc/collections/sources/items", params={"datetime": "2018-06-01t08:00:00+08:00"})
    assert r.status_code == 200 and sorted(ids(r.json())) == sorted([CY2, NOPT, HD1])
    r = c.get("/ogc/collections/sources/items", params={"datetime": "2018-06-01t00:00:00z"})
    assert r.status_code == 200, r.text
    for bad in ("2018-06-01 00:00:00Z", "20180601T000000Z", "2018-06-01T00:00Z"):
        r = c.get("/ogc/collections/sources/items", params={"datetime": bad})
        assert r.status_code == 400 and r.json()["errors"][0]["field"] == "datetime", bad
    r = c.get("/ogc/collections/sources/items", params={"datetime": "2021-01-01/.."})
    assert sorted(ids(r.json())) == sorted([CY1, NOPT, HD1])
    r = c.get("/ogc/collections/sources/items", params={"datetime": "../2015-06-01"})
    assert sorted(ids(r.json())) == sorted([CY2, NOPT, HD1])
    assert len(SOURCES) == 4


def test_outlet_without_a_point_stands_at_its_source(ogc: Ogc) -> None:
    r = ogc.client("admin").get(f"/ogc/collections/outlets/items/{CY1}.DW001")
    assert r.status_code == 200
    assert r.json()["geometry"]["coordinates"] == [116.40, 39.98]  # CY1's point


@pytest.mark.parametrize(
    "box",
    [
        # A small box in Chaoyang's north-east: inside Chaoyang only, yet inside the bounding
        # box of several neighbours (Shunyi, Tongzhou) whose boundaries do not reach it.
        (116.60, 39.95, 116.61, 39.96),
        # Central Beijing: whole districts inside it (their own boxes too, so the exact test is
        # skipped for them) and districts it only cuts.
        (116.0, 39.6, 116.8, 40.2),
    ],
)
def test_region_bbox_is_the_exact_intersection(
    ogc: Ogc, box: tuple[float, float, float, float]
) -> None:
    import shapely

    r = ogc.client("admin").get(
        "/ogc/collections/regions/items",
        params={"bbox": ",".join(map(str, box)), "filter": "level = 'county'", "limit": 100},
    )
    assert r.status_code == 200, r.text
    got = ids(r.json())
    c = ogc.con.cursor()
    rows = c.execute(
        "SELECT code, geom_wkb FROM region WHERE level = 'county' AND xmin <= ? AND xmax >= ? "
        "AND ymin <= ? AND ymax >= ?",
        [box[2], box[0], box[3], box[1]],
    ).fetchall()
    c.close()
    # Independent test with shapely on the stored WKB.
    want = sorted(
        code for code, wkb in rows if shapely.from_wkb(bytes(wkb)).intersects(shapely.box(*box))
    )
    assert got == want and len(rows) >= len(want)
    if box[2] - box[0] > 0.5:  # the larger box: some counties lie wholly inside it
        inside = [
            code for code, wkb in rows if shapely.box(*box).contains(shapely.from_wkb(bytes(wkb)))
        ]
        assert inside and set(inside) < set(want)


def test_next_links_are_keyset_links_and_after_pages_like_offset(ogc: Ogc) -> None:
    c = ogc.client()
    want = sorted(s["station"] for s in sample_stations())
    body = c.get("/ogc/collections/stations/items", params={"limit": 5}).json()
    nxt = urlsplit(_rel(body["links"], "next")["href"]).query
    assert f"after={want[4]}" in nxt and "offset=5" in nxt
    # after: the rows with a larger id, whatever the offset (which then only numbers the page).
    page = c.get(
        "/ogc/collections/stations/items", params={"limit": 5, "after": want[4], "offset": 5}
    ).json()
    assert ids(page) == want[5:10]
    last = c.get(
        "/ogc/collections/stations/items", params={"limit": 5, "after": want[9], "offset": 10}
    ).json()
    assert ids(last) == want[10:] and last["numberMatched"] == 12
    # A client's own `after` without `offset`: the page starts after it, and nobody knows how
    # many items precede it, so the last page gives no numberMatched (12 stations, not 2).
    own = c.get("/ogc/collections/stations/items", params={"limit": 5, "after": want[9]}).json()
    assert ids(own) == want[10:] and "numberMatched" not in own
    # filter-lang without a filter: accepted for either encoding; an unknown one is named.
    for lang in ("cql2-text", "cql2-json"):
        r = c.get("/ogc/collections/stations/items", params={"limit": 1, "filter-lang": lang})
        assert r.status_code == 200, r.text
    r = c.get("/ogc/collections/stations/items", params={"filter-lang": "ecql"})
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "filter-lang"
    # An id between two stored ids works too (rows strictly after it).
    assert (
        ids(c.get("/ogc/collections/stations/items", params={"after": want[0] + "~"}).json())[0]
        == want[1]
    )


def test_after_with_a_two_column_key_and_bad_after(ogc: Ogc) -> None:
    c = ogc.client("admin")
    all_ids = ids(c.get("/ogc/collections/outlets/items").json())
    assert all_ids == sorted(f"{s}.{o}" for s, o, *_ in OUTLETS)
    got = ids(c.get("/ogc/collections/outlets/items", params={"after": all_ids[0]}).json())
    assert got == all_ids[1:]
    for bad in ("no-dot", "a" * 201, ""):
        r = c.get("/ogc/collections/outlets/items", params={"after": bad})
        assert r.status_code == 400 and r.json()["errors"][0]["field"] == "after"


@pytest.mark.parametrize(
    "box",
    [
        (116.0, 39.6, 116.8, 40.2),  # Beijing's centre: districts inside, larger regions across
        (170.0, 35.0, 75.0, 42.0),  # across the antimeridian: China's western edge only
    ],
)
def test_region_box_pages_walk_the_exact_intersection_in_code_order(
    ogc: Ogc, box: tuple[float, float, float, float]
) -> None:
    """Every level, small pages: regions whose boundary meets the box (tested against Shapely
    on the stored WKB), each once and in code order through offsets and next links, a box
    across the antimeridian included."""
    import shapely

    parts = (
        [box]
        if box[0] <= box[2]
        else [(box[0], box[1], 180, box[3]), (-180, box[1], box[2], box[3])]
    )
    c = ogc.con.cursor()
    rows = c.execute("SELECT code, geom_wkb FROM region WHERE geom_wkb IS NOT NULL").fetchall()
    c.close()
    want = sorted(
        code
        for code, wkb in rows
        if any(shapely.from_wkb(bytes(wkb)).intersects(shapely.box(*p)) for p in parts)
    )
    assert len(want) > 3
    client = ogc.client("admin")
    params: dict[str, Any] = {"bbox": ",".join(map(str, box)), "limit": 3}
    walked: list[str] = []
    while True:
        body = client.get("/ogc/collections/regions/items", params=params).json()
        walked += ids(body)
        nxt = [link for link in body["links"] if link["rel"] == "next"]
        if not nxt:
            break
        params = {"bbox": params["bbox"], "limit": 3, "after": walked[-1], "offset": len(walked)}
    assert walked == want
    page = client.get(
        "/ogc/collections/regions/items", params={"bbox": params["bbox"], "limit": 2, "offset": 3}
    ).json()
    assert ids(page) == want[3:5]
