"""Complaints and hot spots by any region: key region, basin polygon (by code or name), a
distance around a point; through the service, the API (in-process) and the CLI.

Which complaint lies where is decided here from the numbers, not by the code under test:
the basin is the hand-drawn square lon 116.40..116.60, lat 39.85..40.05; the distance case uses
0.005° of longitude at latitude 39.91° = 0.005 × 111 320 m × cos 39.91° ≈ 427 m (inside
1 000 m) and 0.02° ≈ 1 707 m (outside). The "2+26" cities include 110000 (Beijing) and 120000
(Tianjin) and not 310000 (Shanghai); the Yangtze River Delta includes 310000.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from ecohub.access import Principal
from ecohub.cli.main import app
from ecohub.complaints.service import hotspots, list_complaints
from ecohub.geo.userregions import load_region
from ecohub.queries import QueryError
from ecohub.settings import get_settings
from ecohub.store.db import connect

RING = [[116.40, 39.85], [116.60, 39.85], [116.60, 40.05], [116.40, 40.05], [116.40, 39.85]]
COMPLAINTS = [
    ("C_CY", "110105", 116.46, 39.91),  # in the square; the centre of the distance case
    ("C_NEAR", "110105", 116.465, 39.91),  # ≈ 427 m east of the centre
    ("C_1700", "110105", 116.48, 39.91),  # ≈ 1 707 m east of the centre
    ("C_EDGE", "110105", 116.60, 39.95),  # on the square's east edge: inside
    ("C_OUT", "110105", 116.601, 39.95),  # 0.001° east of the edge: outside
    ("C_TJ", "120101", None, None),  # Tianjin, no point: by its code only
    ("C_SH", "310101", 121.47, 31.23),  # Shanghai
]
ADMIN = Principal("a", "admin")
CHAOYANG = Principal("c", "analyst", "110105")
HAIDIAN = Principal("h", "analyst", "110108")


def _fill(con: duckdb.DuckDBPyConnection) -> None:
    con.executemany(
        "INSERT INTO complaint (complaint_id, received_at, text, region_code, lon, lat, category, "
        "topic, row_hash, loaded_at) VALUES (?, TIMESTAMPTZ '2026-10-01 08:00:00+08' + "
        "INTERVAL (?) MINUTE, '异味', ?, ?, ?, 'air', 'odour', 'h', now())",
        [(c, i, r, x, y) for i, (c, r, x, y) in enumerate(COMPLAINTS)],
    )
    con.executemany(
        "INSERT INTO complaint_hotspot VALUES (?, 'air', 'odour', ?, ?, ?, 100, "
        "TIMESTAMPTZ '2026-10-01 08:00:00+08', TIMESTAMPTZ '2026-10-01 09:00:00+08', ?, now())",
        [("H_BJ", "110105", 116.46, 39.91, 3), ("H_SH", "310101", 121.47, 31.23, 2)],
    )
    square = {"type": "Polygon", "coordinates": [RING]}
    load_region(con, json.dumps(square), name="test basin", kind="basin", code="basin-test")


@pytest.fixture
def store(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    _fill(con)
    return con


def _ids(con: duckdb.DuckDBPyConnection, p: Principal, region: object) -> list[str]:
    page = list_complaints(con, p, region=region, limit=100)  # type: ignore[arg-type]
    return sorted(r["complaint_id"] for r in page["items"])


BY_REGION = [
    ("jjj-2+26", ["C_1700", "C_CY", "C_EDGE", "C_NEAR", "C_OUT", "C_TJ"]),
    ("yrd", ["C_SH"]),
    ("basin-test", ["C_1700", "C_CY", "C_EDGE", "C_NEAR"]),  # no division lies in the square
    ("test basin", ["C_1700", "C_CY", "C_EDGE", "C_NEAR"]),  # the same region by its name
    ({"point": [116.46, 39.91], "distance_m": 1000}, ["C_CY", "C_NEAR"]),
    ({"point": [116.46, 39.91], "distance_m": 2000}, ["C_1700", "C_CY", "C_NEAR"]),
    ("110105", ["C_1700", "C_CY", "C_EDGE", "C_NEAR", "C_OUT"]),  # a division, as before
    ("120000", ["C_TJ"]),
]


@pytest.mark.parametrize(("region", "expected"), BY_REGION, ids=[str(r) for r, _ in BY_REGION])
def test_complaints_by_any_region(
    store: duckdb.DuckDBPyConnection, region: object, expected: list[str]
) -> None:
    assert _ids(store, ADMIN, region) == expected


def test_the_callers_scope_still_applies(store: duckdb.DuckDBPyConnection) -> None:
    assert _ids(store, CHAOYANG, "jjj-2+26") == ["C_1700", "C_CY", "C_EDGE", "C_NEAR", "C_OUT"]
    assert _ids(store, HAIDIAN, "jjj-2+26") == []
    assert _ids(store, CHAOYANG, "yrd") == []


def test_hotspots_by_any_region(store: duckdb.DuckDBPyConnection) -> None:
    def spots(region: object) -> list[str]:
        items = hotspots(store, ADMIN, region=region)["items"]  # type: ignore[arg-type]
        return [h["hotspot_id"] for h in items]

    assert spots("jjj-2+26") == ["H_BJ"]
    assert spots("yrd") == ["H_SH"]
    assert spots("basin-test") == ["H_BJ"]
    assert spots({"point": [121.47, 31.23], "distance_m": 500}) == ["H_SH"]
    assert spots(None) == ["H_BJ", "H_SH"]  # most complaints first


@pytest.mark.parametrize(
    ("region", "field", "words"),
    [
        ("nowhere", "region", "no region 'nowhere'"),
        # six digits that are no GB/T 2260 division and no stored region: unknown, not empty
        ("110199", "region", "no region '110199'"),
        ("990000", "region", "no region '990000'"),
        # The service is handed the region object: its members by their path in it (the
        # API's query string names them by its own parameters, test_cli_and_api_... below).
        ({"point": [116.46, 39.91], "distance_m": 0}, "region.distance_m", "must be > 0"),
        ({"point": [0.0, 0.0], "distance_m": 100}, "region.point", "outside China"),
        ({"point": [39.91, 116.46], "distance_m": 100}, "region.point", "looks swapped"),
        ({"circle": 1}, "region", "geojson, point or line"),
    ],
)
def test_bad_regions_name_the_field(
    store: duckdb.DuckDBPyConnection, region: object, field: str, words: str
) -> None:
    with pytest.raises(QueryError) as err:
        list_complaints(store, ADMIN, region=region)  # type: ignore[arg-type]
    assert err.value.field == field and words in str(err.value)
    with pytest.raises(QueryError) as err:
        hotspots(store, ADMIN, region=region)  # type: ignore[arg-type]
    assert err.value.field == field and words in str(err.value)


def test_six_digits_known_to_the_store_only_are_a_region(store: duckdb.DuckDBPyConnection) -> None:
    # 540422 米林市 (a city since 2015) is in the stored boundaries but not in the 2023 table
    # of ecohub.standards.divisions: a stored region, so a filter, not an error.
    store.execute(
        "INSERT INTO complaint (complaint_id, received_at, text, region_code, category, topic, "
        "row_hash, loaded_at) VALUES ('C_ML', TIMESTAMPTZ '2026-10-01 08:00:00+08', '异味', "
        "'540422', 'air', 'odour', 'h', now())"
    )
    assert _ids(store, ADMIN, "540422") == ["C_ML"]


@pytest.fixture
def cli_store(base_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    db = tmp_path / "cli.duckdb"
    shutil.copy(base_store, db)
    con = connect(db)
    _fill(con)
    con.close()
    monkeypatch.setenv("ECOHUB_DB_PATH", str(db))
    get_settings.cache_clear()
    yield db
    get_settings.cache_clear()


def test_cli_and_api_take_any_region(cli_store: Path) -> None:
    runner = CliRunner()

    def run(*args: str) -> list[dict[str, object]]:
        get_settings.cache_clear()
        r = runner.invoke(app, ["complaints", *args, "--format", "json"])
        assert r.exit_code == 0, r.output
        rows: list[dict[str, object]] = json.loads(r.output)
        return rows

    def ids(rows: list[dict[str, object]], key: str = "complaint_id") -> list[object]:
        return sorted(r[key] for r in rows)  # type: ignore[type-var]

    assert ids(run("list", "--region", "jjj-2+26")) == BY_REGION[0][1]
    assert ids(run("list", "--region", "test basin")) == BY_REGION[3][1]
    near = run("list", "--point", "116.46,39.91", "--distance-m", "1000")
    assert ids(near) == ["C_CY", "C_NEAR"]
    assert ids(run("hotspots", "--region", "yrd"), "hotspot_id") == ["H_SH"]
    # A bare day as --to is through its end: all seven came in on 1 October from 08:00.
    day = ("--from", "2026-10-01", "--to", "2026-10-01")
    assert ids(run("list", *day)) == sorted(c[0] for c in COMPLAINTS)
    for args, option, words in (
        (["--region", "nowhere"], "--region", "no region 'nowhere'"),
        (["--region", "110199"], "--region", "no region '110199'"),
        (["--point", "116.46,39.91"], "--distance-m", "point and distance_m go together"),
        (["--point", "east", "--distance-m", "5"], "--point", "expected lon,lat"),
        (["--region", "yrd", "--point", "116.4,39.9", "--distance-m", "5"], "--point",
         "give either region or point"),
        # The API names the query string's own parameters (point), not region.point.
        (["--point", "39.91,116.46", "--distance-m", "1000"], "--point",
         "position 0 [39.91, 116.46] looks swapped"),
        (["--point", "0.5,0.5", "--distance-m", "1000"], "--point", "is outside China"),
    ):  # fmt: skip
        get_settings.cache_clear()
        r = runner.invoke(app, ["complaints", "list", *args])
        assert r.exit_code == 1, r.output
        assert r.output.startswith(f"error: {option}:"), r.output
        assert words in r.output and "Traceback" not in r.output
