"""Part 3 / CQL2: text and JSON filters, S_INTERSECTS, and bad filters answering 400 with the
reason. Expected sets are worked out here from the station file and conftest's rows."""

from __future__ import annotations

import json
from typing import Any

import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecohub.access.principal import SYSTEM
from ecohub.geo.ogc import OgcBadRequest, items
from tests.ogc.conftest import CY1, CY2, HD1, NOPT, Ogc, ids, sample_stations

ALL = sorted(s["station"] for s in sample_stations())
IN_CHAOYANG = sorted(s["station"] for s in sample_stations() if s["district_code"] == "110105")


def _get(ogc: Ogc, collection: str, who: str | None = None, **params: Any) -> Any:
    return ogc.client(who).get(f"/ogc/collections/{collection}/items", params=params)


@pytest.mark.parametrize(
    ("text", "as_json", "want"),
    [
        ("network = 'air'", {"op": "=", "args": [{"property": "network"}, "air"]}, ALL),
        (
            "region_code = '110105'",
            {"op": "=", "args": [{"property": "region_code"}, "110105"]},
            IN_CHAOYANG,
        ),
        (
            "region_code <> '110105'",
            {"op": "<>", "args": [{"property": "region_code"}, "110105"]},
            sorted(set(ALL) - set(IN_CHAOYANG)),
        ),
        (
            "station_id LIKE 'Gu%'",
            {"op": "like", "args": [{"property": "station_id"}, "Gu%"]},
            ["Guanyuan", "Gucheng"],
        ),
        (
            "station_id IN ('Dingling', 'Huairou', 'NoSuch')",
            {"op": "in", "args": [{"property": "station_id"}, ["Dingling", "Huairou", "NoSuch"]]},
            ["Dingling", "Huairou"],
        ),
        ("basin IS NULL", {"op": "isNull", "args": [{"property": "basin"}]}, ALL),
        (
            "NOT (station_id < 'H') AND station_id <= 'Shunyi'",
            {
                "op": "and",
                "args": [
                    {"op": "not", "args": [{"op": "<", "args": [{"property": "station_id"}, "H"]}]},
                    {"op": "<=", "args": [{"property": "station_id"}, "Shunyi"]},
                ],
            },
            ["Huairou", "Nongzhanguan", "Shunyi"],
        ),
        (
            "station_id > 'Wanliu' OR station_id >= 'Wanshouxigong'",
            {
                "op": "or",
                "args": [
                    {"op": ">", "args": [{"property": "station_id"}, "Wanliu"]},
                    {"op": ">=", "args": [{"property": "station_id"}, "Wanshouxigong"]},
                ],
            },
            ["Wanshouxigong"],
        ),
    ],
)
def test_text_and_json_filters_select_the_same_worked_out_stations(
    ogc: Ogc, text: str, as_json: dict[str, Any], want: list[str]
) -> None:
    assert {s["station"] for s in sample_stations()} >= set(want) - {"NoSuch"}
    r = _get(ogc, "stations", filter=text, limit=100)
    assert r.status_code == 200, r.text
    assert ids(r.json()) == want
    r = _get(ogc, "stations", filter=json.dumps(as_json), limit=100, **{"filter-lang": "cql2-json"})
    assert r.status_code == 200, r.text
    assert ids(r.json()) == want


def test_s_intersects_polygon_point_bbox_and_multipolygon(ogc: Ogc) -> None:
    ring = [(116.30, 39.90), (116.45, 39.90), (116.45, 40.00), (116.30, 40.00), (116.30, 39.90)]
    poly = shapely.Polygon(ring)
    want = sorted(
        s["station"]
        for s in sample_stations()
        if poly.intersects(shapely.Point(float(s["lon"]), float(s["lat"])))
    )
    assert 0 < len(want) < len(ALL)
    wkt = "POLYGON((" + ",".join(f"{x} {y}" for x, y in ring) + "))"
    for f in (
        f"S_INTERSECTS(geometry, {wkt})",
        f"S_INTERSECTS(geometry, MULTI{wkt.replace('((', '(((').replace('))', ')))')})",
        "S_INTERSECTS(geometry, BBOX(116.30, 39.90, 116.45, 40.00))",
    ):
        r = _get(ogc, "stations", filter=f)
        assert r.status_code == 200, (f, r.text)
        assert ids(r.json()) == want, f
    # A point literal hits exactly the station standing on it (stations.csv: Aotizhongxin).
    r = _get(ogc, "stations", filter="S_INTERSECTS(geometry, POINT(116.397 39.982))")
    assert ids(r.json()) == ["Aotizhongxin"]
    # Under NOT the box pre-filter must not change the answer.
    r = _get(ogc, "stations", filter=f"NOT S_INTERSECTS(geometry, {wkt})", limit=100)
    assert ids(r.json()) == sorted(set(ALL) - set(want))
    geo = {"type": "Polygon", "coordinates": [ring]}
    js = {"op": "s_intersects", "args": [{"property": "geometry"}, geo]}
    r = _get(ogc, "stations", filter=json.dumps(js), **{"filter-lang": "cql2-json"})
    assert ids(r.json()) == want


def test_s_intersects_on_regions_uses_the_boundaries(ogc: Ogc) -> None:
    # A point at Aotizhongxin lies in Chaoyang, in Beijing (110000): county, city and province.
    f = "S_INTERSECTS(geometry, POINT(116.397 39.982)) AND kind = 'division'"
    r = _get(ogc, "regions", "admin", filter=f)
    assert r.status_code == 200, r.text
    assert ids(r.json()) == ["110000", "110105"]  # Beijing has no prefecture level (1101xx)


def test_filters_on_sources_with_timestamps(ogc: Ogc) -> None:
    f = "valid_from < TIMESTAMP('2019-01-01T00:00:00Z') AND industry IN ('3011', '4411')"
    r = _get(ogc, "sources", "admin", filter=f)
    assert r.status_code == 200 and ids(r.json()) == [CY2]
    r = _get(ogc, "sources", "admin", filter="valid_from IS NULL")
    assert sorted(ids(r.json())) == sorted([NOPT, HD1])  # (page order: test_wide_pages)
    r = _get(ogc, "sources", "admin", filter="valid_to >= DATE('2019-01-01')")
    assert ids(r.json()) == [CY2]
    assert CY1 not in ids(r.json())


@pytest.mark.parametrize(
    ("params", "field", "words"),
    [
        ({"filter": "name ="}, "filter", "not valid cql2-text"),
        ({"filter": "nosuch = 'x'"}, "filter", "not a queryable"),
        ({"filter": "name = 3"}, "filter", "is a string"),
        ({"filter": "name LIKE 3"}, "filter", "string pattern"),
        ({"filter": "S_WITHIN(geometry, POINT(1 2))"}, "filter", "not supported"),
        ({"filter": "CASEI(name) = casei('x')"}, "filter", "CASEI() is not supported"),
        ({"filter": "name = station_id"}, "filter", "two properties"),
        ({"filter": "S_INTERSECTS(name, POINT(1 2))"}, "filter", "property geometry"),
        (
            {"filter": "S_INTERSECTS(geometry, POLYGON((0 0, 1 1, 1 0, 0 1, 0 0)))"},
            "filter",
            "not valid (Self-intersection",
        ),
        ({"filter": "S_INTERSECTS(geometry, POINT(200 95))"}, "filter", "CRS84"),
        # Rings as written: closed, at least four positions (RFC 7946 3.1.6), not closed for us.
        (
            {"filter": "S_INTERSECTS(geometry, POLYGON((116.3 39.9, 116.45 39.9, 116.45 40.0)))"},
            "filter",
            "ring 0 needs at least 4 positions",
        ),
        (
            {
                "filter": "S_INTERSECTS(geometry, POLYGON((116.3 39.9, 116.45 39.9, 116.45 40.0, "
                "116.3 40.0)))"
            },
            "filter",
            "ring 0 is not closed",
        ),
        (
            {
                "filter": json.dumps(
                    {
                        "op": "s_intersects",
                        "args": [
                            {"property": "geometry"},
                            {
                                "type": "Polygon",
                                "coordinates": [
                                    [[116.3, 39.9], [116.45, 39.9], [116.45, 40.0], [116.3, 40.0]]
                                ],
                            },
                        ],
                    }
                ),
                "filter-lang": "cql2-json",
            },
            "filter",
            "ring 0 is not closed",
        ),
        ({"bbox": "200,0,210,10"}, "bbox", "longitudes must be within -180..180"),
        ({"bbox": "116,-95,117,40"}, "bbox", "latitudes must be within -90..90"),
        ({"filter": "name = 'x'", "filter-lang": "ecql"}, "filter-lang", "must be one of"),
        ({"filter": "{not json", "filter-lang": "cql2-json"}, "filter", "not valid cql2-json"),
        ({"filter": "x" * 20_001}, "filter", "longer than"),
        ({"filter": "name = 'x'", "filter-crs": "EPSG:3857"}, "filter-crs", "CRS84"),
        ({"bbox": "1,2,3"}, "bbox", "4 numbers"),
        ({"bbox": "1,2,3,nan"}, "bbox", "finite"),
        ({"bbox": "116,41,117,40"}, "bbox", "min lat <= max lat"),
        ({"limit": "0"}, "limit", ">= 1"),
        ({"limit": "ten"}, "limit", "integer"),
        ({"offset": "-1"}, "offset", "integer"),
        ({"datetime": "2020-01-01T00:00:00Z"}, "datetime", "no temporal property"),
        ({"f": "html"}, "f", "only GeoJSON"),
        ({"sortby": "name"}, "sortby", "unknown parameter"),
    ],
)
def test_bad_parameters_answer_400_naming_field_and_reason(
    ogc: Ogc, params: dict[str, str], field: str, words: str
) -> None:
    r = _get(ogc, "stations", **params)
    assert r.status_code == 400, r.text
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["errors"][0]["field"] == field
    assert words in body["detail"], body["detail"]


def test_bad_datetime_on_sources(ogc: Ogc) -> None:
    for value, words in (
        ("yesterday", "RFC 3339"),
        ("2020-01-01T00:00:00", "time zone"),
        ("../..", "at least one end"),
        ("2021-01-01/2020-01-01", "ends before"),
    ):
        r = _get(ogc, "sources", "admin", datetime=value)
        assert r.status_code == 400 and words in r.json()["detail"], (value, r.text)


_WORDS = st.sampled_from(
    ["name", "station_id", "geometry", "=", "<>", "<", "LIKE", "IN", "AND", "OR", "NOT", "(",
     ")", ",", "'a%'", "3", "-1.5e3", "IS", "NULL", "S_INTERSECTS", "POINT(1 2)", "BBOX(1,2,3,4)",
     "POLYGON((0 0,1 0,1 1,0 0))", "TIMESTAMP('2020-01-01T00:00:00Z')", "TRUE", "\\", "'",
     "\"name\"", "casei", "BETWEEN", "nosuch"]
)  # fmt: skip


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    text=st.one_of(st.lists(_WORDS, max_size=12).map(" ".join), st.text(max_size=60)),
    lang=st.sampled_from(["cql2-text", "cql2-json"]),
)
def test_any_filter_text_is_answered_or_refused_with_a_reason(
    ogc: Ogc, text: str, lang: str
) -> None:
    """Hostile filters: the service either answers a page or raises OgcBadRequest; never a
    crash of the parser, the translator or DuckDB."""
    cur = ogc.con.cursor()
    try:
        out = items(cur, None, "http://x/ogc", "stations", {"filter": text, "filter-lang": lang})
        assert out["type"] == "FeatureCollection"
    except OgcBadRequest as exc:
        assert exc.field in ("filter", "filter-lang") and exc.reason
    finally:
        cur.close()


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    tree=st.recursive(
        st.one_of(st.none(), st.booleans(), st.floats(), st.text(max_size=8),
                  st.just({"property": "name"}), st.just({"property": "geometry"})),
        lambda kids: st.one_of(
            st.lists(kids, max_size=3),
            st.builds(lambda op, args: {"op": op, "args": args},
                      st.sampled_from(["and", "or", "not", "=", "<", "like", "in", "isNull",
                                       "between", "s_intersects", "t_after", "+"]),
                      st.lists(kids, max_size=3)),
        ),
        max_leaves=10,
    )
)  # fmt: skip
def test_any_cql2_json_tree_is_answered_or_refused_with_a_reason(ogc: Ogc, tree: Any) -> None:
    cur = ogc.con.cursor()
    try:
        body = json.dumps(tree)
        out = items(
            cur, None, "http://x/ogc", "stations", {"filter": body, "filter-lang": "cql2-json"}
        )
        assert out["type"] == "FeatureCollection"
    except OgcBadRequest as exc:
        assert exc.field == "filter" and exc.reason
    finally:
        cur.close()


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("(" * 5000 + "name = 'x'" + ")" * 5000, "nested deeper"),
        ("NOT " * 4000 + "name = 'x'", "NOT operators"),
        ("-" * 5000 + "1 = station_id", "signs in a row"),
        ("station_id IN (" + "(" * 3000 + "'a'" + ")" * 3000 + ")", "nested deeper"),
    ],
)
def test_deep_nesting_is_refused_before_the_parser_sees_it(ogc: Ogc, text: str, words: str) -> None:
    # The cql2 text parser overflows its stack (and kills the server) at a few thousand levels.
    r = _get(ogc, "stations", filter=text)
    assert r.status_code == 400 and words in r.json()["detail"], r.text[:300]


def test_quoted_text_and_numbers_do_not_count_as_nesting(ogc: Ogc) -> None:
    f = "station_id = '" + "(" * 60 + "--------x' OR station_id = 'Dingling'"
    r = _get(ogc, "stations", filter=f)
    assert r.status_code == 200 and ids(r.json()) == ["Dingling"]
    r = _get(ogc, "stations", filter="station_id IN ('Dingling', 'Huairou') AND NOT NOT TRUE")
    assert r.status_code == 200 and ids(r.json()) == ["Dingling", "Huairou"]


# Geometry literals the cql2 library parses but cannot turn into CQL2-JSON: its conversion
# raised a bare Exception, which escaped as a 500 with a traceback (walk F, finding 1).
UNCONVERTIBLE = [
    "POINT EMPTY",
    "POINT Z EMPTY",
    "GEOMETRYCOLLECTION (POINT EMPTY)",
    "POINT ZM (1 2)",  # a ZM point needs four numbers
]


@pytest.mark.parametrize("collection", ["stations", "sources", "regions"])
@pytest.mark.parametrize("literal", UNCONVERTIBLE)
def test_literals_the_library_cannot_convert_are_a_400_on_every_collection(
    ogc: Ogc, collection: str, literal: str
) -> None:
    who = None if collection == "stations" else "admin"  # stations are open
    r = _get(ogc, collection, who, filter=f"S_INTERSECTS(geometry, {literal})")
    # OGC API - Features Part 3, /req/filter/filter-param: an invalid filter is a 400.
    assert r.status_code == 400, r.text
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["errors"][0]["field"] == "filter", body
    assert body["detail"].startswith("filter: not valid cql2-text: "), body


_NUMBER = st.sampled_from(["0", "1", "-1.5", "116.4", "39.9", "200", "1e3"])


def _position(n: int) -> st.SearchStrategy[str]:
    return st.lists(_NUMBER, min_size=n, max_size=n).map(" ".join)


_DIMS = st.sampled_from([("", 2), (" Z", 3), (" M", 3), (" ZM", 4)])
_KINDS = ["POINT", "LINESTRING", "POLYGON", "MULTIPOINT", "MULTILINESTRING", "MULTIPOLYGON",
          "GEOMETRYCOLLECTION"]  # fmt: skip


@st.composite
def _wkt(draw: st.DrawFn, depth: int = 0) -> str:
    """WKT geometry literals (OGC 06-103r4), EMPTY ones and wrong numbers of coordinates
    included: a position has the dimension's count of numbers, or one fewer or more."""
    kind = draw(st.sampled_from(_KINDS))
    tag, dims = draw(_DIMS)
    if draw(st.booleans()):
        return f"{kind}{tag} EMPTY"
    size = dims + draw(st.sampled_from([0, 0, 0, -1, 1]))
    pos = _position(max(size, 1))
    line = st.lists(pos, min_size=1, max_size=5).map(lambda ps: "(" + ", ".join(ps) + ")")
    if kind == "POINT":
        body = "(" + draw(pos) + ")"
    elif kind == "LINESTRING":
        body = draw(line)
    elif kind in ("POLYGON", "MULTILINESTRING"):
        body = "(" + ", ".join(draw(st.lists(line, min_size=1, max_size=2))) + ")"
    elif kind == "MULTIPOINT":
        body = draw(line)
    elif kind == "MULTIPOLYGON":
        rings = st.lists(line, min_size=1, max_size=2).map(lambda rs: "(" + ", ".join(rs) + ")")
        body = "(" + ", ".join(draw(st.lists(rings, min_size=1, max_size=2))) + ")"
    else:
        parts = ["POINT (1 2)"] if depth > 1 else draw(st.lists(_wkt(depth + 1), max_size=3))
        body = "(" + ", ".join(parts) + ")" if parts else " EMPTY"
    return f"{kind}{tag} {body}"


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(literal=_wkt(), collection=st.sampled_from(["stations", "sources", "regions"]))
def test_any_geometry_literal_is_answered_or_refused_with_a_reason(
    ogc: Ogc, literal: str, collection: str
) -> None:
    """Whatever the cql2 library, shapely or DuckDB spatial make of a geometry literal, the
    answer is a page or a 400 naming ``filter``, never an exception of theirs."""
    cur = ogc.con.cursor()
    try:
        params = {"filter": f"S_INTERSECTS(geometry, {literal})"}
        out = items(cur, SYSTEM, "http://x/ogc", collection, params)
        assert out["type"] == "FeatureCollection"
    except OgcBadRequest as exc:
        assert exc.field == "filter" and exc.reason
    finally:
        cur.close()
