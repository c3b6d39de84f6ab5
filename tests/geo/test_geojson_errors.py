"""Bad GeoJSON: each file gives an error naming the feature and the reason; nothing is stored."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import duckdb
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from ecohub.cli.main import app
from ecohub.geo import GeoError, load_region
from ecohub.geo.boundaries import national_border
from ecohub.geo.geojson_check import parse_area
from ecohub.settings import get_settings

SQUARE = [[116.3, 39.8], [116.5, 39.8], [116.5, 40.0], [116.3, 40.0], [116.3, 39.8]]  # CCW


def fc(*geoms: Any, names: tuple[str, ...] = ()) -> dict[str, Any]:
    feats = []
    for i, g in enumerate(geoms):
        feats.append({"type": "Feature", "id": f"f{i}",
                      "properties": {"name": names[i] if i < len(names) else f"n{i}"},
                      "geometry": g})  # fmt: skip
    return {"type": "FeatureCollection", "features": feats}


def poly(*rings: list[list[float]]) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": list(rings)}


GOOD = poly(SQUARE)
BAD: list[tuple[str, Any, str]] = [
    ("not json", "{not json", r"file: not JSON"),
    ("array", "[1, 2]", r"file: GeoJSON must be an object"),
    ("unknown type", {"type": "Topology"}, r"file: type must be FeatureCollection"),
    ("empty collection", fc(), r"file: FeatureCollection is empty"),
    ("point", fc({"type": "Point", "coordinates": [116.4, 39.9]}),
     r"feature 0 \(id='f0', name='n0'\): geometry type must be Polygon or MultiPolygon"),
    ("not a feature", {"type": "FeatureCollection", "features": [GOOD]},
     r"feature 0: is not a GeoJSON Feature"),
    ("no coordinates", fc({"type": "Polygon"}), r"feature 0 .*: geometry has no coordinates"),
    ("text coordinate", fc(poly([[116.3, "39.8"], *SQUARE[1:]])),
     r"feature 0 .* ring 0: position 0 is not \[lon, lat\]"),
    ("nan", '{"type": "Polygon", "coordinates": [[[116.3, NaN], [116.5, 39.8], [116.5, 40.0], '
            '[116.3, NaN]]]}', r"geometry ring 0: position 0 is not finite"),
    ("unclosed ring", fc(GOOD, poly([*SQUARE[:-1], [116.3, 39.81]]), names=("a", "b")),
     r"feature 1 \(id='f1', name='b'\) ring 0: ring is not closed.*RFC 7946 3\.1\.6"),
    ("too few positions", fc(poly([[116.3, 39.8], [116.5, 39.8], [116.3, 39.8]])),
     r"ring 0: a ring needs at least 4 positions, has 3"),
    ("self-intersecting", fc(GOOD, poly([[116.3, 39.8], [116.5, 40.0], [116.5, 39.8],
                                        [116.3, 40.0], [116.3, 39.8]])),  # a bow tie
     r"feature 1 \(id='f1', name='n1'\): invalid polygon: Self-intersection\[116\.4 39\.9\]"),
    ("hole outside shell", fc(poly(SQUARE, [[117.0, 39.8], [117.1, 39.8], [117.1, 39.9],
                                            [117.0, 39.8]])),
     r"feature 0 .*: invalid polygon: Hole lies outside shell"),
    ("multipolygon overlap", fc({"type": "MultiPolygon", "coordinates": [[SQUARE], [SQUARE]]}),
     r"feature 0 .*: invalid multipolygon"),
    ("swapped", fc(poly([[lat, lon] for lon, lat in SQUARE])),
     r"feature 0 .* ring 0: position 0 \[39\.8, 116\.3\] looks swapped: .*\[lon, lat\]"),
    ("outside china", fc(poly([[2.3, 48.8], [2.4, 48.8], [2.4, 48.9], [2.3, 48.8]])),
     r"feature 0 .* ring 0: position 0 \[2\.3, 48\.8\] is outside China"),
    ("in the china box, not in china", fc(poly([[105.0, 45.0], [105.1, 45.0], [105.1, 45.1],
                                                [105.0, 45.0]])),  # Mongolia
     r"feature 0 .*: the area lies entirely outside China's territory"),
    ("web mercator crs", {**fc(GOOD), "crs": {"type": "name",
                                               "properties": {"name": "EPSG:3857"}}},
     r"crs: 'EPSG:3857' is neither WGS84 nor CGCS2000 lon/lat: reproject the file to EPSG:4326"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "data", "error"), BAD, ids=[b[0] for b in BAD])
def test_bad_file_names_feature_and_reason(
    con: duckdb.DuckDBPyConnection, case: str, data: Any, error: str
) -> None:
    before = con.execute("SELECT count(*) FROM region").fetchone()
    text = data if isinstance(data, str) else json.dumps(data)
    with pytest.raises(GeoError, match=error):
        load_region(con, text, name=case, kind="custom")
    assert con.execute("SELECT count(*) FROM region").fetchone() == before


def test_clockwise_exterior_is_fixed_with_a_note() -> None:
    cw = fc(poly(SQUARE[::-1]), names=("cw",))
    parsed = parse_area(json.dumps(cw), border=national_border())
    assert parsed.notes == [
        "feature 0 (id='f0', name='cw'): rings re-oriented to RFC 7946 winding "
        "(exterior counter-clockwise)"
    ]
    assert shapely.is_ccw(parsed.geometry.exterior)


@pytest.mark.parametrize(
    "name",
    ["EPSG:4490", "urn:ogc:def:crs:EPSG::4490", "http://www.opengis.net/def/crs/EPSG/0/4490"],
)
def test_cgcs2000_is_taken_as_wgs84_with_a_note(name: str) -> None:
    # CGCS2000 (China's datum; Tianditu and water-resources exports) is within centimetres of
    # WGS84: the coordinates stay as they are (GCJ-02 would move them by hundreds of metres).
    doc = {**fc(GOOD), "crs": {"type": "name", "properties": {"name": name}}}
    parsed = parse_area(json.dumps(doc), border=national_border())
    assert parsed.geometry.bounds[:2] == (116.3, 39.8)
    assert parsed.notes == [f"crs {name} (CGCS2000) taken as WGS84: they differ by centimetres"]


def test_gcj02_file_is_converted(con: duckdb.DuckDBPyConnection) -> None:
    # The same square declared GCJ-02 lands a few hundred metres south-west in WGS84.
    out = load_region(con, json.dumps(fc(GOOD)), name="g", kind="basin", crs="gcj02")
    x0, y0, _, _ = out["bbox"]
    assert -0.008 < x0 - 116.3 < -0.004 and -0.003 < y0 - 39.8 < 0.0
    assert out["kind"] == "basin" and out["code"].startswith("basin-")


def test_reload_by_name_replaces(con: duckdb.DuckDBPyConnection) -> None:
    a = load_region(con, json.dumps(GOOD), name="同名", kind="custom")
    b = load_region(con, json.dumps(GOOD), name="同名", kind="custom")
    assert a["code"] == b["code"]
    assert con.execute("SELECT count(*) FROM region WHERE name = '同名'").fetchone() == (1,)


def test_bad_name_kind_and_code(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(GeoError, match="name: must not be empty"):
        load_region(con, json.dumps(GOOD), name=" ", kind="custom")
    with pytest.raises(GeoError, match="kind: must be one of"):
        load_region(con, json.dumps(GOOD), name="x", kind="lake")
    with pytest.raises(GeoError, match="code: '110105'"):
        load_region(con, json.dumps(GOOD), name="x", kind="custom", code="110105")


# Any JSON value, or any text: parse_area answers with a GeoError or an area, nothing else.
_json = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=True) | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(
        st.sampled_from(["type", "coordinates", "features", "geometry", "crs", "properties"]),
        inner, max_size=4),
    max_leaves=30,
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(doc=_json | st.text(max_size=40) | st.binary(max_size=40))
def test_junk_gives_only_geo_errors(doc: Any) -> None:
    with contextlib.suppress(GeoError):
        parse_area(doc, border=national_border())


@settings(max_examples=200, deadline=None)
@given(
    ring=st.lists(st.tuples(st.floats(110, 120), st.floats(30, 40)), min_size=3, max_size=8),
    kind=st.sampled_from(["Polygon", "MultiPolygon"]),
)
def test_random_rings_give_only_geo_errors(ring: list[tuple[float, float]], kind: str) -> None:
    coords: Any = [[list(p) for p in ring] + [list(ring[0])]]
    if kind == "MultiPolygon":
        coords = [coords]
    try:
        parsed = parse_area({"type": kind, "coordinates": coords}, border=national_border())
    except GeoError:
        return
    assert parsed.geometry.is_valid


def test_cli_load_errors_without_traceback(
    base_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    db = tmp_path / "cli.duckdb"
    shutil.copy(base_store, db)
    monkeypatch.setenv("ECOHUB_DB_PATH", str(db))
    get_settings.cache_clear()
    bad = tmp_path / "bad.geojson"
    bad.write_text(json.dumps(fc(poly([*SQUARE[:-1], [116.3, 39.81]]), names=("河段",))))
    runner = CliRunner()
    r = runner.invoke(app, ["geo", "load", str(bad), "--name", "x", "--kind", "basin"])
    assert r.exit_code == 1
    assert "feature 0 (id='f0', name='河段') ring 0: ring is not closed" in r.output
    assert "Traceback" not in r.output
    good = tmp_path / "good.geojson"
    good.write_text(json.dumps(fc(GOOD)))
    r = runner.invoke(
        app, ["geo", "load", str(good), "--name", "海河流域(部分)", "--kind", "basin"]
    )
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["geo", "list", "--kind", "basin"])
    assert "海河流域(部分)" in r.output
    r = runner.invoke(app, ["geo", "county", "116.3975", "39.9087"])
    assert r.output.strip() == "110101 东城区"
    get_settings.cache_clear()


def test_region_by_name_and_ambiguous_name(con: duckdb.DuckDBPyConnection) -> None:
    from ecohub.geo import resolve

    a = load_region(con, json.dumps(GOOD), name="海河", kind="basin")
    assert resolve(con, "海河").ref == a["code"]
    load_region(con, json.dumps(GOOD), name="海河", kind="custom")
    with pytest.raises(GeoError, match="name '海河' matches several regions"):
        resolve(con, "海河")
    assert resolve(con, a["code"]).kind == "basin"
