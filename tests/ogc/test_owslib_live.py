"""An OGC client against the live server: OWSLib's ``Features`` reads the landing page,
conformance, collections, queryables, items (with bbox, limit and a CQL2 filter) and single
items from a real uvicorn on 127.0.0.1 (port 0) over a temporary store with the sample's
stations, the real boundaries and conftest's sources."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.loopback import on_loopback
from tests.ogc.conftest import CY1, INSIDE, open_app, sample_stations

pytestmark = pytest.mark.e2e


@pytest.fixture
def live(ogc_store: Path, tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    from tests.ogc.conftest import _keys

    app, con = open_app(ogc_store, tmp_path)
    with on_loopback(app) as base:
        yield f"{base}/ogc", _keys(ogc_store)
    app.state.ctx.jobs.shutdown()
    con.close()


@pytest.fixture
def owslib_headers() -> Iterator[None]:
    # OWSLib updates one module-level header dict for every client: restore it afterwards.
    from owslib import ogcapi

    saved = dict(ogcapi.REQUEST_HEADERS)
    yield
    ogcapi.REQUEST_HEADERS.clear()
    ogcapi.REQUEST_HEADERS.update(saved)


def test_owslib_reads_the_live_service(
    live: tuple[str, dict[str, str]], owslib_headers: None
) -> None:
    from owslib.ogcapi.features import Features

    url, keys = live
    w = Features(url)
    assert w.links and any(link["rel"] == "conformance" for link in w.links)
    assert (
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core"
        in (w.conformance()["conformsTo"])
    )
    assert w.feature_collections() == ["stations", "sources", "outlets", "regions"]
    assert w.collection("stations")["id"] == "stations"
    assert "station_id" in w.collection_queryables("stations")["properties"]

    rows = {s["station"]: s for s in sample_stations()}
    page = w.collection_items("stations", limit=3)
    assert page["type"] == "FeatureCollection" and page["numberReturned"] == 3
    assert [f["id"] for f in page["features"]] == sorted(rows)[:3]
    box = [116.30, 39.90, 116.45, 40.00]
    want = sorted(
        k for k, s in rows.items()
        if box[0] <= float(s["lon"]) <= box[2] and box[1] <= float(s["lat"]) <= box[3]
    )  # fmt: skip
    got = w.collection_items("stations", bbox=box, limit=100)
    assert [f["id"] for f in got["features"]] == want
    filtered = w.collection_items("stations", filter="region_code = '110105'", limit=100)
    assert [f["id"] for f in filtered["features"]] == sorted(
        k for k, s in rows.items() if s["district_code"] == INSIDE
    )
    one = w.collection_item("stations", "Dingling")
    assert one["geometry"]["coordinates"] == [float(rows["Dingling"]["lon"]),
                                              float(rows["Dingling"]["lat"])]  # fmt: skip
    with pytest.raises(RuntimeError):  # sources need a log-in: OWSLib raises on the 401
        w.collection_items("sources")

    owner = Features(url, headers={"Authorization": f"Bearer {keys['enterprise']}"})
    mine = owner.collection_items("sources", limit=100)
    assert [f["id"] for f in mine["features"]] == [CY1]
    region = owner.collection_item("regions", INSIDE)
    assert region["id"] == INSIDE and region["geometry"]["type"] in ("Polygon", "MultiPolygon")


def test_the_first_pages_arriving_together_all_answer(live: tuple[str, dict[str, str]]) -> None:
    """DuckDB spatial is loaded on the first page that needs it; pages that arrive at the same
    moment must not use the store's connection together (that gave a 500)."""
    import urllib.request
    from concurrent.futures import ThreadPoolExecutor

    url, keys = live
    req = urllib.request.Request(
        f"{url}/collections/regions/items?bbox=116.0,39.6,116.8,40.2&limit=5",
        headers={"Authorization": f"Bearer {keys['admin']}"},
    )
    start = threading.Barrier(16)

    def get(_: int) -> int:
        start.wait()
        with urllib.request.urlopen(req, timeout=60) as r:
            return int(r.status)

    with ThreadPoolExecutor(16) as pool:
        assert list(pool.map(get, range(16))) == [200] * 16
