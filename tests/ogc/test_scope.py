"""Scope: sources, outlets and regions follow the caller's region and own sources; an item
outside the scope answers exactly as an unknown one (404); the station list is open data."""

from __future__ import annotations

from typing import Any

import pytest

from tests.ogc.conftest import CY1, CY2, HD1, INSIDE, NOPT, OUTSIDE, Ogc, ids


def _items(ogc: Ogc, collection: str, who: str | None, **params: Any) -> Any:
    return ogc.client(who).get(f"/ogc/collections/{collection}/items", params=params)


def test_sources_and_outlets_follow_region_and_own_sources(ogc: Ogc) -> None:
    # conftest: CY1, CY2, NOPT in Chaoyang; HD1 in Haidian; the enterprise owns CY1 only.
    expect = {
        "admin": ([CY1, CY2, NOPT, HD1], [f"{CY1}.DA001", f"{CY1}.DW001", f"{HD1}.DA001"]),
        "analyst": ([CY1, CY2, NOPT], [f"{CY1}.DA001", f"{CY1}.DW001"]),
        "enterprise": ([CY1], [f"{CY1}.DA001", f"{CY1}.DW001"]),
        "inspector_hd": ([HD1], [f"{HD1}.DA001"]),
    }
    for who, (sources, outlets) in expect.items():
        r = _items(ogc, "sources", who, limit=100)
        # Which sources (their order is the page order's, tested in test_wide_pages).
        assert r.status_code == 200 and sorted(ids(r.json())) == sorted(sources), (who, r.text)
        r = _items(ogc, "outlets", who, limit=100)
        assert r.status_code == 200 and ids(r.json()) == outlets, (who, r.text)


def test_a_filter_cannot_reach_past_the_scope(ogc: Ogc) -> None:
    r = _items(ogc, "sources", "analyst", filter=f"source_code = '{HD1}' OR TRUE", limit=100)
    assert r.status_code == 200 and HD1 not in ids(r.json())
    r = _items(ogc, "sources", "analyst", bbox="116.2,39.9,116.35,40.0")  # Haidian's corner
    assert ids(r.json()) == []


@pytest.mark.parametrize(
    ("who", "collection", "outside", "unknown"),
    [
        ("analyst", "sources", HD1, "H9110105000000001x009P"),
        ("enterprise", "sources", CY2, "H9110105000000001x009P"),
        ("analyst", "outlets", f"{HD1}.DA001", f"{CY1}.DA009"),
        ("analyst", "regions", OUTSIDE, "119999"),
        ("inspector_hd", "regions", INSIDE, "119999"),
    ],
)
def test_out_of_scope_items_answer_as_unknown_ones(
    ogc: Ogc, who: str, collection: str, outside: str, unknown: str
) -> None:
    c = ogc.client(who)
    out = c.get(f"/ogc/collections/{collection}/items/{outside}")
    nope = c.get(f"/ogc/collections/{collection}/items/{unknown}")
    assert out.status_code == nope.status_code == 404
    strip = lambda b: {k: v for k, v in b.items() if k != "detail"}  # noqa: E731
    assert strip(out.json()) == strip(nope.json())
    # and the admin does see it
    assert (
        ogc.client("admin").get(f"/ogc/collections/{collection}/items/{outside}").status_code == 200
    )


def test_regions_follow_the_region_scope(ogc: Ogc) -> None:
    r = _items(ogc, "regions", "analyst", limit=100)
    assert r.status_code == 200 and ids(r.json()) == [INSIDE]
    r = _items(ogc, "regions", "inspector_hd", limit=100)
    assert ids(r.json()) == [OUTSIDE]
    r = ogc.client("analyst").get(f"/ogc/collections/regions/items/{INSIDE}")
    assert r.status_code == 200 and r.json()["geometry"]["type"] in ("Polygon", "MultiPolygon")


def test_a_key_region_scope_sees_its_own_boundary(ogc: Ogc) -> None:
    # 汾渭平原's code is no division's: its own item was a 404 to the analyst working in it.
    r = ogc.client("fenwei").get("/ogc/collections/regions/items/fenwei")
    assert r.status_code == 200, r.text
    assert r.json()["properties"]["kind"] == "key_region"
    listed = ids(_items(ogc, "regions", "fenwei", limit=1000).json())
    assert "fenwei" in listed and "610100" in listed  # Xi'an, one of its cities
    assert INSIDE not in listed and "jjj-2+26" not in listed  # Beijing, another key region
    # and nobody else gains it
    assert ogc.client("analyst").get("/ogc/collections/regions/items/fenwei").status_code == 404


def test_who_may_read_what(ogc: Ogc) -> None:
    anon = ogc.client()
    assert _items(ogc, "stations", None).status_code == 200
    assert anon.get("/ogc/collections/stations/items/Aotizhongxin").status_code == 200
    for collection in ("sources", "outlets", "regions"):
        r = _items(ogc, collection, None)
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    bad = ogc.client().get(
        "/ogc/collections/stations/items", headers={"Authorization": "Bearer ehk_wrong"}
    )
    assert bad.status_code == 401  # a broken key is told, even on open data
